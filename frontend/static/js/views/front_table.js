// The Pareto front as a table: one row per non-dominated design, the knee starred; tick rows to compare.

import { h } from '../dom.js';
import { fmtValue } from '../format.js';
import { info } from '../catalog.js';

const MAX_ROWS = 500;

/** `groupOf` (a Map point → its group's label) adds a Group column when there is one front per group;
 * `noValueWhy(name, i)` says why a cell is empty (its tooltip), e.g. a ratio against another workload's baseline. */
export function frontTable({ columns, ids, front, knees, groupOf, parameters, metrics, onCompare, noValueWhy = () => null }) {
  const selected = new Set();
  const compare = h('button', { type: 'button', class: 'primary', disabled: true, id: 'compare-selected',
    onclick: () => onCompare([...selected]) }, 'Compare selected');
  const update = () => {
    compare.disabled = selected.size < 2 || selected.size > 4;
    compare.textContent = `Compare selected (${selected.size})`;
  };
  const header = h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Select')),
    h('th', { scope: 'col' }, 'Point'),
    groupOf ? h('th', { scope: 'col' }, 'Front') : null,
    parameters.map((name) => h('th', { scope: 'col', class: 'num' }, headerText(name))),
    metrics.map((name) => h('th', { scope: 'col', class: 'num' }, headerText(name))));
  const rows = front.slice(0, MAX_ROWS).map((i) => h('tr', { 'data-point-id': String(ids[i]), class: knees.has(i) ? 'knee' : undefined },
    h('td', {}, h('input', { type: 'checkbox', 'aria-label': `Select point ${ids[i]} for comparison`, onchange: (e) => {
      if (e.target.checked) selected.add(ids[i]); else selected.delete(ids[i]);
      update();
    } })),
    h('td', {}, h('a', { href: `#/points/${ids[i]}` }, `#${ids[i]}`), knees.has(i) ? h('span', { title: 'Knee point: closest to the ideal corner', style: { marginLeft: '4px' } }, '★ knee') : null),
    groupOf ? h('td', { class: 'small' }, groupOf.get(i)) : null,
    parameters.map((name) => h('td', { class: 'num' }, cell(columns[name]?.[i], name))),
    metrics.map((name) => {
      const why = columns[name]?.[i] === null ? noValueWhy(name, i) : null;
      return h('td', { class: 'num' }, why ? h('span', { class: 'no-value', title: why, tabindex: '0', 'aria-label': `– ${why}` }, '–')
        : cell(columns[name]?.[i], name));
    })));
  return h('section', { class: 'card', 'aria-labelledby': 'front-title' },
    h('div', { class: 'page-head', style: { marginBottom: '8px' } },
      h('div', {}, h('h2', { id: 'front-title' }, `${groupOf ? 'Pareto fronts' : 'Pareto front'}: ${front.length} design${front.length === 1 ? '' : 's'}`),
        h('div', { class: 'small muted' }, groupOf ? 'Non-dominated within each front\'s group of the filtered points, sorted by the X objective. '
          : 'Non-dominated among the filtered points, sorted by the X objective. ',
          front.length > MAX_ROWS ? `First ${MAX_ROWS} shown.` : '')),
      h('div', { class: 'toolbar' }, compare)),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'front-table' }, h('thead', {}, header), h('tbody', {}, rows))));
}

function headerText(name) {
  const { label, unit } = info(name);
  return unit ? [label, h('br'), h('span', { class: 'muted' }, unit)] : label;
}

function cell(value, name) {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value !== 'number') return value ?? '–';
  const { unit } = info(name);
  return ['PEs', 'KiB', 'tokens', 'B/cycle', 'bit'].includes(unit) ? fmtValue(value, '') : fmtValue(value, unit);
}
