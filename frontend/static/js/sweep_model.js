// A sweep as the views use it, from GET /api/sweeps/{id} (SweepOut in the OpenAPI document).

import { vocabulary } from './catalog.js';

export function normalizeSweep(raw) {
  return {
    id: raw.id,
    name: raw.name,
    tags: raw.tags ?? [],
    notes: raw.notes ?? '',
    models: raw.spec.models,
    status: raw.status,
    total: raw.total_points,
    done: raw.done_points,
    failedPoints: raw.failed_points,
    pointsPerS: raw.points_per_s,
    etaS: raw.eta_s,
    createdBy: raw.owner,
    progress: raw.progress,
    createdAt: raw.created_at,
    finishedAt: raw.finished_at,
    error: raw.error,
    strategy: raw.spec.strategy ?? 'grid',
    objectives: raw.objectives,
    varied: raw.varied,  // the result columns the sweep varies, from the server
    search: raw.search,  // strategy `search`: sampler, budget, hypervolume per batch
    spec: raw.spec,
  };
}

export const ACTIVE_STATUSES = new Set(['queued', 'running']);

export function isActive(sweep) {
  return ACTIVE_STATUSES.has(sweep.status);
}

export function modelNames(models) {
  return models.join(', ');
}

/** The columns that tell a sweep's workloads apart: the model when it has several, and each scenario field (the
 * catalog's, in its order) that takes more than one value. Designs are compared (one Pareto front) only within a
 * workload. */
export function workloadColumns(spec) {
  const columns = (spec.models ?? []).length > 1 ? ['model'] : [];
  const scenarios = spec.scenarios ?? [];
  for (const { name: field } of vocabulary.parameters.filter((p) => p.source === 'scenario')) {
    const values = new Set(scenarios.map((scenario) => JSON.stringify(scenario[field] ?? null)));
    if (values.size > 1 || field in (spec.scenario_axes ?? {})) columns.push(field);
  }
  return columns;
}
