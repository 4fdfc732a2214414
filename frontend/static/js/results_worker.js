// Downloads and parses a sweep's results off the main thread (13 MB of JSON for 10^5 points), then hands the
// numeric columns back as transferable Float64Arrays so the page stays responsive while Plotly.js compiles.

self.onmessage = async (event) => {
  const { url, pageRows } = event.data;
  try {
    const merged = {};
    let total = null;
    let offset = 0;
    for (;;) {
      const response = await fetch(`${url}&limit=${pageRows}&offset=${offset}`, { headers: { Accept: 'application/json' } });
      if (!response.ok) {
        let detail = response.statusText;
        try { detail = (await response.json()).detail ?? detail; } catch { /* keep the status text */ }
        self.postMessage({ error: { status: response.status, detail } });
        return;
      }
      const data = await response.json();
      const names = Object.keys(data.columns ?? {});
      const rows = names.length ? data.columns[names[0]].length : 0;
      for (const name of names) merged[name] = merged[name] ? merged[name].concat(data.columns[name]) : data.columns[name];
      total = data.total ?? rows;
      offset += rows;
      if (!rows || offset >= total) break;
    }
    const columns = {};
    const transfer = [];
    for (const [name, values] of Object.entries(merged)) {
      if (values.length && values.every((v) => typeof v === 'number' || v === null)) {
        const array = Float64Array.from(values, (v) => (v === null ? NaN : v));
        columns[name] = array;
        transfer.push(array.buffer);
      } else {
        columns[name] = values;
      }
    }
    self.postMessage({ columns, total: total ?? offset }, transfer);
  } catch (error) {
    self.postMessage({ error: { status: 0, detail: String(error.message ?? error) } });
  }
};
