// The study view of a sweep made of named variants (a step-by-step case study): per workload, each variant's
// latency and energy, speedup and energy ratio against a baseline variant, stacked per-class bars, and the
// template's published figures beside ours.

import { api } from '../api.js';
import { clear, errorNotice, h } from '../dom.js';
import { fmtValue } from '../format.js';
import { info } from '../catalog.js';
import { PLOT_CONFIG } from '../plotly_loader.js';
import { normalizePoint } from '../point_model.js';
import { workloadColumns } from '../sweep_model.js';
import { breakdownLayout, breakdownTraces } from '../plots/breakdown_bars.js';

const MAX_BAR_POINTS = 48;  // per-class bars need each point's report: one request per point

function ratio(value) {
  if (!Number.isFinite(value)) return '–';
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}×`;
}

/** Per workload (model × scenario values), the point of each variant: the fastest one when axes vary too. */
function studyGroups(columns, count, labels, workload) {
  const names = workload.filter((name) => columns[name]);
  const groups = new Map();
  for (let i = 0; i < count; i += 1) {
    const label = columns.variant?.[i];
    if (!labels.includes(label)) continue;
    const values = names.map((name) => columns[name][i]);
    const key = JSON.stringify(values);
    if (!groups.has(key)) groups.set(key, { values, byVariant: new Map(), several: false });
    const group = groups.get(key);
    const best = group.byVariant.get(label);
    if (best !== undefined) group.several = true;
    if (best === undefined || columns.latency_s[i] < columns.latency_s[best]) group.byVariant.set(label, i);
  }
  const title = (values) => values.map((v, k) => (typeof v === 'number' ? fmtValue(v, info(names[k]).unit === 'tokens' ? '' : info(names[k]).unit)
    + (info(names[k]).unit === 'tokens' ? ' tokens' : '') : String(v))).join(' · ');
  return [...groups.values()].map((group) => ({ ...group, title: title(group.values) || 'All points', names }));
}

function matchesReference(reference, group) {
  if (!reference?.scenario) return false;
  return Object.entries(reference.scenario).every(([name, value]) => {
    const k = group.names.indexOf(name);
    return k >= 0 && group.values[k] === value;
  });
}

/** The card; `template` is the built-in template the sweep was made from (its `reference`), if any. */
export function studyCard({ sweep, data, template, Plotly }) {
  const labels = sweep.spec.variants.map((v) => v.label);
  const reference = template?.reference ?? null;
  let baseline = labels[0];
  const body = h('div', {});
  const select = h('select', { id: 'study-baseline', onchange: (e) => { baseline = e.target.value; draw(); } },
    labels.map((label) => h('option', { value: label }, label)));
  const card = h('section', { class: 'card', id: 'study-card', 'aria-labelledby': 'study-title' },
    h('div', { class: 'page-head', style: { marginBottom: '8px' } },
      h('div', {}, h('h2', { id: 'study-title' }, `Study: ${labels.length} designs compared`),
        h('div', { class: 'small muted' }, 'Each variant of the sweep per workload: speedup and energy ratio against the baseline variant.',
          reference ? ` Published figures: ${reference.source}.` : '')),
      h('div', { class: 'field inline' }, h('label', { for: 'study-baseline' }, 'Baseline'), select)),
    body);
  const bars = new Map();  // point index -> its ops (per-class bars)

  async function loadBars(indices) {
    const missing = indices.filter((i) => !bars.has(i)).slice(0, MAX_BAR_POINTS);
    const points = await Promise.all(missing.map((i) => api(`/api/points/${data.ids[i]}`)));
    points.forEach((raw, k) => bars.set(missing[k], normalizePoint(raw).ops));
  }

  async function draw() {
    const { columns } = data;
    const groups = studyGroups(columns, data.count, labels, workloadColumns(sweep.spec));
    if (!groups.length) {
      clear(body, h('p', { class: 'muted' }, 'No variant has a result yet.'));
      return;
    }
    const sections = groups.map((group, g) => {
      const base = group.byVariant.get(baseline);
      const withRef = reference && matchesReference(reference, group);
      const rows = labels.map((label) => {
        const i = group.byVariant.get(label);
        const published = withRef ? reference.variants?.[label] : null;
        if (i === undefined) {
          return h('tr', {}, h('th', { scope: 'row' }, label), h('td', { colspan: 5, class: 'muted' }, 'no result (failed or not evaluated yet)'),
            withRef ? h('td', {}, published?.note ?? '') : null);
        }
        const speedup = base !== undefined ? columns.latency_s[base] / columns.latency_s[i] : NaN;
        const energyRatio = base !== undefined ? columns.energy_j[i] / columns.energy_j[base] : NaN;
        return h('tr', { 'data-variant': label, class: label === baseline ? 'baseline' : undefined },
          h('th', { scope: 'row' }, h('a', { href: `#/points/${data.ids[i]}` }, label)),
          h('td', { class: 'num' }, fmtValue(columns.latency_s[i], 's')),
          h('td', { class: 'num speedup' }, ratio(speedup)),
          h('td', { class: 'num' }, fmtValue(columns.energy_j[i], 'J')),
          h('td', { class: 'num' }, ratio(energyRatio)),
          h('td', { class: 'num' }, base !== undefined ? ratio((columns.energy_j[i] * columns.latency_s[i]) / (columns.energy_j[base] * columns.latency_s[base])) : '–'),
          withRef ? h('td', { class: 'small' }, published?.speedup ? h('strong', {}, `${ratio(published.speedup)} `) : null, published?.note ?? '') : null);
      });
      const latencyDiv = h('div', { id: `study-latency-${g}` });
      const energyDiv = h('div', { id: `study-energy-${g}` });
      return { group, latencyDiv, energyDiv, element: h('div', { class: 'study-group' },
        h('h3', {}, group.title, group.several ? h('span', { class: 'muted small' }, ' · the fastest point of each variant') : null),
        h('div', { class: 'table-wrap' }, h('table', { class: 'data study-table' },
          h('thead', {}, h('tr', {}, ['Variant', 'Latency', 'Speedup', 'Energy', 'Energy ratio', 'EDP ratio', ...(withRef ? ['Survey (published)'] : [])]
            .map((t, k) => h('th', { scope: 'col', class: k > 0 && k < 6 ? 'num' : undefined }, t)))),
          h('tbody', {}, rows))),
        h('div', { class: 'grid-2' }, latencyDiv, energyDiv)) };
    });
    clear(body, sections.map((s) => s.element));
    const wanted = sections.flatMap(({ group }) => labels.map((l) => group.byVariant.get(l)).filter((i) => i !== undefined));
    try {
      await loadBars(wanted);
    } catch (error) {
      body.append(errorNotice(error, 'Could not load the per-class breakdowns'));
      return;
    }
    for (const { group, latencyDiv, energyDiv } of sections) {
      const points = labels.filter((l) => bars.has(group.byVariant.get(l))).map((label) => {
        const i = group.byVariant.get(label);
        return { label, ops: bars.get(i), latencyS: data.columns.latency_s[i], energyJ: data.columns.energy_j[i] };
      });
      if (!points.length) continue;
      Plotly.react(latencyDiv, breakdownTraces(points, 'latency'), breakdownLayout('Latency by operator class', 's', points.length), PLOT_CONFIG);
      Plotly.react(energyDiv, breakdownTraces(points, 'energy'), breakdownLayout('Energy by operator class', 'J', points.length), PLOT_CONFIG);
    }
  }

  return { card, draw, update(next) { data = next; return draw(); } };
}
