// The sweep view's sidebar: objectives, third objective, colour, log axes, filters, sharing.

import { h } from '../dom.js';
import { fmtValue } from '../format.js';
import { info, titleOf } from '../catalog.js';

function select(id, label, options, value, onChange, { allowNone = null } = {}) {
  const el = h('select', { id, onchange: (e) => onChange(e.target.value) },
    allowNone ? h('option', { value: '' }, allowNone) : null,
    options.map((name) => h('option', { value: name, selected: name === value }, titleOf(name))));
  if (!value && allowNone) el.value = '';
  return h('div', { class: 'field' }, h('label', { for: id }, label), el);
}

/** `numeric(name)`: whether a column holds numbers (a min/max filter makes no sense for a category). */
/** `banded`: whether the X or Y metric has a measured-model band at some point (then error bars can be drawn). */
export function controls({ state, metrics, parameters, numeric, onChange, onCopyLink, moreColours = [], banded = false }) {
  const set = (patch) => onChange({ ...state, ...patch });
  const zMode = h('div', { class: 'checks', role: 'radiogroup', 'aria-label': 'Show the third objective as' },
    ['c', '3d'].map((mode) => h('label', {}, h('input', { type: 'radio', name: 'zmode', value: mode,
      checked: (state.v || 'c') === mode, disabled: !state.z, onchange: () => set({ v: mode }) }),
    mode === 'c' ? 'as colour' : '3-D view')));
  const logs = h('div', { class: 'checks' },
    h('label', {}, h('input', { type: 'checkbox', id: 'log-x', checked: state.logX, onchange: (e) => set({ logX: e.target.checked }) }), 'log X'),
    h('label', {}, h('input', { type: 'checkbox', id: 'log-y', checked: state.logY, onchange: (e) => set({ logY: e.target.checked }) }), 'log Y'),
    banded ? h('label', { title: 'The 10th-90th percentile band of the measured model\'s validation residuals; points not validated against measurements have none' },
      h('input', { type: 'checkbox', id: 'error-bars', checked: state.e === '1', onchange: (e) => set({ e: e.target.checked ? '1' : '' }) }),
      'error bars') : null);
  // any metric can colour the points (e.g. one area component): one not loaded yet is fetched when chosen
  const colourOptions = [...new Set([...parameters, ...metrics, ...moreColours])].filter((m) => m !== state.x && m !== state.y);
  return h('aside', { class: 'card controls', 'aria-label': 'View controls' },
    h('h2', {}, 'View'),
    select('obj-x', 'X objective', metrics, state.x, (x) => set({ x })),
    select('obj-y', 'Y objective', metrics, state.y, (y) => set({ y })),
    select('obj-z', 'Third objective (optional)', metrics.filter((m) => m !== state.x && m !== state.y), state.z,
      (z) => set({ z }), { allowNone: 'none' }),
    zMode,
    h('div', { class: 'field', style: { marginTop: '10px' } }, h('label', {}, 'Axes'), logs),
    select('colour-by', 'Colour by', colourOptions, state.z && (state.v || 'c') === 'c' ? '' : state.c,
      (c) => set({ c }), { allowNone: state.z && (state.v || 'c') === 'c' ? 'the third objective' : 'front only' }),
    groupBox(state, parameters, set),
    filtersBox(state, [...parameters, ...metrics].filter((name) => numeric(name)), set),
    h('div', { class: 'toolbar', style: { marginTop: '12px' } },
      h('button', { type: 'button', id: 'copy-link', onclick: onCopyLink, title: 'Copy a link to exactly this view' }, 'Copy link')));
}

/** "One front per": ticking parameters splits the points into groups (e.g. model × sequence length), each with its
 * own front; nothing ticked is one front over every point. */
function groupBox(state, parameters, set) {
  const chosen = new Set(state.g && state.g !== '-' ? state.g.split(',') : []);
  const toggle = (name, on) => {
    const next = parameters.filter((p) => (p === name ? on : chosen.has(p)));
    set({ g: next.length ? next.join(',') : '-' });
  };
  return h('div', { class: 'field', id: 'group-by' }, h('label', {}, 'One front per'),
    h('div', { class: 'checks' }, parameters.map((name) => h('label', {}, h('input', { type: 'checkbox', value: name,
      checked: chosen.has(name), onchange: (e) => toggle(name, e.target.checked) }), info(name).label))),
    h('div', { class: 'hint' }, chosen.size ? 'Each combination of the ticked values has its own front.'
      : 'One front over every point: tick the workload columns to compare like with like.'));
}

function filtersBox(state, columns, set) {
  const chips = Object.entries(state.filters).map(([name, [lo, hi]]) => {
    const { unit, label } = info(name);
    const range = !Number.isFinite(hi) ? `≥ ${fmtValue(lo, unit)}` : !Number.isFinite(lo) ? `≤ ${fmtValue(hi, unit)}`
      : `${fmtValue(lo, unit)} – ${fmtValue(hi, unit)}`;
    return h('span', { class: 'filter-chip', 'data-filter': name }, `${label}: ${range}`,
      h('button', { type: 'button', 'aria-label': `Remove filter on ${info(name).label}`, onclick: () => {
        const filters = { ...state.filters }; delete filters[name]; set({ filters });
      } }, '×'));
  });
  const column = h('select', { 'aria-label': 'Filter column' }, columns.map((name) => h('option', { value: name }, titleOf(name))));
  const lo = h('input', { type: 'number', step: 'any', placeholder: 'min', 'aria-label': 'Minimum' });
  const hi = h('input', { type: 'number', step: 'any', placeholder: 'max', 'aria-label': 'Maximum' });
  const add = h('button', { type: 'button', onclick: () => {
    const min = lo.value === '' ? -Infinity : Number(lo.value);
    const max = hi.value === '' ? Infinity : Number(hi.value);
    if (min === -Infinity && max === Infinity) return;
    set({ filters: { ...state.filters, [column.value]: [min, max] } });
  } }, 'Add');
  return h('div', { class: 'field' }, h('label', {}, 'Filters'),
    chips.length ? h('div', {}, chips) : h('div', { class: 'hint' }, 'Brush an axis of the parallel coordinates, or add a range here.'),
    h('div', { style: { marginTop: '6px' } }, column), h('div', { class: 'inline', style: { marginTop: '6px' } }, lo, hi, add),
    chips.length ? h('button', { type: 'button', style: { marginTop: '6px' }, onclick: () => set({ filters: {} }) }, 'Clear filters') : null);
}
