// Links to the mapping landscape page (#/landscape?gemms=MxKxN,…&accelerator=NAME&<accelerator field>=<value>…) and
// the parsing of its GEMM list, shared by the landscape view and the pages that link to it.

const SHAPE = /^\s*(\d+)\s*[x×]\s*(\d+)\s*[x×]\s*(\d+)/i;

/** "512x768x768" -> {m, k, n}; null when it is not M×K×N. `row`: an operator row's shape, which may go on
 * (" x12": copies per head). */
export function parseShape(text, { row = false } = {}) {
  const value = String(text ?? '');
  const match = SHAPE.exec(value);
  if (!match || (!row && match[0].length !== value.trimEnd().length)) return null;
  const [m, k, n] = match.slice(1, 4).map(Number);
  return m > 0 && k > 0 && n > 0 ? { m, k, n } : null;
}

export const shapeText = ({ m, k, n }) => `${m}x${k}x${n}`;

/** The landscape of one GEMM on a design point's accelerator: a packaged preset by name with the point's overrides
 * (a short link), any other accelerator by every one of its fields on the base preset (exact whatever its name
 * means later), with the point's id and accelerator name for the page's heading. */
export function landscapeHref({ shape, accelerator, overrides = {}, fields = {}, isPreset, pointId }) {
  const query = new URLSearchParams({ gemms: shapeText(shape) });
  const given = isPreset ? overrides : fields;
  query.set('accelerator', isPreset ? accelerator : 'gemmini-default');
  for (const [name, value] of Object.entries(given)) {
    if (value !== null && value !== undefined && typeof value !== 'object') query.set(name, String(value));
  }
  if (pointId) query.set('point', String(pointId));
  if (!isPreset && accelerator) query.set('label', accelerator);
  return `#/landscape?${query.toString()}`;
}
