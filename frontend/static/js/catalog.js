// What each metric and parameter is called, its unit, type and which direction is better: GET /api/catalog, the
// simulator's own declaration (simulator/catalog.py). Nothing here names a metric or a parameter by hand, except
// the result rows' own columns and how a unit is displayed.

import { api } from './api.js';

// Columns of every result row besides the catalog's parameters and metrics.
const ROW_COLUMNS = {
  id: { label: 'Point id', unit: '', kind: 'row', type: 'int' },
  point_index: { label: 'Index in the sweep', unit: '', kind: 'row', type: 'int' },
  error: { label: 'Error', unit: '', kind: 'row', type: 'str', categorical: true },
};
// Fractions the dashboard shows as percentages (display only: the API serves 0..1).
const PERCENT = new Set(['utilization']);

const entries = { ...ROW_COLUMNS };
export const vocabulary = { metrics: [], parameters: [], opClasses: [], phases: [], bounds: [], statuses: [], ratios: [] };
let loaded = null;

export function loadCatalog() {
  loaded ??= api('/api/catalog').then((data) => {
    vocabulary.ratios = data.ratios ?? [];
    for (const entry of [...data.metrics, ...data.parameters]) {
      entries[entry.name] = PERCENT.has(entry.name) ? { ...entry, unit: '%' } : entry;
    }
    for (const ratio of data.ratios ?? []) {  // against a baseline point: computed, never stored
      entries[ratio.name] = { ...ratio, unit: '×', kind: 'ratio', type: 'float' };
    }
    Object.assign(vocabulary, { metrics: data.metrics, parameters: data.parameters, opClasses: data.op_classes,
      phases: data.phases, bounds: data.bounds, statuses: data.statuses });
    return vocabulary;
  });
  return loaded;
}

// Units a view learns from its data (the quality column's published metric: "F1 points"), over the catalog's.
const displayUnits = {};

/** A view's unit for a column whose unit depends on the data (set to '' to fall back to the catalog's). */
export function setDisplayUnit(name, unit) {
  if (unit) displayUnits[name] = unit; else delete displayUnits[name];
}

/** Every view starts from the catalog's units (main.js, on each route). */
export function resetDisplayUnits() {
  for (const name of Object.keys(displayUnits)) delete displayUnits[name];
}

/** The catalog entry of a column (a name the catalog does not know is labelled by itself). */
export function info(name) {
  const entry = { name, ...(entries[name] ?? { label: String(name ?? ''), unit: '', kind: 'unknown' }) };
  return displayUnits[name] ? { ...entry, unit: displayUnits[name] } : entry;
}

/** "Latency (s)" — for axis titles and table headers. */
export function titleOf(name) {
  const { label, unit } = info(name);
  return unit ? `${label} (${unit})` : label;
}

export function isMetric(name) {
  return info(name).kind === 'metric';
}

export function direction(name) {
  return info(name).direction === 'max' ? 'max' : 'min';
}

/** Numeric metrics, in the catalog's order (objectives, axes of the scatter). */
export function numericMetrics() {
  return vocabulary.metrics.filter((m) => !m.categorical).map((m) => m.name);
}

/** The headline metrics (the catalog marks them): what the sweep view loads besides the objectives. */
export function headlineMetrics() {
  return vocabulary.metrics.filter((m) => m.headline).map((m) => m.name);
}

/** Parameters a sweep may vary, from one source ("accelerator", "options", "model", "scenario"). */
export function sweepable(source) {
  return vocabulary.parameters.filter((p) => p.sweepable && p.source === source);
}

export const DEFAULT_OBJECTIVES = ['latency_s', 'energy_j'];
