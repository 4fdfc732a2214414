// The Pareto scatter: dominated points as split scattergl traces (plotly.js hover freezes with >=100k points
// in one trace), each workload's front as a highlighted step line in its own colour, knee points starred; or a 3-D
// view.

import { BASE_LAYOUT, PLOT_CONFIG } from '../plotly_loader.js';
import { info, titleOf } from '../catalog.js';
import { axisTicks } from '../format.js';
import { plotText } from '../plot_text.js';
import { errorBar } from './error_bars.js';

export const TRACE_POINTS = 20000;
const FRONT_COLOUR = '#e4572e';
const POINT_COLOUR = '#7b8fb8';
const CATEGORY_COLOURS = ['#2458d6', '#1f9e89', '#e1a100', '#9b4dca', '#d1495b', '#3c9d3c', '#7a5c3e', '#e377c2',
  '#17becf', '#8c8c8c'];

/** Marker colours for `indices`: numbers on a colour scale spanning the shown points (`span`), strings as
 * categories. */
export function colourSpec(columns, name, indices, categories, span = indices) {
  if (!name || !columns[name]) return null;
  const values = columns[name];
  if (categories) {
    const codes = new Map(categories.map((c, k) => [c, k]));
    return { color: indices.map((i) => CATEGORY_COLOURS[codes.get(values[i]) % CATEGORY_COLOURS.length]), categorical: true };
  }
  let lo = Infinity; let hi = -Infinity;
  for (const i of span) { const v = values[i]; if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
  return { color: indices.map((i) => values[i]), cmin: lo, cmax: hi, categorical: false };
}

// one colour per workload's front (the first is the single front's orange)
export const GROUP_COLOURS = [FRONT_COLOUR, '#2458d6', '#1f9e89', '#9b4dca', '#e1a100', '#d1495b', '#3c9d3c', '#7a5c3e'];

/** `fronts`: [{label, front, knee}], one per group (a single unlabelled one without grouping). */
/** `steps`: join each front by a step line (two objectives); with a third objective as colour the 2-D projection of
 * the front is no staircase, so its points are only highlighted. `bars`: {x, y} true where that axis's metric gets
 * its band as error bars (plots/error_bars.js). */
export function scatterTraces({ columns, shown, fronts, x, y, colourBy, categories, steps = true, bars = {} }) {
  const withBars = (trace, idx) => Object.assign(trace, bars.x ? { error_x: errorBar(columns, x, idx) } : {},
    bars.y ? { error_y: errorBar(columns, y, idx) } : {});
  const frontSet = new Set(fronts.flatMap((f) => f.front));
  const dominated = shown.filter((i) => !frontSet.has(i));
  const traces = [];
  for (let start = 0, part = 0; start < dominated.length || part === 0; start += TRACE_POINTS, part += 1) {
    const idx = dominated.slice(start, start + TRACE_POINTS);
    const colour = colourSpec(columns, colourBy, idx, categories, shown);
    const marker = { size: shown.length > 5000 ? 5 : 8, opacity: shown.length > 5000 ? 0.55 : 0.8, color: POINT_COLOUR };
    if (colour) {
      Object.assign(marker, { color: colour.color, opacity: 0.7 });
      if (!colour.categorical) {
        Object.assign(marker, { colorscale: 'Viridis', cmin: colour.cmin, cmax: colour.cmax, showscale: part === 0,
          colorbar: { title: { text: titleOf(colourBy), side: 'right' }, thickness: 12, len: 0.85 } });
      }
    }
    traces.push(withBars({ type: 'scattergl', mode: 'markers', name: part === 0 ? 'Design points' : `Design points (${part + 1})`,
      legendgroup: 'points', showlegend: part === 0, x: idx.map((i) => columns[x][i]), y: idx.map((i) => columns[y][i]),
      customdata: idx, hoverinfo: 'none', marker, meta: 'points' }, idx));
    if (start + TRACE_POINTS >= dominated.length) break;
  }
  fronts.forEach(({ label, front }, k) => {
    const colour = GROUP_COLOURS[k % GROUP_COLOURS.length];
    traces.push(withBars({ type: 'scattergl', mode: steps ? 'lines+markers' : 'markers', name: label ? `${plotText(label)} (${front.length})` : `Pareto front (${front.length})`,
      x: front.map((i) => columns[x][i]), y: front.map((i) => columns[y][i]), customdata: front, hoverinfo: 'none',
      line: { color: colour, width: 1.5, shape: 'hv' }, legendgroup: `front-${k}`,
      marker: { size: 9, color: colour, symbol: 'diamond', line: { color: '#1d2430', width: 0.8 } }, meta: 'front' }, front));
  });
  const knees = fronts.map((f) => f.knee).filter((i) => i !== null && i !== undefined);
  if (knees.length) {
    traces.push({ type: 'scattergl', mode: 'markers', name: knees.length > 1 ? 'Knee point of each front' : 'Knee point',
      x: knees.map((i) => columns[x][i]), y: knees.map((i) => columns[y][i]),
      customdata: knees, hoverinfo: 'none', meta: 'knee',
      marker: { size: 16, symbol: 'star', color: '#ffd23f', line: { color: '#1d2430', width: 1.2 } } });
  }
  if (colourBy && categories) {  // legend entries for the colour classes
    categories.slice(0, CATEGORY_COLOURS.length).forEach((category, k) => traces.push({
      type: 'scattergl', mode: 'markers', x: [null], y: [null], name: `${info(colourBy).label}: ${plotText(category)}`,
      marker: { size: 8, color: CATEGORY_COLOURS[k] }, hoverinfo: 'skip', meta: 'legend' }));
  }
  return traces;
}

/** The smallest and largest finite value of `name` over `indices` (positive ones only for a log axis): the span the
 * axis shows, which its ticks must cover. */
export function valueSpan(columns, name, indices, log = true) {
  let lo = Infinity; let hi = -Infinity;
  const values = columns[name] ?? [];
  for (const i of indices) {
    const v = values[i];
    if (Number.isFinite(v) && (!log || v > 0)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  return [lo, hi];
}

const axisTicksOf = (name, log, span) => (span ? axisTicks(span[0], span[1], info(name).unit, log) : {});

export function scatterLayout({ x, y, logX, logY }, spans = {}) {
  return {
    ...BASE_LAYOUT,
    uirevision: `${x}|${y}|${logX}|${logY}`,
    hovermode: 'closest',
    dragmode: 'zoom',
    margin: { l: 78, r: 20, t: 10, b: 56 },
    xaxis: { title: { text: titleOf(x) }, type: logX ? 'log' : 'linear', gridcolor: '#eef0f3', zeroline: false,
      exponentformat: 'SI', automargin: true, ...axisTicksOf(x, logX, spans.x) },
    yaxis: { title: { text: titleOf(y) }, type: logY ? 'log' : 'linear', gridcolor: '#eef0f3', zeroline: false,
      exponentformat: 'SI', automargin: true, ...axisTicksOf(y, logY, spans.y) },
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { size: 12 } },
  };
}

/** Where a point without a value of an axis's objective is drawn: just below the lowest value shown. */
function axisEdge([lo, hi], log) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return log ? 1 : 0;
  return log ? lo / Math.max(1.15, (hi / lo) ** 0.06) : lo - 0.06 * ((hi - lo) || Math.abs(lo) || 1);
}

/** The points lacking a value of X or Y (`indices`), drawn as open grey markers at that axis's edge. */
export function missingTrace({ columns, indices, x, y, spans, logX, logY, name }) {
  const at = (name_, span, log) => (i) => (Number.isFinite(columns[name_]?.[i]) ? columns[name_][i] : axisEdge(span, log));
  return { type: 'scattergl', mode: 'markers', name, meta: 'missing', hoverinfo: 'none', customdata: indices,
    x: indices.map(at(x, spans.x, logX)), y: indices.map(at(y, spans.y, logY)),
    marker: { size: 9, symbol: 'circle-open', color: '#8c8c8c', line: { width: 1.5, color: '#8c8c8c' } } };
}

/** Keeps the axes' numbers when the user zooms: on each zoom (or reset) the ticks are chosen again for the range
 * now shown. `axes`: {xaxis: {name, log, span}, yaxis: …}, `span` the data's (what a reset shows). */
export function retickOnZoom(Plotly, graph, axes) {
  graph.removeAllListeners?.('plotly_relayout');
  graph.on('plotly_relayout', (event) => {
    const update = {};
    for (const [axis, { name, log, span }] of Object.entries(axes)) {
      let range = null;
      if (event[`${axis}.range[0]`] !== undefined) range = [event[`${axis}.range[0]`], event[`${axis}.range[1]`]];
      else if (Array.isArray(event[`${axis}.range`])) range = event[`${axis}.range`];
      if (range) range = log ? range.map((v) => 10 ** v) : range;
      else if (event[`${axis}.autorange`]) range = span;
      if (!range) continue;
      const ticks = axisTicks(range[0], range[1], info(name).unit, log);
      Object.assign(update, ticks.tickvals ? { [`${axis}.tickmode`]: 'array', [`${axis}.tickvals`]: ticks.tickvals,
        [`${axis}.ticktext`]: ticks.ticktext } : { [`${axis}.tickmode`]: 'auto' });
    }
    if (Object.keys(update).length) Plotly.relayout(graph, update);
  });
}

export function scatter3dTraces({ columns, shown, front, x, y, z, hoverText }) {
  const frontSet = new Set(front);
  const dominated = shown.filter((i) => !frontSet.has(i));
  const trace = (idx, name, marker) => ({ type: 'scatter3d', mode: 'markers', name, customdata: idx,
    x: idx.map((i) => columns[x][i]), y: idx.map((i) => columns[y][i]), z: idx.map((i) => columns[z][i]),
    text: idx.map(hoverText), hovertemplate: '%{text}<extra></extra>', marker });
  return [trace(dominated, 'Design points', { size: 2.5, color: POINT_COLOUR, opacity: 0.5 }),
    trace(front, `Pareto front (${front.length})`, { size: 5, color: FRONT_COLOUR, symbol: 'diamond' })];
}

export function scatter3dLayout({ x, y, z, logX, logY }, spans = {}) {
  const axis = (name, log, span) => ({ title: { text: titleOf(name) }, type: log ? 'log' : 'linear', exponentformat: 'SI',
    ...axisTicksOf(name, log, span) });
  return { ...BASE_LAYOUT, margin: { l: 0, r: 0, t: 10, b: 0 }, uirevision: `3d|${x}|${y}|${z}`,
    scene: { xaxis: axis(x, logX, spans.x), yaxis: axis(y, logY, spans.y), zaxis: axis(z, false, spans.z) },
    legend: { orientation: 'h', x: 0, y: 1.02 } };
}

export { PLOT_CONFIG };
