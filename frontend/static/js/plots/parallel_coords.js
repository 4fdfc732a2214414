// Parallel coordinates of the varied parameters and the objectives; brushing an axis becomes a filter.

import { BASE_LAYOUT } from '../plotly_loader.js';
import { info } from '../catalog.js';
import { fmtValue } from '../format.js';

const LOG_DIMENSIONS = new Set();

export const MAX_LINES = 2000;  // parcoords redraws every line on each brush; the front is always drawn in full

/** Numeric dimensions only; log-spread metrics are drawn on log10 so one outlier does not squash the axis. */
export function parcoordsTrace({ columns, shown, frontSet, dimensions, filters }) {
  const stride = Math.max(1, Math.ceil(shown.length / MAX_LINES));
  const rows = [];
  for (const i of shown) if (frontSet.has(i)) rows.push(i);
  for (let k = 0; k < shown.length; k += stride) if (!frontSet.has(shown[k])) rows.push(shown[k]);
  return {
    type: 'parcoords',
    line: { color: rows.map((i) => (frontSet.has(i) ? 1 : 0)), colorscale: [[0, '#9aa8c7'], [1, '#e4572e']],
      cmin: 0, cmax: 1 },
    labelangle: 0,
    labelfont: { size: 12 },
    tickfont: { size: 11 },
    rangefont: { size: 10 },
    dimensions: dimensions.map((name) => {
      const { label, unit } = info(name);
      const raw = rows.map((i) => columns[name][i]);
      const dim = { label: unit ? `${label} (${unit})` : label, values: raw, name };
      if (unit === '%') dim.tickformat = '.0%';  // stored as a 0..1 fraction
      const positive = raw.filter((v) => v > 0);
      const lo = Math.min(...positive); const hi = Math.max(...positive);
      if (positive.length === raw.length && hi / lo > 100) {  // spans decades: draw on log10 with decade ticks
        dim.values = raw.map(Math.log10);
        const decades = [];
        for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e += 1) decades.push(e);
        dim.tickvals = decades;
        dim.ticktext = decades.map((e) => fmtValue(10 ** e, unit));
        dim.range = [Math.log10(lo), Math.log10(hi)];
        LOG_DIMENSIONS.add(name);
      } else {
        LOG_DIMENSIONS.delete(name);
      }
      if (filters[name]) {  // open-ended filters are drawn to the axis end
        const finite = raw.filter(Number.isFinite);
        const [flo, fhi] = [Math.max(filters[name][0], Math.min(...finite)), Math.min(filters[name][1], Math.max(...finite))];
        dim.constraintrange = LOG_DIMENSIONS.has(name) ? [Math.log10(flo), Math.log10(fhi)] : [flo, fhi];
      }
      return dim;
    }),
  };
}

export function parcoordsLayout() {
  return { ...BASE_LAYOUT, margin: { l: 90, r: 90, t: 64, b: 24 } };
}

/** The brushed ranges of a parcoords graph as {column: [lo, hi]} (one range per axis; the widest span). */
export function brushedFilters(graph) {
  const trace = graph.data?.[0];
  const filters = {};
  for (const dim of trace?.dimensions ?? []) {
    let range = dim.constraintrange;
    if (!range || !range.length) continue;
    if (Array.isArray(range[0])) range = [Math.min(...range.map((r) => r[0])), Math.max(...range.map((r) => r[1]))];
    filters[dim.name] = LOG_DIMENSIONS.has(dim.name) ? [10 ** range[0], 10 ** range[1]] : [range[0], range[1]];
  }
  return filters;
}
