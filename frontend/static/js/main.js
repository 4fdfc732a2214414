// The app shell: a hash router (#/sweeps, #/sweeps/7?x=…, #/new, #/points/42, #/compare?ids=1,2,
// #/compare-sweeps?ids=3,7, #/landscape?gemms=512x768x768&accelerator=gemmini-default, #/validate, #/serving).
// Each view module exports render(container, params, query) and may return a cleanup function.

import { clear, errorNotice, h } from './dom.js';
import { startHealthIndicator } from './health.js';
import { startAccount } from './account.js';
import { loadCatalog, resetDisplayUnits } from './catalog.js';

const ROUTES = [
  { pattern: /^\/?$/, nav: 'sweeps', load: () => import('./views/sweeps_list.js') },
  { pattern: /^\/sweeps\/?$/, nav: 'sweeps', load: () => import('./views/sweeps_list.js') },
  { pattern: /^\/new\/?$/, nav: 'new', load: () => import('./views/new_sweep.js') },
  { pattern: /^\/sweeps\/(?<id>\d+)\/?$/, nav: 'sweeps', load: () => import('./views/sweep_view.js') },
  { pattern: /^\/points\/(?<id>\d+)\/?$/, nav: 'sweeps', load: () => import('./views/point_view.js') },
  { pattern: /^\/compare\/?$/, nav: 'compare', load: () => import('./views/compare_view.js') },
  { pattern: /^\/compare-sweeps\/?$/, nav: 'sweeps', load: () => import('./views/compare_sweeps_view.js') },
  { pattern: /^\/landscape\/?$/, nav: 'sweeps', load: () => import('./views/landscape_view.js') },
  { pattern: /^\/validate\/?$/, nav: 'validate', load: () => import('./views/validate_view.js') },
  { pattern: /^\/serving\/?$/, nav: 'serving', load: () => import('./views/serving_view.js') },
];

const container = document.getElementById('view');
let cleanup = null;
let renderCount = 0;

export function parseHash(hash = location.hash) {
  const text = hash.replace(/^#/, '') || '/sweeps';
  const [path, search = ''] = text.split('?');
  return { path, query: new URLSearchParams(search) };
}

async function route() {
  const token = ++renderCount;
  const { path, query } = parseHash();
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  resetDisplayUnits();
  const match = ROUTES.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('active', match?.r.nav === a.dataset.nav));
  if (!match) {
    clear(container, h('div', { class: 'card empty' }, h('h2', {}, 'Page not found'),
      h('p', {}, `Nothing lives at #${path}.`), h('a', { class: 'button primary', href: '#/sweeps' }, 'Go to the sweeps')));
    return;
  }
  clear(container, h('div', { class: 'spinner', role: 'status' }, 'Loading…'));
  try {
    const [view] = await Promise.all([match.r.load(), loadCatalog()]);
    if (token !== renderCount) return;
    clear(container);
    const result = await view.render(container, match.m.groups || {}, query);
    if (token !== renderCount) { if (typeof result === 'function') result(); return; }
    cleanup = result;
  } catch (error) {
    if (token !== renderCount) return;
    console.error(error);
    clear(container, errorNotice(error, 'This view could not be shown'));
  }
}

window.addEventListener('hashchange', route);
startHealthIndicator(document.getElementById('health'));
startAccount(document.getElementById('account'));
route();
