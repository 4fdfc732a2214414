// Sweeps list: every sweep in the shared database with live progress; empty state for a new user.

import { api } from '../api.js';
import { clear, errorNotice, h } from '../dom.js';
import { fmtCompact, fmtDate } from '../format.js';
import { isActive, modelNames, normalizeSweep } from '../sweep_model.js';
import { progressBar, statusBadge } from './progress_bar.js';
import { prefetchPlotly } from '../plotly_loader.js';

const POLL_MS = 2000;

export async function render(container) {
  const body = h('div', {});
  container.append(
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Sweeps'),
        h('div', { class: 'sub' }, 'Every sweep in the shared result database. Open one to explore its Pareto front.')),
      h('div', { class: 'toolbar', id: 'templates' }, h('a', { class: 'button primary', href: '#/new' }, '+ New sweep'))),
    body);
  templateButtons(container.querySelector('#templates'));

  let timer = null;
  let stopped = false;
  async function refresh() {
    try {
      const sweeps = (await api('/api/sweeps')).items.map(normalizeSweep);
      if (stopped) return;
      clear(body, sweeps.length ? table(sweeps, refresh) : emptyState());
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

function table(sweeps, refresh) {
  const rows = sweeps.map((sweep) => h('tr', { 'data-sweep-id': String(sweep.id) },
    h('td', {}, h('a', { href: `#/sweeps/${sweep.id}` }, sweep.name), sweep.error
      ? h('div', { class: 'small', style: { color: 'var(--bad)' } }, sweep.error) : null),
    h('td', {}, modelNames(sweep.models) || '–'),
    h('td', { class: 'num' }, fmtCompact(sweep.total)),
    h('td', {}, statusBadge(sweep)),
    h('td', { style: { minWidth: '220px' } }, progressBar(sweep)),
    h('td', {}, sweep.createdBy ?? '–', h('div', { class: 'small muted' }, fmtDate(sweep.createdAt))),
    h('td', { class: 'num' }, actions(sweep, refresh))));
  return h('div', { class: 'card', style: { padding: 0 } },
    h('table', { class: 'data', 'aria-label': 'Sweeps' },
      h('thead', {}, h('tr', {}, ['Name', 'Models', 'Points', 'Status', 'Progress', 'Created', ''].map(
        (title, i) => h('th', { class: i === 2 ? 'num' : undefined, scope: 'col' }, title)))),
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

// Built-in templates (GET /api/templates): one click creates the sweep and opens it.
async function templateButtons(toolbar) {
  let templates = [];
  try { templates = await api('/api/templates'); } catch { return; }
  for (const template of templates) {
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
