// Downloads a sweep's results off the main thread as binary columns (GET …/results?format=arrays: a uint32 header
// length, a JSON header, padding to 8 bytes, then float64 arrays; backend/sweeps/export.py column_arrays), so 10^5 points
// become typed arrays without parsing megabytes of JSON while Plotly.js compiles. Numeric columns are handed back
// as transferable Float64Arrays (NaN = null), the others as plain lists.

function parsePage(buffer) {
  const headerLength = new DataView(buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength)));
  let position = 4 + headerLength + ((8 - ((4 + headerLength) % 8)) % 8);
  const columns = { ...header.columns };
  for (const name of header.numeric) {
    columns[name] = new Float64Array(buffer, position, header.count);
    position += 8 * header.count;
  }
  return { header, columns };
}

/** One column from its pages; a numeric one always as a fresh Float64Array (a page's arrays share its buffer). */
function concat(parts) {
  if (parts[0] instanceof Float64Array) {
    const out = new Float64Array(parts.reduce((n, part) => n + part.length, 0));
    let at = 0;
    for (const part of parts) { out.set(part, at); at += part.length; }
    return out;
  }
  return parts.flat();
}

const CONCURRENT_PAGES = 3;  // the server reads a page with COPY and Arrow, off the GIL: pages in parallel

async function fetchPage(url, pageRows, offset) {
  const response = await fetch(`${url}&format=arrays&limit=${pageRows}&offset=${offset}`);
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch { /* keep the status text */ }
    throw Object.assign(new Error(detail), { status: response.status, detail });
  }
  return parsePage(await response.arrayBuffer());
}

self.onmessage = async (event) => {
  const { url, pageRows, single } = event.data;
  try {
    // the first page says how many rows there are; the others are fetched a few at a time, kept in order (a sampled
    // first view is one page)
    const first = await fetchPage(url, pageRows, 0);
    const { total } = first.header;
    const offsets = [];
    for (let offset = first.header.count; !single && first.header.count && offset < total; offset += pageRows) offsets.push(offset);
    const rest = new Array(offsets.length);
    let next = 0;
    const lane = async () => {
      while (next < offsets.length) {
        const k = next++;
        rest[k] = await fetchPage(url, pageRows, offsets[k]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_PAGES, offsets.length) }, lane));
    const pages = {};
    for (const page of [first, ...rest]) {
      for (const [name, values] of Object.entries(page.columns)) (pages[name] ??= []).push(values);
    }
    const columns = {};
    const transfer = [];
    for (const [name, parts] of Object.entries(pages)) {
      columns[name] = concat(parts);  // numeric columns get a buffer of their own, so each can be transferred
      if (columns[name] instanceof Float64Array) transfer.push(columns[name].buffer);
    }
    self.postMessage({ columns, total }, transfer);
  } catch (error) {
    self.postMessage({ error: { status: error.status ?? 0, detail: String(error.detail ?? error.message ?? error) } });
  }
};
