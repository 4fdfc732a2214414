// Parameter importance on the sweep page: which varied parameter drives an objective, each one's share of its
// variance (GET /api/sweeps/{id}/importance: Optuna's fANOVA on the server), as horizontal bars, over every point
// of the view (its filters) or one workload.

import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { info, titleOf } from '../catalog.js';
import { BASE_LAYOUT, PLOT_CONFIG } from '../plotly_loader.js';

const BAR_COLOUR = '#2458d6';

/** `workloads`: [{label, filters}] (one per front when the view has several), `filters`: the view's, as the API
 * takes them. */
export function importanceCard({ sweepId, Plotly }) {
  let objective = '';
  let scope = '';  // '' = every point of the view, else a workload's label
  let lastKey = '';
  let latest = null;
  const objectiveSelect = h('select', { id: 'importance-objective', onchange: (e) => { objective = e.target.value; refresh(); } });
  const scopeSelect = h('select', { id: 'importance-scope', onchange: (e) => { scope = e.target.value; refresh(); } });
  const scopeField = h('div', { class: 'field', hidden: true }, h('label', { for: 'importance-scope' }, 'Over'), scopeSelect);
  const plot = h('div', { id: 'importance-plot', role: 'img', 'aria-label': 'Parameter importance' });
  const caption = h('div', { class: 'plot-caption', id: 'importance-caption', role: 'status' });
  const card = h('section', { class: 'card', id: 'importance-card', 'aria-labelledby': 'importance-title' },
    h('h2', { id: 'importance-title' }, 'Parameter importance: which knob drives the objective'),
    h('div', { class: 'inline', style: { maxWidth: '640px', marginBottom: '6px' } },
      h('div', { class: 'field' }, h('label', { for: 'importance-objective' }, 'Objective'), objectiveSelect), scopeField),
    plot, caption);

  function refresh() {
    if (latest) update(latest);
  }

  async function load(key, chosen, filters) {
    const params = new URLSearchParams({ objective: chosen });
    for (const text of filters) params.append('filter', text);
    clear(caption, 'Ranking the parameters…');
    try {
      const answer = await api(`/api/sweeps/${sweepId}/importance?${params}`);
      if (key !== lastKey) return;
      draw(answer);
    } catch (error) {
      if (key !== lastKey) return;
      Plotly.purge(plot);
      clear(caption, h('span', { class: 'notice warn', id: 'importance-message' }, error.message));
    }
  }

  function draw(answer) {
    const names = Object.keys(answer.importance);
    const shares = names.map((name) => answer.importance[name]);
    Plotly.react(plot, [{
      type: 'bar', orientation: 'h', y: names.map((name) => info(name).label), x: shares, marker: { color: BAR_COLOUR },
      text: shares.map((s) => `${(s * 100).toFixed(s < 0.01 ? 1 : 0)} %`), textposition: 'outside', cliponaxis: false,
      hovertemplate: '%{y}: %{x:.1%} of the variance<extra></extra>', meta: names,
    }], {
      ...BASE_LAYOUT, height: 70 + 34 * names.length, margin: { l: 20, r: 60, t: 8, b: 40 }, showlegend: false,
      xaxis: { title: { text: `Share of the variance of ${info(answer.objective).label.toLowerCase()}` }, tickformat: '.0%',
        range: [0, Math.min(1, Math.max(...shares) * 1.15 + 0.02)], gridcolor: '#eef0f3', zeroline: false },
      yaxis: { autorange: 'reversed', automargin: true, type: 'category' },
    }, { ...PLOT_CONFIG, toImageButtonOptions: { filename: `sweep-${sweepId}-importance-${answer.objective}` } });
    plot.dataset.objective = answer.objective;
    clear(caption, `${names.length} parameters ranked by the share of the variation in ${info(answer.objective).label.toLowerCase()} `,
      `each explains, over ${answer.points.toLocaleString('en-US')} points${answer.sampled ? ' (an evenly spread sample of the sweep)' : ''}`,
      scope ? ` of ${scope}` : '', ` · ${answer.method}.`,
      names.length && !scope && latest?.workloads?.length > 1 ? ' Workload parameters explain most across workloads: pick one above to rank the hardware within it.' : '');
  }

  /** Draw for the view as it is now (fetches only when the objective, scope, filters or point count changed). */
  function update({ metrics, defaultObjective, filters, workloads, count }) {
    latest = { metrics, defaultObjective, filters, workloads, count };
    if (!metrics.includes(objective)) objective = metrics.includes(defaultObjective) ? defaultObjective : metrics[0];
    if (scope && !workloads.some((w) => w.label === scope)) scope = '';
    clear(objectiveSelect, metrics.map((name) => h('option', { value: name, selected: name === objective }, titleOf(name))));
    clear(scopeSelect, h('option', { value: '' }, 'every point'),
      workloads.map((w) => h('option', { value: w.label, selected: w.label === scope }, w.label)));
    scopeField.hidden = workloads.length < 2;
    const scoped = [...filters, ...(workloads.find((w) => w.label === scope)?.filters ?? [])];
    const key = JSON.stringify([objective, scoped, count]);
    if (key === lastKey || !objective) return;
    lastKey = key;
    load(key, objective, scoped);
  }

  return { card, update };
}
