// Sweeps list: every sweep in the shared database with live progress; empty state for a new user.

import { api, query as apiQuery } from '../api.js';
import { clear, debounce, errorNotice, h } from '../dom.js';
import { fmtCompact, fmtDate } from '../format.js';
import { isActive, modelNames, normalizeSweep } from '../sweep_model.js';
import { progressBar, statusBadge } from './progress_bar.js';
import { prefetchPlotly } from '../plotly_loader.js';

const POLL_MS = 2000;

export async function render(container, _params, query) {
  const body = h('div', {});
  // search over names, tags and notes (GET /api/sweeps?q=), or one tag (?tag=, from a tag's link)
  const tag = query?.get('tag') ?? '';
  const search = h('input', { type: 'search', id: 'sweep-search', placeholder: 'Search names, tags, notes', 'aria-label': 'Search sweeps',
    value: query?.get('q') ?? '', oninput: debounce(() => { clearTimeout(timer); refresh(); }, 250) });
  const selected = new Set();  // sweeps ticked for comparison (kept across the list's refreshes)
  const compareButton = h('button', { type: 'button', id: 'compare-sweeps', disabled: true,
    title: 'Tick two or more sweeps to see their Pareto fronts on one plot',
    onclick: () => { location.hash = `#/compare-sweeps?ids=${[...selected].join(',')}`; } }, 'Compare sweeps');
  const onSelect = (id, on) => {
    if (on) selected.add(id); else selected.delete(id);
    compareButton.disabled = selected.size < 2;
    compareButton.textContent = selected.size ? `Compare sweeps (${selected.size})` : 'Compare sweeps';
  };
  container.append(
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Sweeps'),
        h('div', { class: 'sub' }, 'Every sweep in the shared result database. Open one to explore its Pareto front.')),
      h('div', { class: 'toolbar', id: 'templates' }, compareButton, h('a', { class: 'button primary', href: '#/new' }, '+ New sweep'))),
    h('div', { class: 'toolbar', style: { marginBottom: '8px' } }, search,
      tag ? h('span', { class: 'filter-chip', id: 'tag-filter' }, `Tag: ${tag} `, h('a', { href: '#/sweeps', 'aria-label': 'Show every sweep' }, '×')) : null),
    body);
  templateButtons(container.querySelector('#templates'));

  let timer = null;
  let stopped = false;
  async function refresh() {
    try {
      const filtered = Boolean(search.value.trim() || tag);
      const sweeps = (await api(`/api/sweeps${apiQuery({ q: search.value.trim(), tag })}`)).items.map(normalizeSweep);
      if (stopped) return;
      clear(body, sweeps.length ? table(sweeps, refresh, selected, onSelect)
        : filtered ? h('div', { class: 'card empty', id: 'no-sweep-matches' }, 'No sweep matches.') : emptyState());
      if (sweeps.some(isActive)) timer = setTimeout(refresh, POLL_MS);
    } catch (error) {
      if (stopped) return;
      clear(body, errorNotice(error, 'Could not list the sweeps'));
      timer = setTimeout(refresh, POLL_MS * 3);
    }
  }
  await refresh();
  prefetchPlotly();
  return () => { stopped = true; clearTimeout(timer); };
}

function emptyState() {
  return h('div', { class: 'card empty', 'data-testid': 'empty-state' },
    h('h2', {}, 'No sweeps yet'),
    h('p', {}, 'A sweep evaluates many accelerator designs for one or more Transformer models. ',
      'Pick the models, the sequence lengths and the hardware knobs to vary (array size, scratchpad, bandwidth…); ',
      'the workers simulate every design point and you explore the latency–energy–area Pareto front here.'),
    h('a', { class: 'button primary', href: '#/new' }, 'Create your first sweep'),
    h('p', { class: 'small' }, 'Tip: `make run` on a fresh database creates a small demo sweep. ',
      'The REST API is documented at ', h('a', { href: '/docs' }, '/docs'), '.'));
}

