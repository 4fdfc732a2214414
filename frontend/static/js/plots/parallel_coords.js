// Parallel coordinates of the varied parameters and the objectives; brushing an axis becomes a filter.

import { BASE_LAYOUT } from '../plotly_loader.js';
import { info } from '../catalog.js';
import { fmtValue } from '../format.js';

// Per drawn axis: how values are placed (`log2` for power-of-two axes, `log10` for ones spanning decades) and, for
// an axis of few values, those values (ticks at each, brushes snap to them).
const SCALES = new Map();
const FEW_VALUES = 12;
const PREFIXED = new Set(['s', 'J', 'W', 'B', 'J·s']);

export const MAX_LINES = 2000;  // parcoords redraws every line on each brush; the front is always drawn in full

const isPowerOfTwo = (v) => Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;

function scaleOf(raw) {
  const finite = raw.filter(Number.isFinite);
  const distinct = [...new Set(finite)].sort((a, b) => a - b);
  const few = distinct.length <= FEW_VALUES ? distinct : null;
  if (distinct.length > 2 && distinct.every(isPowerOfTwo)) return { transform: 'log2', values: few };
  const lo = distinct[0]; const hi = distinct[distinct.length - 1];
  if (lo > 0 && finite.length === raw.length && hi / lo > 100) return { transform: 'log10', values: few };
  return { transform: null, values: few };
}

const forward = (transform) => (transform === 'log2' ? Math.log2 : transform === 'log10' ? Math.log10 : (v) => v);
const backward = (transform) => (transform === 'log2' ? (v) => 2 ** v : transform === 'log10' ? (v) => 10 ** v : (v) => v);

const LABEL_LINE = 14;  // characters per line of an axis title: ~100 px, so neighbouring titles never overlap

/** The catalog's label wrapped onto short lines, its unit on a line of its own ("Scratchpad<br>(KiB)"). */
export function axisLabel(label, unit) {
  const lines = [];
  for (const word of String(label).split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= LABEL_LINE) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  if (unit) lines.push(`(${unit})`);
  return lines.join('<br>');
}

/** Numeric dimensions: power-of-two axes on log2, decade-spanning ones on log10, full tick labels with units. */
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
      const scale = scaleOf(raw);
      SCALES.set(name, scale);
      const to = forward(scale.transform);
      const dim = { label: axisLabel(label, unit), values: raw.map(to), name };
      const finite = raw.filter(Number.isFinite);
      const lo = Math.min(...finite); const hi = Math.max(...finite);
      // the axis title carries the unit; ticks keep it only where it carries an SI prefix (500 ms, 2 s)
      const show = (v) => (unit === '%' ? `${Math.round(v * 100)}%` : fmtValue(v, PREFIXED.has(unit) ? unit : ''));
      if (scale.values) {
        dim.tickvals = scale.values.map(to);
        dim.ticktext = scale.values.map(show);
      } else if (scale.transform === 'log10') {
        const decades = [];
        for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e += 1) decades.push(e);
        dim.tickvals = decades;
        dim.ticktext = decades.map((e) => show(10 ** e));
      } else if (unit === '%') {
        dim.tickformat = '.0%';  // stored as a 0..1 fraction
      }
      if (finite.length && lo !== hi) dim.range = [to(lo), to(hi)];
      if (filters[name]) {  // open-ended filters are drawn to the axis end
        const [flo, fhi] = [Math.max(filters[name][0], lo), Math.min(filters[name][1], hi)];
        dim.constraintrange = [to(flo), to(fhi)];
      }
      return dim;
    }),
  };
}

/** A brushed range on an axis of few values, snapped to the values it covers (null: it covers none). */
function snapped(range, values) {
  const inside = values.filter((v) => v >= range[0] - 1e-9 * Math.abs(v) && v <= range[1] + 1e-9 * Math.abs(v));
  return inside.length ? [inside[0], inside[inside.length - 1]] : null;
}

export function parcoordsLayout() {
  return { ...BASE_LAYOUT, margin: { l: 90, r: 90, t: 92, b: 24 } };
}

/** The brushed ranges of a parcoords graph as {column: [lo, hi]} (one range per axis; the widest span), in the
 * column's own values; on an axis of few values the range snaps to the values it covers. A brush between two
 * values of such an axis matches nothing and is kept as an empty range (the view says so). */
export function brushedFilters(graph) {
  const trace = graph.data?.[0];
  const filters = {};
  for (const dim of trace?.dimensions ?? []) {
    let range = dim.constraintrange;
    if (!range || !range.length) continue;
    if (Array.isArray(range[0])) range = [Math.min(...range.map((r) => r[0])), Math.max(...range.map((r) => r[1]))];
    const scale = SCALES.get(dim.name) ?? { transform: null, values: null };
    const back = backward(scale.transform);
    const own = [back(range[0]), back(range[1])];
    filters[dim.name] = scale.values ? (snapped(own, scale.values) ?? [own[0], own[0]]) : own;
  }
  return filters;
}
