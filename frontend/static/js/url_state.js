// The sweep view's state in the URL, compactly: #/sweeps/7?x=latency_s&y=energy_j&z=area_mm2&v=3d&c=rows&g=model,seq_len&log=xy&f=rows:8:16,area_mm2:0:1.5
// (g: the columns whose every combination of values gets its own front; '-' for one front over all points;
// b: the baseline point's id, for the ratio columns; e=1: error bars from the metrics' measured-model bands)
// Numbers are written with 4 significant digits so a shared link stays short.

const KEYS = ['x', 'y', 'z', 'v', 'c', 'g', 'b', 'log', 'f', 'front', 'e'];

export function readState(query, defaults) {
  const state = { ...defaults, filters: {} };
  for (const key of KEYS) if (query.has(key)) state[key] = query.get(key);
  state.logX = (state.log ?? '').includes('x');
  state.logY = (state.log ?? '').includes('y');
  for (const part of (query.get('f') || '').split(',').filter(Boolean)) {
    const [name, lo, hi] = part.split(':');
    if (name && lo !== undefined && hi !== undefined) {
      state.filters[name] = [lo === '' ? -Infinity : Number(lo), hi === '' ? Infinity : Number(hi)];
    }
  }
  return state;
}

/** 4 significant digits, rounded outwards (down for a lower bound, up for an upper) so no row is lost. */
function short(value, roundUp) {
  if (!Number.isFinite(value)) return '';  // open-ended: f=rows:16: means rows >= 16
  if (value === 0) return '0';
  const step = 10 ** (Math.floor(Math.log10(Math.abs(value))) - 3);
  const rounded = (roundUp ? Math.ceil(value / step) : Math.floor(value / step)) * step;
  return Number(rounded.toPrecision(4)).toString();
}

export function writeState(path, state, defaults) {
  const params = new URLSearchParams();
  for (const key of ['x', 'y', 'z', 'v', 'c', 'g', 'b', 'front', 'e']) {
    if (state[key] && state[key] !== defaults[key]) params.set(key, state[key]);
  }
  const log = `${state.logX ? 'x' : ''}${state.logY ? 'y' : ''}`;
  if (log !== (defaults.log ?? '')) params.set('log', log || '-');
  const filters = Object.entries(state.filters || {}).map(([name, [lo, hi]]) => `${name}:${short(lo, false)}:${short(hi, true)}`);
  if (filters.length) params.set('f', filters.join(','));
  const search = params.toString().replaceAll('%3A', ':').replaceAll('%2C', ',').replaceAll('%2B', '+');
  const hash = `#${path}${search ? `?${search}` : ''}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
  return hash;
}