function table(sweeps, refresh, selected, onSelect) {
  const rows = sweeps.map((sweep) => h('tr', { 'data-sweep-id': String(sweep.id) },
    h('td', {}, h('input', { type: 'checkbox', class: 'compare-pick', 'aria-label': `Compare sweep ${sweep.name}`,
      checked: selected.has(sweep.id), onchange: (e) => onSelect(sweep.id, e.target.checked) })),
    h('td', {}, h('a', { href: `#/sweeps/${sweep.id}` }, sweep.name),
      (sweep.tags ?? []).map((t) => h('a', { class: 'tag', href: `#/sweeps?tag=${encodeURIComponent(t)}` }, t)),
      sweep.notes ? h('div', { class: 'small muted', title: sweep.notes }, sweep.notes.length > 90 ? `${sweep.notes.slice(0, 90)}…` : sweep.notes) : null,
      sweep.error
      ? h('div', { class: 'small', style: { color: 'var(--bad)' } }, sweep.error) : null),
    h('td', {}, modelNames(sweep.models) || '–'),
    h('td', { class: 'num' }, fmtCompact(sweep.total)),
    h('td', {}, statusBadge(sweep)),
    h('td', { style: { minWidth: '220px' } }, progressBar(sweep)),
    h('td', {}, sweep.createdBy ?? '–', h('div', { class: 'small muted' }, fmtDate(sweep.createdAt))),
    h('td', { class: 'num' }, actions(sweep, refresh))));
  return h('div', { class: 'card', style: { padding: 0 } },
    h('table', { class: 'data', 'aria-label': 'Sweeps' },
      h('thead', {}, h('tr', {}, ['', 'Name', 'Models', 'Points', 'Status', 'Progress', 'Created', ''].map(
        (title, i) => h('th', { class: i === 3 ? 'num' : undefined, scope: 'col' }, i === 0 ? h('span', { class: 'sr-only' }, 'Compare') : title)))),
      h('tbody', {}, rows)));
}

function actions(sweep, refresh) {
  const cancel = isActive(sweep) ? h('button', {
    type: 'button', title: 'Stop evaluating this sweep (results so far are kept)',
    onclick: async (event) => {
      event.target.disabled = true;
      try { await api(`/api/sweeps/${sweep.id}/cancel`, { method: 'POST' }); } catch (error) { alert(error.message); }
      refresh();
    },
  }, 'Cancel') : null;
  const remove = h('button', {
    type: 'button', class: 'danger', title: 'Delete this sweep and its results',
    onclick: async () => {
      if (!confirm(`Delete sweep "${sweep.name}" and all of its results?`)) return;
      try { await api(`/api/sweeps/${sweep.id}`, { method: 'DELETE' }); } catch (error) { alert(error.message); }
      refresh();
    },
  }, 'Delete');
  return h('div', { class: 'toolbar', style: { justifyContent: 'flex-end' } }, cancel, remove);
}

// Built-in templates (GET /api/templates): one click creates a sweep template's sweep and opens it, or opens a page
// template's page (which creates nothing).
async function templateButtons(toolbar) {
  let templates = [];
  try { templates = await api('/api/templates'); } catch { return; }
  for (const template of [...templates].reverse()) {  // prepended: the API's order, left to right
    if (template.page) {
      toolbar.prepend(h('a', { class: 'button template-button', 'data-template': template.id, href: template.page,
        title: template.description }, `Open: ${template.name}`));
      continue;
    }
    const button = h('button', { type: 'button', class: 'template-button', 'data-template': template.id,
      title: template.description }, `Run: ${template.name}`);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const created = await api('/api/sweeps', { method: 'POST', body: template.spec });
        location.hash = `#/sweeps/${created.id}`;
      } catch (error) {
        button.disabled = false;
        alert(`Could not create the sweep: ${error.message}`);
      }
    });
    toolbar.prepend(button);
  }
}
