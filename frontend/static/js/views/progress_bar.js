// A sweep's progress: bar, done/total, points/s and ETA.

import { h } from '../dom.js';
import { fmtCompact, fmtDuration } from '../format.js';
import { isActive } from '../sweep_model.js';

export function progressBar(sweep) {
  const fraction = sweep.progress ?? (sweep.total ? Math.min(1, (sweep.done + sweep.failedPoints) / sweep.total) : 0);
  const percent = Math.round(fraction * 100);
  const count = (n) => (n < 1e6 ? Number(n).toLocaleString('en-US') : fmtCompact(n));
  const parts = [`${count(sweep.done)} / ${count(sweep.total)} points`];
  if (sweep.failedPoints) parts.push(`${count(sweep.failedPoints)} failed`);
  if (isActive(sweep) && sweep.pointsPerS) parts.push(`${fmtCompact(sweep.pointsPerS)} pts/s`);
  if (isActive(sweep) && sweep.etaS !== null && sweep.etaS !== undefined) parts.push(`ETA ${fmtDuration(sweep.etaS)}`);
  return h('div', { class: 'progress-cell' },
    h('div', {
      class: `progress ${sweep.status}`, role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
      'aria-valuenow': String(percent), 'aria-label': `${sweep.name} progress`,
    }, h('span', { style: { width: `${percent}%` } })),
    h('div', { class: 'progress-text' }, parts.join(' · ')));
}

/** The status, and for a finished sweep whose points partly failed, how many ("done · 12 failed"). */
export function statusBadge(sweep) {
  const partial = sweep.status === 'done' && sweep.failedPoints > 0;
  return h('span', { class: `badge ${sweep.status}${partial ? ' partial' : ''}`,
    title: partial ? `${sweep.failedPoints.toLocaleString('en-US')} of ${sweep.total.toLocaleString('en-US')} points failed; see the sweep's error` : undefined },
  partial ? `${sweep.status} · ${fmtCompact(sweep.failedPoints)} failed` : sweep.status);
}
