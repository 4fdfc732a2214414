// What each metric and parameter is called, its unit and which direction is better.
// A built-in table covers the planned metric names; the API's catalog (when served) overrides it.

import { api, listOf } from './api.js';

const BUILTIN = {
  latency_s: { label: 'Latency', unit: 's', direction: 'min', kind: 'metric' },
  latency_cycles: { label: 'Latency', unit: 'cycles', direction: 'min', kind: 'metric' },
  throughput_per_s: { label: 'Throughput', unit: 'inf/s', direction: 'max', kind: 'metric' },
  energy_j: { label: 'Energy', unit: 'J', direction: 'min', kind: 'metric' },
  edp_j_s: { label: 'Energy-delay product', unit: 'J·s', direction: 'min', kind: 'metric' },
  area_mm2: { label: 'Area', unit: 'mm²', direction: 'min', kind: 'metric' },
  power_w: { label: 'Power', unit: 'W', direction: 'min', kind: 'metric' },
  utilization: { label: 'Utilization', unit: '%', direction: 'max', kind: 'metric' },
  dram_bytes: { label: 'DRAM traffic', unit: 'B', direction: 'min', kind: 'metric' },
  macs: { label: 'MACs', unit: 'MACs', direction: 'min', kind: 'metric' },
  bottleneck: { label: 'Bottleneck', unit: '', kind: 'metric', categorical: true },
  quality_loss: { label: 'Quality loss (published estimate)', unit: '', direction: 'min', kind: 'metric' },
  rows: { label: 'Array rows', unit: 'PEs', kind: 'parameter' },
  cols: { label: 'Array columns', unit: 'PEs', kind: 'parameter' },
  scratchpad_kib: { label: 'Scratchpad', unit: 'KiB', kind: 'parameter' },
  accumulator_kib: { label: 'Accumulator', unit: 'KiB', kind: 'parameter' },
  dram_bytes_per_cycle: { label: 'DRAM bandwidth', unit: 'B/cycle', kind: 'parameter' },
  clock_mhz: { label: 'Clock', unit: 'MHz', kind: 'parameter' },
  seq_len: { label: 'Sequence length', unit: 'tokens', kind: 'parameter' },
  batch: { label: 'Batch', unit: '', kind: 'parameter' },
  model: { label: 'Model', unit: '', kind: 'parameter', categorical: true },
  dataflow: { label: 'Dataflow', unit: '', kind: 'parameter', categorical: true },
};

const SUFFIX_UNITS = [['_kib', 'KiB'], ['_mib', 'MiB'], ['_bytes', 'B'], ['_mm2', 'mm²'], ['_j', 'J'],
  ['_w', 'W'], ['_s', 's'], ['_mhz', 'MHz'], ['_ghz', 'GHz'], ['_cycles', 'cycles'], ['_bits', 'bits']];

const catalog = { ...BUILTIN };
let loaded = null;

export function loadCatalog() {
  loaded ??= (async () => {
    for (const path of ['/api/catalog', '/api/metrics']) {
      try {
        const data = await api(path);
        const entries = Array.isArray(data) ? data : [...listOf(data, 'metrics'), ...(data?.parameters ?? [])];
        for (const entry of entries) {
          if (!entry?.name) continue;
          catalog[entry.name] = { ...(catalog[entry.name] || {}), ...entry };
        }
        catalog.utilization.unit = '%';  // a 0..1 fraction, shown as a percentage
        return catalog;
      } catch { /* not served: keep the built-in table */ }
    }
    return catalog;
  })();
  return loaded;
}

export function info(name) {
  if (catalog[name]) return { name, ...catalog[name] };
  if (name?.startsWith('energy_') && name.endsWith('_j')) {
    return { name, label: `Energy (${name.slice(7, -2).replaceAll('_', ' ')})`, unit: 'J', direction: 'min', kind: 'metric' };
  }
  const suffix = SUFFIX_UNITS.find(([end]) => name?.endsWith(end));
  const base = suffix ? name.slice(0, -suffix[0].length) : name ?? '';
  const label = base.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
  return { name, label, unit: suffix ? suffix[1] : '', kind: 'unknown' };
}

/** "Latency (s)" — for axis titles and table headers. */
export function titleOf(name) {
  const { label, unit } = info(name);
  return unit ? `${label} (${unit})` : label;
}

export function isMetric(name) {
  const entry = info(name);
  return entry.kind === 'metric' || (entry.kind !== 'parameter' && entry.direction !== undefined);
}

export function direction(name) {
  return info(name).direction === 'max' ? 'max' : 'min';
}

export const DEFAULT_OBJECTIVES = ['latency_s', 'energy_j'];
export const CORE_METRICS = ['latency_s', 'energy_j', 'edp_j_s', 'area_mm2', 'power_w', 'throughput_per_s',
  'utilization', 'dram_bytes', 'latency_cycles'];
