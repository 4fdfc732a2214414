// Loads a sweep's results as columns ({name: array}) through GET /api/sweeps/{id}/results, page by page.

import { api, ApiError, query } from './api.js';

const PAGE_ROWS = 100000;  // x the wanted columns stays under the server's 5,000,000 values per page

/** In a Web Worker when possible (parsing stays off the main thread); the same request on the main thread otherwise.
 * `options.sample`: a first view of a huge sweep, one page of about that many points (every n-th one, and every point
 * of the fronts `options.keepFront` names, grouped by `options.keepFrontGroupBy`, over the points `options.filters`
 * keeps); the answer says `sampled` when it holds fewer points than match. */
export async function loadResults(sweepId, columns, options = {}) {
  if (typeof Worker === 'undefined') return loadResultsHere(sweepId, columns, options);
  try {
    return await loadInWorker(sweepId, columns, options);
  } catch (error) {
    if (columns && error.status >= 400 && error.status < 500 && error.status !== 404) return loadInWorker(sweepId, null, options);
    throw error;
  }
}

function sampleQuery({ sample, keepFront, keepFrontGroupBy, filters = [] }) {
  if (!sample) return '';
  const search = new URLSearchParams({ sample: String(sample) });
  if (keepFront) search.set('keep_front', keepFront);
  if (keepFrontGroupBy) search.set('keep_front_group_by', keepFrontGroupBy);
  for (const filter of filters) search.append('filter', filter);
  return `&${search.toString()}`;
}

function loadInWorker(sweepId, columns, options = {}) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/js/results_worker.js');
    const url = `${location.origin}/api/sweeps/${sweepId}/results${query({ columns }) || '?'}${sampleQuery(options)}`;
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.error) {
        reject(new ApiError(data.error.status, typeof data.error.detail === 'string' ? data.error.detail
          : JSON.stringify(data.error.detail)));
        return;
      }
      const ids = data.columns.id ?? data.columns.point_id ?? [];
      resolve({ columns: data.columns, ids, count: ids.length, total: data.total,
        sampled: Boolean(options.sample) && ids.length < data.total });
    };
    worker.onerror = (event) => { worker.terminate(); reject(new ApiError(0, event.message || 'the results worker failed')); };
    worker.postMessage({ url, pageRows: options.sample ? PAGE_ROWS * 2 : PAGE_ROWS, single: Boolean(options.sample) });
  });
}

async function loadResultsHere(sweepId, columns, { signal } = {}) {  // every point (no sampled first view here)
  let wanted = columns;
  const merged = {};
  let total = null;
  let offset = 0;
  for (;;) {
    let data;
    try {
      data = await api(`/api/sweeps/${sweepId}/results${query({ columns: wanted, limit: PAGE_ROWS, offset })}`, { signal });
    } catch (error) {
      // An unknown column name is a 4xx: ask again for every column rather than show nothing.
      if (wanted && error.status >= 400 && error.status < 500 && error.status !== 404) { wanted = null; continue; }
      throw error;
    }
    const cols = data.columns ?? {};
    const names = Object.keys(cols);
    const rows = names.length ? cols[names[0]].length : 0;
    for (const name of names) merged[name] = merged[name] ? merged[name].concat(cols[name]) : cols[name];
    total = data.total ?? rows;
    offset += rows;
    if (!rows || offset >= total || rows < Math.min(PAGE_ROWS, data.limit ?? PAGE_ROWS)) break;
  }
  const ids = merged.id ?? merged.point_id ?? [];
  return { columns: merged, ids, count: ids.length || offset, total: total ?? offset };
}

/** Distinct values of a column (for colour classes and for telling which parameters vary). */
export function distinct(values, cap = 64) {
  const seen = new Set();
  for (const v of values) {
    seen.add(v);
    if (seen.size > cap) break;
  }
  return [...seen];
}
