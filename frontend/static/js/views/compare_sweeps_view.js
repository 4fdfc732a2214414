// Compare sweeps: each sweep's Pareto fronts (one per workload, as on the sweep page) on one plot, and a table
// of the front designs. #/compare-sweeps?ids=3,7&x=latency_s&y=energy_j is shareable.

import { api } from '../api.js';
import { clear, errorNotice, h } from '../dom.js';
import { fmtValue, logAxisTicks } from '../format.js';
import { DEFAULT_OBJECTIVES, info, numericMetrics, titleOf } from '../catalog.js';
import { BASE_LAYOUT, loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { plotText } from '../plot_text.js';
import { normalizeSweep, workloadColumns } from '../sweep_model.js';

const SWEEP_COLOURS = ['#e4572e', '#2458d6', '#1f9e89', '#9b4dca', '#e1a100', '#d1495b', '#3c9d3c', '#7a5c3e'];
const DASHES = ['solid', 'dot', 'dash', 'longdash', 'dashdot', 'longdashdot'];

export async function render(container, _params, query) {
  const ids = (query.get('ids') || '').split(',').filter((s) => /^\d+$/.test(s)).slice(0, 8).map(Number);
  const x = query.get('x') || DEFAULT_OBJECTIVES[0];
  const y = query.get('y') || DEFAULT_OBJECTIVES[1];
  container.append(h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Compare sweeps'),
    h('div', { class: 'sub' }, 'Each sweep\'s Pareto fronts on one plot, one front per workload (model × scenario).'))));
  if (ids.length < 2) {
    container.append(h('div', { class: 'card empty' }, h('h2', {}, 'Pick at least two sweeps'),
      h('p', {}, 'Tick two or more sweeps in the sweeps list and press "Compare sweeps".'),
      h('a', { class: 'button primary', href: '#/sweeps' }, 'Go to the sweeps')));
    return undefined;
  }
  const go = (next) => { location.hash = `#/compare-sweeps?ids=${ids.join(',')}&x=${next.x}&y=${next.y}`; };
  const metricSelect = (id, label, value, key) => h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, onchange: (e) => go({ x, y, [key]: e.target.value }) },
      numericMetrics().map((m) => h('option', { value: m, selected: m === value }, titleOf(m)))));
  const plotDiv = h('div', { class: 'plot tall', id: 'compare-sweeps-plot', role: 'img', 'aria-label': 'Fronts of the sweeps' });
  const tableBox = h('div', {});
  container.append(h('section', { class: 'card inline', 'aria-label': 'Objectives' },
    metricSelect('compare-x', 'X objective', x, 'x'), metricSelect('compare-y', 'Y objective', y, 'y')),
  h('section', { class: 'card' }, plotDiv), tableBox);

  let Plotly; let sweeps; let fronts;
  try {
    [Plotly, ...sweeps] = await Promise.all([loadPlotly(), ...ids.map((id) => api(`/api/sweeps/${id}`))]);
    sweeps = sweeps.map(normalizeSweep);
    fronts = await Promise.all(sweeps.map((sweep) => {
      const groupBy = workloadColumns(sweep.spec);
      const params = new URLSearchParams({ objectives: `${x},${y}`, columns: 'id' });
      if (groupBy.length) params.set('group_by', groupBy.join(','));
      return api(`/api/sweeps/${sweep.id}/pareto?${params}`);
    }));
  } catch (error) {
    clear(tableBox, errorNotice(error, 'Could not load the sweeps'));
    return undefined;
  }
  // every front as {sweep, label, rows}: rows are [{id, x, y}] by the X objective
  const lines = sweeps.flatMap((sweep, s) => {
    const answer = fronts[s];
    const groups = answer.groups ?? [{ key: {}, front: answer.columns.id.map((_, k) => Object.fromEntries(
      Object.keys(answer.columns).map((name) => [name, answer.columns[name][k]]))) }];
    return groups.map((group, g) => ({ sweep, s, g, label: Object.entries(group.key)
      .map(([name, value]) => (typeof value === 'number' ? fmtValue(value, info(name).unit) : String(value ?? '–'))).join(' · '),
      rows: group.front.map((row) => ({ id: row.id, x: row[x], y: row[y] })) }));
  });
  const all = lines.flatMap((l) => l.rows);
  const span = (key) => [Math.min(...all.map((r) => r[key]).filter((v) => v > 0)), Math.max(...all.map((r) => r[key]))];
  const traces = lines.map((line) => ({
    type: 'scatter', mode: 'lines+markers', meta: 'front', customdata: line.rows.map((r) => r.id),
    name: `${plotText(line.sweep.name)}${line.label ? ` · ${plotText(line.label)}` : ''} (${line.rows.length})`,
    legendgroup: `sweep-${line.s}`, x: line.rows.map((r) => r.x), y: line.rows.map((r) => r.y),
    line: { color: SWEEP_COLOURS[line.s % SWEEP_COLOURS.length], dash: DASHES[line.g % DASHES.length], shape: 'hv', width: 1.5 },
    marker: { size: 8, color: SWEEP_COLOURS[line.s % SWEEP_COLOURS.length], symbol: 'diamond' },
    hovertemplate: `<b>${plotText(line.sweep.name)}</b>${line.label ? ` · ${plotText(line.label)}` : ''}<br>point #%{customdata}<br>`
      + `${info(x).label}: %{x}<br>${info(y).label}: %{y}<extra></extra>`,
  }));
  const axis = (key, name) => ({ title: { text: titleOf(name) }, type: 'log', gridcolor: '#eef0f3',
    ...(all.length ? logAxisTicks(...span(key), info(name).unit) : {}) });
  Plotly.newPlot(plotDiv, traces, { ...BASE_LAYOUT, margin: { l: 78, r: 20, t: 10, b: 56 }, hovermode: 'closest',
    xaxis: axis('x', x), yaxis: axis('y', y), legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' } },
  { ...PLOT_CONFIG, toImageButtonOptions: { filename: `compare-sweeps-${ids.join('-')}` } });
  plotDiv.on('plotly_click', (event) => {
    const id = event.points?.[0]?.customdata;
    if (id !== undefined) location.hash = `#/points/${id}`;
  });
  clear(tableBox, h('section', { class: 'card', 'aria-labelledby': 'compare-fronts-title' },
    h('h2', { id: 'compare-fronts-title' }, `Front designs: ${all.length}`),
    h('div', { class: 'table-wrap', style: { maxHeight: '520px' } }, h('table', { class: 'data', id: 'compare-sweeps-table' },
      h('thead', {}, h('tr', {}, ['Sweep', 'Front', 'Point', titleOf(x), titleOf(y)].map((t, k) => h('th', { scope: 'col', class: k > 2 ? 'num' : undefined }, t)))),
      h('tbody', {}, lines.flatMap((line) => line.rows.map((row) => h('tr', { 'data-sweep-id': String(line.sweep.id) },
        h('td', {}, h('a', { href: `#/sweeps/${line.sweep.id}` }, line.sweep.name)), h('td', { class: 'small' }, line.label || 'all points'),
        h('td', {}, h('a', { href: `#/points/${row.id}` }, `#${row.id}`)),
        h('td', { class: 'num' }, fmtValue(row.x, info(x).unit)), h('td', { class: 'num' }, fmtValue(row.y, info(y).unit))))))))));
  return () => Plotly.purge(plotDiv);
}
