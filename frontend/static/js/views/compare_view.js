// Compare two to four design points: metrics side by side (best value marked) and breakdown bars.

import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtValue } from '../format.js';
import { direction, headlineMetrics, info, vocabulary } from '../catalog.js';
import { loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { normalizePoint, param } from '../point_model.js';
import { breakdownLayout, breakdownTraces } from '../plots/breakdown_bars.js';


export async function render(container, _params, query) {
  const ids = (query.get('ids') || '').split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)).slice(0, 4);
  container.append(h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Compare design points'),
    h('div', { class: 'sub' }, 'Two to four points side by side. Tick points in a sweep\'s front table, or enter their ids.'))));
  const input = h('input', { type: 'text', id: 'compare-ids', value: ids.join(', '), placeholder: 'e.g. 12, 40, 77', 'aria-label': 'Point ids' });
  container.append(h('form', { class: 'card inline', style: { maxWidth: '520px' }, onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/compare?ids=${input.value.split(/[\s,]+/).filter(Boolean).join(',')}`;
  } }, input, h('button', { type: 'submit', class: 'primary', style: { flex: '0 0 auto' } }, 'Compare')));
  if (ids.length < 2) {
    container.append(h('div', { class: 'card empty' }, h('h2', {}, 'Pick at least two points'),
      h('p', {}, 'Open a sweep, tick two to four designs in its Pareto front table and press "Compare selected".')));
    return undefined;
  }
  const [Plotly, ...raws] = await Promise.all([loadPlotly(), ...ids.map((id) => api(`/api/points/${id}`))]);
  const points = raws.map(normalizePoint);
  const ROWS = [...headlineMetrics(), 'bottleneck'];
  // the model and accelerator preset, and every parameter in which the points differ
  const PARAMS = vocabulary.parameters.map((p) => p.name).filter((name) => ['model', 'accelerator'].includes(name)
    || new Set(points.map((p) => JSON.stringify(param(p, name) ?? null))).size > 1);
  const header = h('tr', {}, h('th', { scope: 'col' }, ''), points.map((p) => h('th', { scope: 'col', class: 'num' },
    h('a', { href: `#/points/${p.id}` }, `#${p.id}`))));
  const paramRows = PARAMS.filter((name) => points.some((p) => param(p, name) !== undefined)).map((name) => h('tr', {},
    h('th', { scope: 'row' }, info(name).label), points.map((p) => h('td', { class: 'num' }, show(param(p, name), name)))));
  const metricRows = ROWS.filter((name) => points.some((p) => p.metrics[name] !== undefined)).map((name) => {
    const values = points.map((p) => p.metrics[name]);
    const numeric = values.filter((v) => typeof v === 'number');
    const differ = new Set(numeric).size > 1;
    const best = differ ? (direction(name) === 'max' ? Math.max(...numeric) : Math.min(...numeric)) : null;
    return h('tr', {}, h('th', { scope: 'row' }, info(name).label), values.map((v) => h('td', {
      class: 'num', style: v === best ? { fontWeight: '700', color: 'var(--ok)' } : undefined,
      title: v === best ? 'best of these points' : undefined }, show(v, name))));
  });
  const latency = h('div', { id: 'compare-latency' });
  const energy = h('div', { id: 'compare-energy' });
  container.append(
    h('section', { class: 'card' }, h('h2', {}, 'Metrics (best in green)'), h('table', { class: 'data', id: 'compare-table' },
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
