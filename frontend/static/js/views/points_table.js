// Every point of a sweep, failed ones included, paged by the server: sortable by any column, filterable to the
// failures, with the columns the user picks. The failures banner above it says why points failed.

import { api } from '../api.js';
import { clear, errorNotice, h } from '../dom.js';
import { fmtValue } from '../format.js';
import { info, titleOf } from '../catalog.js';

const PAGE_ROWS = 50;

/** The banner of a sweep with failed points: how many, and why (grouped by message), with a link to the rows. */
export async function failuresBanner(sweep, onShow) {
  const answer = await api(`/api/sweeps/${sweep.id}/errors?limit=5`);
  const total = sweep.done + sweep.failedPoints;
  const shown = answer.groups.reduce((n, g) => n + g.points, 0);
  return h('div', { class: 'notice error', id: 'failures-banner', role: 'status' },
    h('strong', {}, `${sweep.failedPoints.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} points failed`),
    sweep.done ? ' (the others are in the plots and exports; failed points are in the exports too, with their error)' : '',
    h('ul', {}, answer.groups.map((group) => h('li', {}, h('span', { class: 'count' }, `${group.points.toLocaleString('en-US')} × `),
      group.error, ' ', h('a', { href: `#/points/${group.example_point_id}` }, 'one of them')))),
    shown < answer.failed_points ? h('div', { class: 'small' }, `…and ${(answer.failed_points - shown).toLocaleString('en-US')} more with other messages.`) : null,
    h('button', { type: 'button', id: 'show-failed', onclick: onShow }, 'Show the failed points'));
}

/** The table card. `columns`: the columns it may show (parameters and metrics); `chosen`: shown at first. */
export function pointsTable({ sweepId, columns, chosen }) {
  const state = { sort: 'point_index', offset: 0, failedOnly: false, shown: [...chosen] };
  const body = h('div', {});
  const pager = h('div', { class: 'toolbar small', id: 'points-pager' });
  const failedOnly = h('input', { type: 'checkbox', id: 'points-failed-only', onchange: (e) => {
    state.failedOnly = e.target.checked; state.offset = 0; load();
  } });
  const picker = h('details', { class: 'column-picker' }, h('summary', {}, 'Columns'),
    h('div', { class: 'checks' }, columns.map((name) => h('label', {}, h('input', { type: 'checkbox', value: name,
      checked: state.shown.includes(name), onchange: (e) => {
        state.shown = columns.filter((c) => (c === name ? e.target.checked : state.shown.includes(c)));
        load();
      } }), titleOf(name)))));
  const card = h('section', { class: 'card', id: 'points-card', 'aria-labelledby': 'points-title' },
    h('div', { class: 'page-head', style: { marginBottom: '8px' } },
      h('div', {}, h('h2', { id: 'points-title' }, 'All points'),
        h('div', { class: 'small muted' }, 'Every point of the sweep, failed ones with their error. Click a header to sort.')),
      h('div', { class: 'toolbar' }, h('label', { class: 'inline' }, failedOnly, ' failed only'), picker)),
    body, pager);

  function sortBy(name) {
    state.sort = state.sort === name ? `-${name}` : name;
    state.offset = 0;
    load();
  }

  let requests = 0;  // only the latest request draws: an earlier answer arriving late never overwrites it

  async function load() {
    const mine = ++requests;
    const names = ['id', 'error', ...state.shown];
    const params = new URLSearchParams({ columns: names.join(','), sort: state.sort, limit: String(PAGE_ROWS),
      offset: String(state.offset), include_failed: 'true', failed_only: String(state.failedOnly) });
    let page;
    try {
      page = await api(`/api/sweeps/${sweepId}/results?${params}`);
    } catch (error) {
      if (mine === requests) clear(body, errorNotice(error, 'Could not load the points'));
      return;
    }
    if (mine !== requests) return;
    const { columns: data, total, count } = page;
    const arrow = (name) => (state.sort === name ? ' ▲' : state.sort === `-${name}` ? ' ▼' : '');
    const header = h('tr', {}, ['id', ...state.shown, 'error'].map((name) => h('th', { scope: 'col',
      class: name === 'error' ? undefined : 'num sortable', 'aria-sort': state.sort === name ? 'ascending' : state.sort === `-${name}` ? 'descending' : 'none' },
    h('button', { type: 'button', class: 'link', onclick: () => sortBy(name === 'id' ? 'point_index' : name) },
      name === 'id' ? 'Point' : name === 'error' ? 'Error' : titleOf(name), arrow(name === 'id' ? 'point_index' : name)))));
    const rows = Array.from({ length: count }, (_, i) => h('tr', { class: data.error[i] ? 'failed' : undefined, 'data-point-id': String(data.id[i]) },
      h('td', {}, h('a', { href: `#/points/${data.id[i]}` }, `#${data.id[i]}`)),
      state.shown.map((name) => h('td', { class: 'num' }, cell(data[name][i], name))),
      h('td', { class: 'small error-text' }, data.error[i] ?? '')));
    clear(body, count ? h('div', { class: 'table-wrap', style: { maxHeight: '520px' } },
      h('table', { class: 'data', id: 'points-table' }, h('thead', {}, header), h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, state.failedOnly ? 'No point of this sweep failed.' : 'No points stored yet.'));
    const first = total ? state.offset + 1 : 0;
    clear(pager, `rows ${first.toLocaleString('en-US')}–${(state.offset + count).toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`,
      h('button', { type: 'button', disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - PAGE_ROWS); load(); } }, '‹ Previous'),
      h('button', { type: 'button', disabled: state.offset + count >= total, onclick: () => { state.offset += PAGE_ROWS; load(); } }, 'Next ›'));
  }

  return {
    card,
    load,
    showFailed() {
      failedOnly.checked = true; state.failedOnly = true; state.offset = 0;
      card.scrollIntoView({ block: 'start' });
      return load();
    },
  };
}

function cell(value, name) {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value !== 'number') return value ?? '–';
  const { unit } = info(name);
  return ['PEs', 'KiB', 'tokens', 'B/cycle', 'bit'].includes(unit) ? fmtValue(value, '') : fmtValue(value, unit);
}
