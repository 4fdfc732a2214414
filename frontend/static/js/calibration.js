// A calibrated accelerator says so wherever it is shown: its `calibration` (GET /api/presets/accelerators,
// /api/accelerators, /api/points/{id}) as a label, with what was fitted in its tooltip.

import { h } from './dom.js';

const number = (x) => (Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en') : String(Number(x.toPrecision(4))));

/** "Fitted to survey.csv, 2026-12-06 from gemmini-default: host_cycles_per_element_softmax 40 → 128.4, …". */
export function calibrationDetail(calibration) {
  const fitted = Object.entries(calibration.fitted).map(([field, v]) => `${field} ${number(v.before)} → ${number(v.after)}`);
  const loo = calibration.leave_one_out;
  const predicted = loo.rows_predicted
    ? `leave-one-out median ${(100 * loo.median_abs_error).toFixed(1)}%, max ${(100 * loo.max_abs_error).toFixed(1)}%`
    : 'no row predictable by a refit without it';
  return `Fitted to ${calibration.file}, ${calibration.date} from ${calibration.base_preset} (${calibration.rows} rows): `
    + `${fitted.join(', ')}. RMS log error ${calibration.rms_log_error.toPrecision(3)}; ${predicted}.`;
}

/** The visible label of a calibrated accelerator. */
export function calibrationTag(calibration, id) {
  return h('span', { class: 'tag calibrated', id, title: calibrationDetail(calibration) }, calibration.label);
}
