// Area by component (the report's `area_breakdown_mm2`): one stacked bar, each part's share of the point's area.

import { BASE_LAYOUT } from '../plotly_loader.js';
import { fmtValue } from '../format.js';

// The simulator's area parts (simulator/cost/area.py), in its order; a part it adds later is shown by its own name.
const COMPONENTS = {
  pe_array: { label: 'PE array', colour: '#2458d6' },
  scratchpad: { label: 'Scratchpad', colour: '#1f9e89' },
  accumulator: { label: 'Accumulator', colour: '#e1a100' },
  nonlinear: { label: 'Non-linear units', colour: '#9b4dca' },
  fixed: { label: 'Fixed (controller, DMA, queues)', colour: '#8c8c8c' },
};
const OTHER_COLOURS = ['#d1495b', '#3c9d3c', '#7a5c3e'];

/** Traces and layout of the bar; null without a breakdown. Parts of zero area are left out of the bar. */
export function areaBarFigure(breakdown) {
  const parts = Object.entries(breakdown ?? {}).filter(([, mm2]) => Number.isFinite(mm2));
  const total = parts.reduce((sum, [, mm2]) => sum + mm2, 0);
  if (!parts.length || !(total > 0)) return null;
  let other = 0;
  const traces = parts.filter(([, mm2]) => mm2 > 0).map(([name, mm2]) => {
    const known = COMPONENTS[name] ?? { label: name, colour: OTHER_COLOURS[other++ % OTHER_COLOURS.length] };
    const share = mm2 / total;
    return { type: 'bar', orientation: 'h', name: known.label, y: ['Area'], x: [mm2], meta: name,
      marker: { color: known.colour }, text: [share > 0.08 ? `${Math.round(share * 100)}%` : ''],
      textposition: 'inside', insidetextanchor: 'middle', textangle: 0, textfont: { color: '#fff', size: 11 },
      hovertext: [`${known.label}: ${fmtValue(mm2, 'mm²')} (${(share * 100).toFixed(1)}%)`], hoverinfo: 'text' };
  });
  const absent = parts.filter(([, mm2]) => mm2 === 0).map(([name]) => (COMPONENTS[name]?.label ?? name).toLowerCase());
  const layout = {
    ...BASE_LAYOUT, barmode: 'stack', height: 200, margin: { l: 110, r: 20, t: 34, b: 30 },
    title: { text: `Area by component: ${fmtValue(total, 'mm²')}${absent.length ? ` (no ${absent.join(', ')})` : ''}`,
      font: { size: 14 }, x: 0, xanchor: 'left' },
    xaxis: { gridcolor: '#eef0f3', ticksuffix: ' mm²', range: [0, total], zeroline: false },
    yaxis: { automargin: true, type: 'category' },
    legend: { orientation: 'h', y: -0.45, font: { size: 11 }, traceorder: 'normal' }, showlegend: true,
  };
  return { traces, layout };
}
