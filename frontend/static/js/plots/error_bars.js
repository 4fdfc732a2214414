// Error bars on the Pareto scatter: a metric's band from the measured model's validation residuals (latency_s:
// latency_low_s .. latency_high_s, docs/layer_model.md). A point with no band (not validated against measurements)
// gets no bar.

export const BANDS = { latency_s: ['latency_low_s', 'latency_high_s'] };

/** The band columns the shown metrics need loaded. */
export function bandColumns(names) {
  return names.flatMap((name) => BANDS[name] ?? []);
}

/** Whether `name` has a band at some loaded point. */
export function hasBand(columns, name) {
  const band = BANDS[name];
  return Boolean(band && columns[band[0]]?.some(Number.isFinite));
}

/** Plotly's error_x / error_y of the points `indices` on axis metric `name`. */
export function errorBar(columns, name, indices) {
  const [low, high] = BANDS[name];
  const value = columns[name];
  const gap = (i, other, sign) => (Number.isFinite(columns[other][i]) ? sign * (columns[other][i] - value[i]) : 0);
  return { type: 'data', symmetric: false, visible: true, thickness: 1, width: 2, color: '#5f6b7a',
    array: indices.map((i) => gap(i, high, 1)), arrayminus: indices.map((i) => gap(i, low, -1)) };
}
