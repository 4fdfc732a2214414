// The serving curve as a figure: per design, generated tokens/s against TPOT over its batch sizes (log-log, each
// marker labelled with its batch), the TPOT SLO as a vertical line, and each design's goodput-optimal batch (the best
// throughput meeting the SLO) as a star. Used by the serving page (#/serving) and the LLM-serving template's card.

import { escapeHtml } from '../dom.js';
import { fmtValue, logAxisTicks } from '../format.js';
import { BASE_LAYOUT } from '../plotly_loader.js';

const COLOURS = ['#2458d6', '#d1495b', '#2a9d8f', '#e9a23b', '#6a4c93', '#3d405b', '#8ab17d', '#b56576'];

/** The best throughput among the points meeting the SLO, or null: the same rule as simulator/serving/curve.py. */
export function goodputPoint(points, slo) {
  const meets = (p) => (slo.tpotMs == null || p.tpot_s * 1e3 <= slo.tpotMs) && (slo.ttftMs == null || p.ttft_s * 1e3 <= slo.ttftMs);
  const meeting = points.filter(meets);
  if (!meeting.length) return null;
  return meeting.reduce((best, p) => (p.tokens_per_s > best.tokens_per_s
    || (p.tokens_per_s === best.tokens_per_s && p.batch < best.batch) ? p : best));
}

/** curves: [{design, points: [{batch, tokens_per_s, tpot_s, ttft_s}], goodput_batch}], slo: {tpotMs, ttftMs}. */
export function servingFigure(curves, slo, { height = 460 } = {}) {
  const traces = [];
  const all = curves.flatMap((c) => c.points);
  curves.forEach((curve, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = [...curve.points].sort((a, b) => a.batch - b.batch);
    traces.push({
      type: 'scatter', mode: 'lines+markers+text', name: curve.design, meta: curve.design,
      x: points.map((p) => p.tpot_s), y: points.map((p) => p.tokens_per_s),
      text: points.map((p) => String(p.batch)), textposition: 'top left', textfont: { size: 10, color: colour },
      customdata: points.map((p) => `${escapeHtml(curve.design)}<br>batch ${p.batch}: ${fmtValue(p.tokens_per_s, 'tokens/s')}`
        + `<br>TPOT ${fmtValue(p.tpot_s, 's')} · TTFT ${fmtValue(p.ttft_s, 's')}`),
      hovertemplate: '%{customdata}<extra></extra>', line: { color: colour, width: 1.5 },
      marker: { color: colour, size: 7 },
    });
  });
  const best = curves.map((curve) => ({ curve, point: curve.points.find((p) => p.batch === curve.goodput_batch) }))
    .filter((b) => b.point);
  traces.push({
    type: 'scatter', mode: 'markers', name: 'goodput-optimal', meta: 'goodput',
    x: best.map((b) => b.point.tpot_s), y: best.map((b) => b.point.tokens_per_s),
    customdata: best.map((b) => `${escapeHtml(b.curve.design)}: goodput ${fmtValue(b.point.tokens_per_s, 'tokens/s')} at batch ${b.point.batch}`),
    hovertemplate: '%{customdata}<extra></extra>',
    marker: { symbol: 'star', size: 18, color: '#f2c14e', line: { color: '#1d2430', width: 1.2 } },
  });
  const sloS = slo.tpotMs ? slo.tpotMs / 1e3 : null;
  const xs = all.map((p) => p.tpot_s).concat(sloS ? [sloS] : []);
  const ys = all.map((p) => p.tokens_per_s);
  const [xlo, xhi, ylo, yhi] = [Math.min(...xs) / 1.3, Math.max(...xs) * 1.3, Math.min(...ys) / 1.5, Math.max(...ys) * 1.5];
  const axis = (lo, hi, unit, title) => ({ type: 'log', range: [Math.log10(lo), Math.log10(hi)], title: { text: title },
    ...logAxisTicks(lo, hi, unit) });
  const layout = {
    ...BASE_LAYOUT, height, showlegend: true, legend: { orientation: 'h', y: -0.2 },
    xaxis: axis(xlo, xhi, 's', 'Time per output token (log scale)'),
    yaxis: axis(ylo, yhi, '', 'Generated tokens/s (log scale)'),
    shapes: sloS ? [{ type: 'line', xref: 'x', yref: 'paper', x0: sloS, x1: sloS, y0: 0, y1: 1,
      line: { color: '#c53030', dash: 'dash', width: 1.5 } }] : [],
    annotations: sloS ? [{ xref: 'x', yref: 'paper', x: Math.log10(sloS), y: 1, yanchor: 'bottom',
      text: `TPOT SLO ${fmtValue(sloS, 's')}`, showarrow: false, font: { color: '#c53030', size: 11 } }] : [],
  };
  return { traces, layout };
}
