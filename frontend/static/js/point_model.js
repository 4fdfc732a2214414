// Normalizes GET /api/points/{id} into metrics, parameters and operator rows; groups operators by class.

export const OP_CLASSES = [
  { key: 'projection', label: 'Projection GEMMs', colour: '#2458d6' },
  { key: 'attention', label: 'Attention GEMMs', colour: '#9b4dca' },
  { key: 'ffn', label: 'FFN GEMMs', colour: '#1f9e89' },
  { key: 'softmax', label: 'Softmax', colour: '#e1a100' },
  { key: 'normalization', label: 'Normalization', colour: '#d1495b' },
  { key: 'activation', label: 'Activation', colour: '#3c9d3c' },
  { key: 'other', label: 'Other', colour: '#8c8c8c' },
];
const KNOWN = new Set(OP_CLASSES.map((c) => c.key));

export function displayClass(opClass) {
  return KNOWN.has(opClass) ? opClass : 'other';
}

export function normalizePoint(raw) {
  const report = raw.report ?? {};
  const metrics = { ...(raw.metrics ?? {}), ...Object.fromEntries(Object.entries(report).filter(([, v]) => typeof v !== 'object')) };
  const ops = (report.ops ?? raw.ops ?? raw.operators ?? []).map((op) => ({
    ...op,
    dram_bytes: op.dram_bytes ?? op.bytes ?? 0,
    energy_j: op.energy_j ?? op.energy ?? 0,
    displayClass: displayClass(op.op_class),
  }));
  return {
    id: raw.id,
    sweepId: raw.sweep_id ?? null,
    parameters: raw.parameters ?? raw.params ?? {},
    accelerator: raw.accelerator ?? {},
    metrics,
    ops,
    error: raw.error ?? null,
  };
}

/** {class: {cycles, energy_j, flops}} over the display classes, in OP_CLASSES order. */
export function byClass(ops) {
  const totals = Object.fromEntries(OP_CLASSES.map((c) => [c.key, { cycles: 0, energy_j: 0, flops: 0, ops: 0 }]));
  for (const op of ops) {
    const t = totals[op.displayClass];
    t.cycles += op.cycles ?? 0;
    t.energy_j += op.energy_j ?? 0;
    t.flops += op.flops ?? 0;
    t.ops += 1;
  }
  return totals;
}

/** A parameter from wherever the API put it (point parameters, accelerator, metrics). */
export function param(point, ...names) {
  for (const name of names) {
    for (const source of [point.parameters, point.accelerator, point.metrics]) {
      if (source && source[name] !== undefined && source[name] !== null) return source[name];
    }
  }
  return undefined;
}
