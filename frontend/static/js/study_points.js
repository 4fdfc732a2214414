// What a template's study page reads of its points: each point in full (GET /api/points/{id}: parameters, metrics,
// the report's per-op rows and notes), fetched once; a study sweep is small, so the page reads every point.

import { api } from './api.js';
import { clear, errorNotice } from './dom.js';
import { isActive } from './sweep_model.js';

export const MAX_STUDY_POINTS = 64;

/** Points by id, each fetched once; `load(ids)` gives those it has (at most MAX_STUDY_POINTS). */
export function pointCache() {
  const points = new Map();
  return {
    async load(ids) {
      const wanted = Array.from(ids).slice(0, MAX_STUDY_POINTS);  // ids may come as a typed array
      const missing = wanted.filter((id) => !points.has(id));
      const loaded = await Promise.all(missing.map((id) => api(`/api/points/${id}`)));
      loaded.forEach((point, k) => points.set(missing[k], point));
      return wanted.map((id) => points.get(id));
    },
  };
}

/** Summed cycles, compute cycles and DRAM bytes of a point's report rows that `keep` selects. */
export function opTotals(point, keep) {
  const totals = { cycles: 0, computeCycles: 0, dramBytes: 0, rows: 0 };
  for (const op of point.report?.ops ?? []) {
    if (!keep(op)) continue;
    totals.cycles += op.cycles;
    totals.computeCycles += op.compute_cycles;
    totals.dramBytes += op.dram_bytes;
    totals.rows += 1;
  }
  return totals;
}

/** A relative change as the survey writes it: "−36%", "+83%" (one decimal under 10%). */
export function changeText(fraction) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  const percent = fraction * 100;
  const digits = Math.abs(percent) < 10 ? 1 : 0;
  const text = Math.abs(percent).toFixed(digits);
  if (Number(text) === 0) return '0%';
  return `${percent < 0 ? '−' : '+'}${text}%`;
}

/** A published change in percent exactly as the paper gives it: "−4%", "+83%". */
export function publishedText(percent) {
  if (!Number.isFinite(percent)) return '–';
  return percent === 0 ? '0%' : `${percent < 0 ? '−' : '+'}${Math.abs(percent)}%`;
}

/** 'better' (negative: fewer cycles), 'worse' or '' for a change. */
export function changeClass(fraction) {
  if (!Number.isFinite(fraction) || Math.abs(fraction) < 0.0005) return '';
  return fraction < 0 ? 'better' : 'worse';
}

/** What the page can say about the points still to come, or null when every point is in. */
export function progressNote(sweep, evaluated) {
  if (evaluated >= sweep.total) return null;
  if (isActive(sweep)) {
    return evaluated ? `${evaluated} of ${sweep.total} points evaluated; the rest fill in as the workers finish them.`
      : `Waiting for the workers' first results (${sweep.total} points to evaluate)…`;
  }
  return `${evaluated} of ${sweep.total} points have a result; the others failed or were not evaluated`
    + `${sweep.status === 'cancelled' ? ' (the sweep was cancelled)' : ' (the banner above says why)'}.`;
}

/** The study's evaluated points (failed ones left out), or null after showing why they could not be loaded. */
export async function studyPoints(cache, ids, body) {
  try {
    return (await cache.load(ids)).filter((p) => p && !p.error);
  } catch (error) {
    clear(body, errorNotice(error, 'Could not load the study\'s points'));
    return null;
  }
}
