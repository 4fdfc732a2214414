// Normalizes a sweep as the API answers it into the fields the views show.

export function normalizeSweep(raw) {
  const spec = raw.spec ?? {};
  const total = raw.total ?? raw.total_points ?? raw.size ?? raw.point_count ?? raw.points_total ?? 0;
  const done = raw.done ?? raw.done_points ?? raw.completed ?? raw.points_done ?? 0;
  return {
    id: raw.id,
    name: raw.name ?? spec.name ?? `Sweep ${raw.id}`,
    models: raw.models ?? spec.models ?? [],
    status: raw.status ?? 'queued',
    total,
    done,
    failedPoints: raw.failed ?? raw.failed_points ?? 0,
    pointsPerS: raw.points_per_s ?? raw.rate_per_s ?? null,
    etaS: raw.eta_s ?? raw.eta_seconds ?? null,
    createdBy: raw.owner ?? raw.created_by ?? raw.user ?? null,
    progress: raw.progress ?? null,
    createdAt: raw.created_at ?? null,
    finishedAt: raw.finished_at ?? null,
    error: raw.error ?? raw.error_message ?? null,
    strategy: raw.strategy ?? spec.strategy ?? 'grid',
    objectives: raw.objectives ?? spec.objectives ?? [],
    axes: raw.axes ?? spec.axes ?? {},
    scenarios: raw.scenarios ?? spec.scenarios ?? [],
    accelerator: raw.accelerator ?? spec.accelerator ?? null,
    search: raw.search ?? null,  // strategy `search`: sampler, budget, hypervolume per batch
    spec,
  };
}

export const ACTIVE_STATUSES = new Set(['queued', 'running', 'pending', 'started']);

export function isActive(sweep) {
  return ACTIVE_STATUSES.has(sweep.status);
}

export function modelNames(models) {
  return (models || []).map((m) => (typeof m === 'string' ? m : m?.name ?? m?.preset ?? 'custom')).join(', ');
}
