// GET /api/points/{id} (PointOut) as the views use it; operators grouped by the catalog's op classes.

import { vocabulary } from './catalog.js';

const PALETTE = ['#2458d6', '#9b4dca', '#1f9e89', '#e1a100', '#d1495b', '#3c9d3c', '#7a5c3e', '#0f8fb3', '#b0487a',
  '#5a6acf', '#8aa32c', '#c46f1b', '#6b7280'];

/** Every op class the simulator reports ({key, label, colour}), in the catalog's order. */
export function opClasses() {
  return vocabulary.opClasses.map((c, k) => ({ key: c.name, label: c.label, colour: PALETTE[k % PALETTE.length] }));
}

export function normalizePoint(raw) {
  return {
    id: raw.id,
    sweepId: raw.sweep_id,
    parameters: raw.parameters,
    accelerator: raw.accelerator,
    inputs: raw.inputs,
    metrics: raw.metrics,
    report: raw.report,
    ops: raw.report?.ops ?? [],
    error: raw.error,
    calibration: raw.calibration,  // null unless the accelerator is calibrated to measurements
  };
}

/** {class: {cycles, energy_j, flops, ops}} over every op class, in the catalog's order. */
export function byClass(ops) {
  const totals = Object.fromEntries(vocabulary.opClasses.map((c) => [c.name, { cycles: 0, energy_j: 0, flops: 0, ops: 0 }]));
  for (const op of ops) {
    const t = totals[op.op_class];
    t.cycles += op.cycles;
    t.energy_j += op.energy_j;
    t.flops += op.flops;
    t.ops += 1;
  }
  return totals;
}

/** A parameter or metric of the point (parameters hold every accelerator field too). */
export function param(point, name) {
  return point.parameters[name] ?? point.metrics[name] ?? undefined;
}
