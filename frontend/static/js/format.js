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
  // NaN: a missing value in a numeric column (the results worker's typed arrays hold null as NaN)
  if (value === null || value === undefined || value === '' || Number.isNaN(value)) return '–';
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

const MANTISSAS = [1, 2, 5];
const nice = (value) => Number(value.toPrecision(12));  // 0.30000000000000004 -> 0.3

/** Tick labels that tell neighbours apart: enough significant digits for the step between ticks. */
function tickLabels(values, unit, step) {
  const biggest = Math.max(...values.map(Math.abs));
  const digits = Math.min(8, Math.max(1, Math.ceil(Math.log10(biggest / step) + 1e-9) + 1));
  return values.map((v) => fmtValue(v, unit, digits));
}

/** Evenly spaced ticks over [lo, hi], 1, 2 or 5 × 10ⁿ apart, about `count` of them (all inside the span). */
export function linearTickValues(lo, hi, count = 6) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) return { values: [], step: 0 };
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = nice(power * (MANTISSAS.find((m) => m * power >= raw) ?? 10));
  const values = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) values.push(nice(k * step));
  return { values, step };
}

/** Ticks for an axis showing the data span [lo, hi], as Plotly axis attributes: every label a full number with its
 * unit ("280 mJ", "1 s"), all inside the span, so an axis never goes without numbers. A log axis over a few decades
 * gets 1, 2, 5 × 10ⁿ; past three decades one tick per decade (fewer past twelve); a span too narrow for three of
 * those (inside one decade, or across one boundary) gets evenly spaced ticks like a linear axis. A linear axis
 * (`log` false) always gets evenly spaced ones. None ({}) for an empty span or non-positive values on a log axis. */
export function axisTicks(lo, hi, unit = '', log = true) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return {};
  if (hi < lo) [lo, hi] = [hi, lo];
  if (log && !(lo > 0)) return {};
  if (hi === lo) {
    const values = [lo];
    return { tickmode: 'array', tickvals: values, ticktext: tickLabels(values, unit, Math.abs(lo) / 100 || 1) };
  }
  if (log) {
    const values = logTickValues(lo, hi);
    if (values.length >= 3) {
      return { tickmode: 'array', tickvals: values, ticktext: values.map((v) => fmtValue(v, unit, 1)) };
    }
  }
  const { values, step } = linearTickValues(lo, hi, 6);
  if (values.length < 2) return {};
  return { tickmode: 'array', tickvals: values, ticktext: tickLabels(values, unit, step) };
}

/** 1, 2, 5 × 10ⁿ inside [lo, hi] (one per decade past three decades, one per few decades past twelve). */
function logTickValues(lo, hi) {
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const decades = Math.log10(hi / lo);
  const steps = decades > 3 ? [1] : MANTISSAS;
  const every = Math.max(1, Math.ceil(decades / 12));
  const slack = 1e-9 * (hi - lo);
  const values = [];
  for (let exponent = first; exponent <= last; exponent += 1) {
    if ((exponent - first) % every) continue;
    for (const step of steps) {
      const value = Number((step * 10 ** exponent).toPrecision(1));
      if (value >= lo - slack && value <= hi + slack) values.push(value);
    }
  }
  return values;
}

/** Log-axis ticks (see `axisTicks`), for callers that always draw a log axis. */
export function logAxisTicks(lo, hi, unit = '') {
  return axisTicks(lo, hi, unit, true);
}
