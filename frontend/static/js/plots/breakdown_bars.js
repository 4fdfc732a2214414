// Stacked bars of latency and energy by operator class: one bar per design point.

import { BASE_LAYOUT } from '../plotly_loader.js';
import { byClass, opClasses } from '../point_model.js';
import { fmtValue } from '../format.js';
import { plotText } from '../plot_text.js';

/**
 * `points`: [{label, ops, latencyS, energyJ}]. Each class's share of the summed operator cycles (energy) is
 * scaled to the point's total latency (energy), so the bars add up to the reported totals.
 */
export function breakdownTraces(points, quantity) {
  const totals = points.map((p) => byClass(p.ops));
  return opClasses().map((cls) => {
    const values = points.map((p, k) => {
      const sum = Object.values(totals[k]).reduce((acc, t) => acc + (quantity === 'latency' ? t.cycles : t.energy_j), 0) || 1;
      const part = quantity === 'latency' ? totals[k][cls.key].cycles : totals[k][cls.key].energy_j;
      return (part / sum) * (quantity === 'latency' ? p.latencyS : p.energyJ);
    });
    const unit = quantity === 'latency' ? 's' : 'J';
    return {
      type: 'bar', orientation: 'h', name: cls.label, y: points.map((p) => plotText(p.label)), x: values,
      marker: { color: cls.colour }, meta: cls.key,
      text: values.map((v, k) => {
        const whole = quantity === 'latency' ? points[k].latencyS : points[k].energyJ;
        return v / whole > 0.1 ? `${Math.round((v / whole) * 100)}%` : '';
      }),
      textposition: 'inside', insidetextanchor: 'middle', textangle: 0, textfont: { color: '#fff', size: 11 },
      hovertext: values.map((v, k) => {
        const whole = quantity === 'latency' ? points[k].latencyS : points[k].energyJ;
        return `${cls.label}: ${fmtValue(v, unit)} (${((v / whole) * 100).toFixed(1)}%)`;
      }),
      hoverinfo: 'text',
    };
  }).filter((trace) => trace.x.some((v) => v > 0));
}

export function breakdownLayout(title, unit, rows) {
  return {
    ...BASE_LAYOUT,
    barmode: 'stack',
    height: Math.max(200, 110 + rows * 46),
    margin: { l: 110, r: 20, t: 34, b: 30 },
    title: { text: title, font: { size: 14 }, x: 0, xanchor: 'left' },
    xaxis: { exponentformat: 'SI', gridcolor: '#eef0f3', ticksuffix: ` ${unit}` },
    yaxis: { automargin: true, autorange: 'reversed', type: 'category' },
    legend: { orientation: 'h', y: -0.35, font: { size: 11 } },
    showlegend: true,
  };
}
