// Compare two to four design points: metrics side by side (best value marked) and breakdown bars.

import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtValue } from '../format.js';
import { direction, headlineMetrics, info, vocabulary } from '../catalog.js';
import { loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { normalizePoint, param } from '../point_model.js';
import { breakdownLayout, breakdownTraces } from '../plots/breakdown_bars.js';


const COMPARE_LIST = 'dse.compare';  // the points' "Add to compare" list (point_view.js), this tab's

/** The compare list: ids added with "Add to compare" on point pages, oldest first (at most four). */
export function compareList() {
  try {
    return (JSON.parse(sessionStorage.getItem(COMPARE_LIST) || '[]')).filter((id) => Number.isInteger(id)).slice(-4);
  } catch { return []; }
}

export async function render(container, _params, query) {
  const asked = (query.get('ids') || '').split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)).slice(0, 4);
  // the top bar's Compare opens this page without ids: it compares the compare list
  const ids = asked.length ? asked : compareList().map(String);
  if (!asked.length && ids.length >= 2) history.replaceState(null, '', `#/compare?ids=${ids.join(',')}`);
  const differencesOnly = query.get('all') !== '1';
  container.append(h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Compare design points'),
    h('div', { class: 'sub' }, 'Two to four points side by side. Tick points in a sweep\'s front table, or enter their ids.'))));
  const input = h('input', { type: 'text', id: 'compare-ids', value: ids.join(', '), placeholder: 'e.g. 12, 40, 77', 'aria-label': 'Point ids' });
  container.append(h('form', { class: 'card inline', style: { maxWidth: '520px' }, onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/compare?ids=${input.value.split(/[\s,]+/).filter(Boolean).join(',')}`;
  } }, input, h('button', { type: 'submit', class: 'primary', style: { flex: '0 0 auto' } }, 'Compare')));
  if (ids.length < 2) {
    container.append(h('div', { class: 'card empty' }, h('h2', {}, 'Pick at least two points'),
      h('p', {}, 'Open a sweep, tick two to four designs in its Pareto front table and press "Compare selected"; or press '
        + '"Add to compare" on two to four point pages.'),
      ids.length ? h('p', { id: 'compare-list-note' }, `The compare list holds ${ids.length === 1 ? `one point (#${ids[0]})` : 'no point'}: add another.`) : null));
    return undefined;
  }
  const [Plotly, ...raws] = await Promise.all([loadPlotly(), ...ids.map((id) => api(`/api/points/${id}`))]);
  const points = raws.map(normalizePoint);
  const ROWS = [...headlineMetrics(), 'bottleneck'];
  // the model and accelerator preset, and every parameter in which the points differ
  const differs = (values) => new Set(values.map((v) => JSON.stringify(v ?? null))).size > 1;
  // "differences only": the model and accelerator preset, and every parameter or metric in which the points differ
  const PARAMS = vocabulary.parameters.map((p) => p.name).filter((name) => !differencesOnly
    || ['model', 'accelerator'].includes(name) || differs(points.map((p) => param(p, name))));
  const header = h('tr', {}, h('th', { scope: 'col' }, ''), points.map((p) => h('th', { scope: 'col', class: 'num' },
    h('a', { href: `#/points/${p.id}` }, `#${p.id}`))));
  const shown = (v) => v === null || typeof v !== 'object';  // nested definitions are on each point's page
  const paramRows = PARAMS.filter((name) => points.some((p) => param(p, name) !== undefined)
    && points.every((p) => shown(param(p, name)))).map((name) => h('tr', {},
    h('th', { scope: 'row' }, info(name).label), points.map((p) => h('td', { class: 'num' }, show(param(p, name), name)))));
  const metricRows = ROWS.filter((name) => points.some((p) => p.metrics[name] !== undefined)
    && (!differencesOnly || differs(points.map((p) => p.metrics[name])))).map((name) => {
    const values = points.map((p) => p.metrics[name]);
    const numeric = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
    const differ = new Set(numeric).size > 1;
    const best = differ ? (direction(name) === 'max' ? Math.max(...numeric) : Math.min(...numeric)) : null;
    // only a number can be best: a point without a value ("–") is never marked, whatever the others hold
    const isBest = (v) => best !== null && typeof v === 'number' && v === best;
    return h('tr', {}, h('th', { scope: 'row' }, info(name).label), values.map((v) => h('td', {
      class: isBest(v) ? 'num best' : 'num', style: isBest(v) ? { fontWeight: '700', color: 'var(--ok)' } : undefined,
      title: isBest(v) ? 'best of these points' : undefined }, show(v, name))));
  });
  const latency = h('div', { id: 'compare-latency' });
  const energy = h('div', { id: 'compare-energy' });
  container.append(
    h('section', { class: 'card' }, h('div', { class: 'page-head', style: { marginBottom: '8px' } },
      h('h2', {}, 'Parameters and metrics (best in green)'),
      h('label', {}, h('input', { type: 'checkbox', id: 'differences-only', checked: differencesOnly, onchange: (e) => {
        location.hash = `#/compare?ids=${ids.join(',')}${e.target.checked ? '' : '&all=1'}`;
      } }), ' Differences only')),
    differencesOnly && !paramRows.length && !metricRows.length
      ? h('p', { class: 'muted', id: 'no-differences' }, 'These points do not differ in any parameter or metric.') : null,
    h('table', { class: 'data', id: 'compare-table' },
      h('thead', {}, header), h('tbody', {}, paramRows, metricRows))),
    h('section', { class: 'card' }, latency, energy));
  const bars = points.map((p) => ({ label: `#${p.id}`, ops: p.ops, latencyS: p.metrics.latency_s, energyJ: p.metrics.energy_j }));
  Plotly.newPlot(latency, breakdownTraces(bars, 'latency'), { ...breakdownLayout('Latency by operator class', 's', bars.length), showlegend: false }, PLOT_CONFIG);
  Plotly.newPlot(energy, breakdownTraces(bars, 'energy'), breakdownLayout('Energy by operator class', 'J', bars.length), PLOT_CONFIG);
  return () => { Plotly.purge(latency); Plotly.purge(energy); };
}

function show(value, name) {
  if (typeof value !== 'number') return value ?? '–';
  const { unit } = info(name);
  return ['PEs', 'KiB', 'tokens', 'B/cycle', 'bit'].includes(unit) ? `${fmtValue(value)} ${unit}` : fmtValue(value, unit);
}
