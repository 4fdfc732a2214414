// Number formatting with units: SI prefixes for s, J, W, B; compact counts; dates and durations.

const SI = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n'], [1e-12, 'p']];
const SI_UNITS = new Set(['s', 'J', 'W', 'B', 'J·s', 'FLOP', 'Hz', 'B/s', 'FLOP/s']);

export function fmtNumber(value, digits = 3) {
  if (value === null || value === undefined || value === '') return '–';
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export function fmtValue(value, unit = '', digits = 3) {
  if (value === null || value === undefined || value === '') return '–';
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  if (unit === '%') return `${(value * 100).toFixed(1)} %`;
  if (SI_UNITS.has(unit) && value !== 0) {
    const abs = Math.abs(value);
    for (const [scale, prefix] of SI) {
      if (abs >= scale * 0.9995) return `${Number((value / scale).toPrecision(digits))} ${prefix}${unit}`;
    }
    return `${value.toExponential(digits - 1)} ${unit}`;
  }
  if (unit === 'cycles' || unit === 'MACs' || unit === 'count') return `${fmtCompact(value)}${unit === 'count' ? '' : ` ${unit}`}`;
  const text = fmtNumber(value, digits);
  return unit ? `${text} ${unit}` : text;
}

export function fmtCompact(value) {
  if (typeof value !== 'number') return String(value ?? '–');
  return Intl.NumberFormat('en-US', { notation: 'compact', maximumSignificantDigits: 3 }).format(value);
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1) return '<1 s';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function fmtDate(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Ticks for a log axis over [lo, hi]: 1, 2, 5 × 10ⁿ (only 1 × 10ⁿ past six decades), each labelled in full with
 * its unit ("500 ms", "1 s", "2 s"), so a label never reads as a bare leading digit. Plotly axis attributes;
 * none for a span without two such ticks. */
export function logAxisTicks(lo, hi, unit = '') {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return {};
  if (hi < lo) [lo, hi] = [hi, lo];
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const steps = last - first > 6 ? [1] : [1, 2, 5];
  const tickvals = [];
  for (let exponent = first; exponent <= last; exponent += 1) {
    for (const step of steps) {
      const value = Number((step * 10 ** exponent).toPrecision(1));
      if (value >= lo / 1.5 && value <= hi * 1.5) tickvals.push(value);
    }
  }
  if (tickvals.length < 2) return {};  // a span within a factor of ~2: Plotly's own ticks are full numbers there
  return { tickmode: 'array', tickvals, ticktext: tickvals.map((v) => fmtValue(v, unit, 1)) };
}
