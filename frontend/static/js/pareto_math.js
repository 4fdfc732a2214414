// Pareto fronts, knee point and display thinning, on plain arrays (no Plotly here).

/**
 * Indices of the non-dominated points among `indices`, for 2 or 3 objectives, sorted by the first: the rule of
 * simulator/pareto.py (identical points do not dominate each other, so every copy stays on the front; ties are
 * normal here, e.g. sparsity on a dense array changes nothing). tests/browser/test_pareto_math.py pins the two.
 */
export function paretoFront(columns, objectives, directions, indices) {
  const sign = directions.map((d) => (d === 'max' ? -1 : 1));
  const values = objectives.map((name) => columns[name]);
  const valid = indices.filter((i) => values.every((col) => Number.isFinite(col[i])));
  const key = (k, i) => sign[k] * values[k][i];
  valid.sort((a, b) => key(0, a) - key(0, b) || key(1, a) - key(1, b) || (values[2] ? key(2, a) - key(2, b) : 0));
  const front = [];
  if (objectives.length === 2) {
    // sorted by (x, y): i is dominated unless its y is a new minimum, or it repeats the point that set the minimum
    let best = Infinity; let bestX = NaN;
    for (const i of valid) {
      const x = key(0, i); const y = key(1, i);
      if (y < best) { front.push(i); best = y; bestX = x; } else if (y === best && x === bestX) front.push(i);
    }
    return front;
  }
  for (const i of valid) {  // sorted by the first objective: only earlier points can dominate i
    const dominated = front.some((j) => objectives.every((_, k) => key(k, j) <= key(k, i))
      && objectives.some((_, k) => key(k, j) < key(k, i)));
    if (!dominated) front.push(i);
  }
  return front;
}

/** The front point closest to the utopia point after scaling each objective to [0, 1] (log if asked). */
export function kneePoint(columns, objectives, directions, front, logScale = []) {
  if (front.length < 3) return null;
  const scaled = objectives.map((name, k) => {
    const raw = front.map((i) => columns[name][i]);
    const vals = logScale[k] ? raw.map((v) => Math.log10(Math.max(v, 1e-300))) : raw;
    const lo = Math.min(...vals); const hi = Math.max(...vals);
    const span = hi - lo || 1;
    return vals.map((v) => (directions[k] === 'max' ? (hi - v) / span : (v - lo) / span));
  });
  let best = null; let bestDistance = Infinity;
  front.forEach((i, n) => {
    const distance = Math.hypot(...scaled.map((s) => s[n]));
    if (distance < bestDistance) { bestDistance = distance; best = i; }
  });
  return best;
}

/**
 * Thin dominated points for display: keep one point per screen cell (and colour class), so dense regions
 * lose duplicates while isolated points and outliers always stay. Front points are never dropped.
 */
export function thinForDisplay(indices, xs, ys, { keep = new Set(), logX = false, logY = false, limit = 40000,
  colourCodes = null, cellsX = 360, cellsY = 240 } = {}) {
  if (indices.length <= limit) return { shown: indices, thinned: false };
  const tx = logX ? (v) => Math.log10(v) : (v) => v;
  const ty = logY ? (v) => Math.log10(v) : (v) => v;
  let xlo = Infinity; let xhi = -Infinity; let ylo = Infinity; let yhi = -Infinity;
  for (const i of indices) {
    const x = tx(xs[i]); const y = ty(ys[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < xlo) xlo = x; if (x > xhi) xhi = x; if (y < ylo) ylo = y; if (y > yhi) yhi = y;
  }
  const sx = (cellsX - 1) / ((xhi - xlo) || 1); const sy = (cellsY - 1) / ((yhi - ylo) || 1);
  const seen = new Set();
  const shown = [];
  for (const i of indices) {
    if (keep.has(i)) { shown.push(i); continue; }
    const x = tx(xs[i]); const y = ty(ys[i]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const cell = (Math.floor((x - xlo) * sx) * cellsY + Math.floor((y - ylo) * sy)) * 64 + (colourCodes ? colourCodes[i] % 64 : 0);
    if (seen.has(cell)) continue;
    seen.add(cell);
    shown.push(i);
  }
  return { shown, thinned: true };
}

/** Rows of `indices` whose numeric columns lie inside every [lo, hi] filter. */
export function applyFilters(columns, indices, filters) {
  const active = Object.entries(filters).filter(([name]) => columns[name]);
  if (!active.length) return indices;
  return indices.filter((i) => active.every(([name, [lo, hi]]) => {
    const v = columns[name][i];
    return v >= lo && v <= hi;
  }));
}

/**
 * Hypervolume of a 2-D front against a reference point, both objectives to minimise (callers flip a maximised one
 * and take logs for a log axis first): the area the front's points dominate inside the box they span with `ref`.
 * Points not better than `ref` in both objectives add nothing. The same quantity as simulator/search.py's
 * `hypervolume` (2-D case), which the server uses for a search sweep's progress.
 */
export function hypervolume2d(points, ref) {
  const inside = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && x < ref[0] && y < ref[1])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let area = 0;
  let best = ref[1];
  inside.forEach(([x, y], k) => {
    best = Math.min(best, y);
    const next = k + 1 < inside.length ? inside[k + 1][0] : ref[0];
    area += (next - x) * (ref[1] - best);
  });
  return area;
}

/**
 * Where each front is best along X (both objectives minimised, as for `hypervolume2d`): `fronts` is a list of
 * point lists [[x, y], …]; the answer is [{from, to, best: [front indices]}], consecutive X intervals over which
 * those fronts reach the lowest Y for a given X (a front counts from its first point on; `to` of the last interval
 * is Infinity). Ties within `tolerance` (relative) are shared.
 */
export function bestAlongX(fronts, tolerance = 1e-9) {
  const sorted = fronts.map((pts) => pts.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  const breaks = [...new Set(sorted.flat().map(([x]) => x))].sort((a, b) => a - b);
  const attained = (pts, x) => {  // lowest Y among the front's points with X <= x (Infinity before its first)
    let y = Infinity;
    for (const [px, py] of pts) { if (px > x) break; if (py < y) y = py; }
    return y;
  };
  const intervals = [];
  breaks.forEach((x, j) => {
    const ys = sorted.map((pts) => attained(pts, x));
    const low = Math.min(...ys);
    const best = ys.map((y, k) => (Math.abs(y - low) <= tolerance * Math.max(1, Math.abs(low)) ? k : -1)).filter((k) => k >= 0);
    const last = intervals[intervals.length - 1];
    if (last && last.best.join() === best.join()) last.to = j + 1 < breaks.length ? breaks[j + 1] : Infinity;
    else intervals.push({ from: x, to: j + 1 < breaks.length ? breaks[j + 1] : Infinity, best });
  });
  return intervals;
}
