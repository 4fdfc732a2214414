// The mapping landscape (#/landscape?gemms=512x768x768,512x64x512&accelerator=gemmini-default[&rows=32…]): per GEMM,
// a histogram of the energy-delay product of its legal mappings relative to the best (GET /api/mappings), with the
// optimal mapper's and Gemmini's tiler's mappings marked, and the summary figures beside it.

import { api, query as toQuery } from '../api.js';
import { clear, errorNotice, h } from '../dom.js';
import { fmtNumber, fmtValue, logAxisTicks } from '../format.js';
import { vocabulary } from '../catalog.js';
import { BASE_LAYOUT, loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { parseShape, shapeText } from '../landscape_link.js';

const MAX_GEMMS = 8;
const EXAMPLE = '#/landscape?gemms=512x768x768,512x768x3072&accelerator=gemmini-default';
const REFERENCES = {
  optimal: { colour: '#d1495b', dash: 'solid', label: (objective) => `Optimal mapper (${objective})` },
  gemmini: { colour: '#1f9e89', dash: 'dash', label: () => "Gemmini's tiler" },
};
// What the landscape request passes on from the page's URL besides the GEMM (accelerator fields are overrides).
const PASSED = ['accelerator', 'sample', 'seed', 'mapping_objective'];

// A ratio to the best EDP: in full from 100, else 3 digits (4 within 1% of the best, so 1.005× is not read as 1×).
const times = (value) => `${value >= 100 ? Math.round(value).toLocaleString('en-US')
  : value.toPrecision(Math.abs(value - 1) < 0.01 ? 4 : 3)}×`;
const tickLabel = (value) => `${value >= 1 ? value.toLocaleString('en-US') : String(value)}×`;
const count = (value) => Number(value).toLocaleString('en-US');  // in full: 37,458,300
function percent(fraction) {
  const text = (100 * fraction).toPrecision(fraction < 0.001 ? 1 : 3);
  return `${text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text}%`;  // 100%, 5.6%, 0.165%
}

function acceleratorFields(query) {
  const names = new Set(vocabulary.parameters.filter((p) => p.source === 'accelerator').map((p) => p.name));
  return Object.fromEntries([...query.entries()].filter(([name]) => names.has(name)));
}

export async function render(container, _params, query) {
  const text = query.get('gemms') ?? '';
  const tokens = text.split(',').map((t) => t.trim()).filter(Boolean);
  const shapes = tokens.map((token) => ({ token, shape: parseShape(token) }));
  const accelerator = query.get('accelerator') || 'gemmini-default';
  const fields = acceleratorFields(query);
  const pointId = query.get('point');
  const label = query.get('label');
  const changed = Object.entries(fields).map(([k, v]) => `${k}=${v}`);
  const hardware = h('span', { id: 'landscape-hw' });  // the array and memories, once the API has resolved them
  container.append(h('div', { class: 'page-head' }, h('div', {},
    h('h1', {}, 'Mapping landscape'),
    h('div', { class: 'sub', id: 'landscape-accelerator' },
      pointId ? ['On the accelerator of ', h('a', { href: `#/points/${pointId}` }, `design point #${pointId}`),
        label ? ` (${label})` : ''] : [`On ${accelerator}`, changed.length && changed.length <= 6 ? ` with ${changed.join(', ')}` : '',
        changed.length > 6 ? ` with ${changed.length} fields set` : ''],
      hardware, ' · every legal mapping of each GEMM (tile sizes, spatial factors, loop order, the operands the L2 ',
      'keeps), or a uniform sample of them, priced by the simulator\'s mapping cost model.'))));
  container.append(gemmForm(query, text));

  const good = shapes.filter((s) => s.shape).slice(0, MAX_GEMMS);
  const bad = shapes.filter((s) => !s.shape);
  if (bad.length) {
    container.append(h('div', { class: 'notice error', id: 'landscape-input-error', role: 'alert' },
      `Not a GEMM shape: ${bad.map((b) => `“${b.token.slice(0, 40)}”`).join(', ')}. Write each as M×K×N, e.g. 512x768x768.`));
  }
  if (shapes.filter((s) => s.shape).length > MAX_GEMMS) {
    container.append(h('div', { class: 'notice warn' }, `Showing the first ${MAX_GEMMS} GEMMs.`));
  }
  if (!good.length) {
    container.append(h('div', { class: 'card empty', id: 'landscape-empty' }, h('h2', {}, 'Which GEMMs?'),
      h('p', {}, 'Name one or more GEMM shapes M×K×N above (an (M×K)·(K×N) product, e.g. a BERT-Base projection at ',
        'l = 512 is 512x768x768), or open one from a design point\'s operator table ("Mapping landscape" on a GEMM row).'),
      h('a', { class: 'button primary', href: EXAMPLE }, 'BERT-Base l = 512: a projection and FFN W1')));
    return undefined;
  }

  const Plotly = await loadPlotly();
  const plots = [];
  const passed = Object.fromEntries(PASSED.map((name) => [name, query.get(name)]).filter(([, v]) => v));
  await Promise.all(good.map(async ({ shape }, index) => {
    const body = h('div', { class: 'spinner', role: 'status' }, `Pricing the mappings of ${shapeText(shape)}…`);
    const card = h('section', { class: 'card landscape', id: `landscape-${index}`, 'data-gemm': shapeText(shape),
      'aria-labelledby': `landscape-title-${index}` },
    h('h2', { id: `landscape-title-${index}` }, `GEMM ${shape.m} × ${shape.k} × ${shape.n}`,
      h('span', { class: 'muted small' }, ` · (${shape.m}×${shape.k}) · (${shape.k}×${shape.n})`)), body);
    container.append(card);
    let data;
    try {
      data = await api(`/api/mappings${toQuery({ ...shape, accelerator, ...passed, ...fields })}`);
    } catch (error) {
      clear(body, errorNotice(error, `No landscape for ${shapeText(shape)}`));
      body.className = '';
      return;
    }
    if (!hardware.textContent) hardware.textContent = `: ${describeHardware(data.accelerator)}`;
    const plot = h('div', { id: `landscape-plot-${index}`, class: 'landscape-plot' });
    clear(body, h('div', { class: 'grid-2' }, plot, summary(data, index)));
    body.className = '';
    body.removeAttribute('role');
    const { traces, layout } = figure(data);
    Plotly.newPlot(plot, traces, layout, PLOT_CONFIG);
    plots.push(plot);
  }));
  return () => plots.forEach((el) => Plotly.purge(el));
}

function gemmForm(query, text) {
  const input = h('input', { type: 'text', id: 'landscape-gemms', value: text, placeholder: 'e.g. 512x768x768, 3136x576x64',
    'aria-label': 'GEMM shapes, M×K×N, comma-separated' });
  const sample = h('input', { type: 'number', id: 'landscape-sample', min: 1, max: 100000, step: 1,
    value: query.get('sample') || 100000, 'aria-label': 'Sample size', style: { width: '110px' } });
  return h('form', { class: 'card inline-form', id: 'landscape-form', onsubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams(query);
    next.set('gemms', input.value.split(/[\s,;]+/).filter(Boolean).join(','));
    if (sample.value && Number(sample.value) !== 100000) next.set('sample', sample.value); else next.delete('sample');
    location.hash = `#/landscape?${next.toString()}`;
  } }, h('label', { for: 'landscape-gemms' }, 'GEMMs (M×K×N)'), input,
  h('label', { for: 'landscape-sample', title: 'Every mapping is evaluated when the space has at most this many; else a uniform random sample of this many' }, 'Sample'),
  sample, h('button', { type: 'submit', class: 'primary' }, 'Draw'));
}

function describeHardware(hw) {
  return `${hw.rows}×${hw.cols} ${hw.dataflow.toUpperCase()}, ${fmtNumber(hw.scratchpad_kib)} KiB scratchpad, `
    + `${fmtNumber(hw.accumulator_kib)} KiB accumulator, ${hw.l2_kib ? `${fmtNumber(hw.l2_kib)} KiB L2` : 'no L2'}`;
}

function referenceText(ref) {
  if (ref.error) return h('span', { class: 'muted' }, `no mapping: ${ref.error}`);
  return [h('strong', {}, times(ref.relative_edp)), ' the best · ',
    `${percent(ref.percentile / 100)} of the mappings have less EDP`,
    h('div', { class: 'small muted' }, ref.mapping)];
}

function summary(data, index) {
  const s = data.summary;
  const p = s.relative_edp_percentiles;
  const w = s.share_within;
  const evaluated = s.sampled ? `${count(s.evaluated)} sampled uniformly (seed ${data.space.seed})` : `all ${count(s.evaluated)} evaluated`;
  const rows = [
    ['Legal mappings', [count(s.space_size), h('div', { class: 'small muted' }, evaluated)]],
    ['EDP spread (worst ÷ best)', times(s.edp_spread)],
    ['EDP ÷ best at p10 / p50 / p90', `${times(p['10'])} / ${times(p['50'])} / ${times(p['90'])}`],
    ['Within 2× / 3× / 10× of the best', `${percent(w['2'])} / ${percent(w['3'])} / ${percent(w['10'])}`],
    ['Best mapping', [s.best.description, h('div', { class: 'small muted' },
      `${fmtValue(s.best.cycles, 'cycles')} · ${fmtValue(s.best.energy_pj * 1e-12, 'J')} · EDP ${fmtValue(s.best.edp_j_s, 'J·s')}`)]],
    [REFERENCES.optimal.label(data.objective), referenceText(s.references.optimal)],
    [REFERENCES.gemmini.label(), referenceText(s.references.gemmini)],
  ];
  const space = data.space;
  return h('div', {},
    h('dl', { class: 'kv', id: `landscape-summary-${index}` }, rows.flatMap(([dt, dd]) => [h('dt', {}, dt), h('dd', {}, dd)])),
    h('p', { class: 'small muted' },
      `${count(space.tilings)} tilings × ${space.spatial_rows.length}×${space.spatial_cols.length} spatial factors × `,
      `${space.loop_orders.length} loop orders × ${space.l2_keep_sets.length} L2 keep set${space.l2_keep_sets.length > 1 ? 's' : ''}. `,
      'Operands from DRAM at the array\'s widths, the output to DRAM (as dse simulate-gemm); EDP = dynamic energy ',
      '(MACs, SRAM, DRAM) × cycles. A sample\'s best is the best it drew: a reference below 1× beat every sampled mapping.'));
}

/** A step histogram of EDP over the best (share of the evaluated mappings per log bin) and a vertical line per
 * reference mapping, on a log x axis labelled in full. */
function figure(data) {
  const { relative_edp_edges: edges, counts } = data.histogram;
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const share = counts.map((c) => (100 * c) / total);
  const top = Math.max(...share, 1);
  const hover = counts.map((c, i) => `${times(edges[i])} – ${times(edges[i + 1])} the best EDP<br>${count(c)} mappings (${share[i].toPrecision(3)}%)`);
  const traces = [{
    type: 'scatter', mode: 'lines', name: 'Mappings', x: edges, y: [...share, share.at(-1)],
    line: { shape: 'hv', color: '#2458d6', width: 1.5 }, fill: 'tozeroy', fillcolor: 'rgba(36, 88, 214, 0.22)',
    text: [...hover, hover.at(-1)], hovertemplate: '%{text}<extra></extra>',
  }];
  const annotations = [];
  const positions = [];
  Object.entries(REFERENCES).forEach(([mapper, style], k) => {
    const ref = data.summary.references[mapper];
    if (!ref || ref.error) return;
    const name = `${style.label(data.objective)}: ${times(ref.relative_edp)}`;
    positions.push(ref.relative_edp);
    traces.push({ type: 'scatter', mode: 'lines', name, x: [ref.relative_edp, ref.relative_edp], y: [0, top * 1.12],
      line: { color: style.colour, width: 2, dash: style.dash }, meta: mapper,
      hovertemplate: `${name}<br>${percent(ref.percentile / 100)} of the mappings have less EDP<extra></extra>` });
    annotations.push({ x: Math.log10(ref.relative_edp), y: top * (1.12 - 0.1 * k), xref: 'x', yref: 'y', text: name,
      showarrow: false, xanchor: 'left', xshift: 4, font: { color: style.colour, size: 12 },
      bgcolor: 'rgba(255,255,255,0.85)' });
  });
  const lo = Math.min(1, ...positions) / 1.25;
  const hi = Math.max(edges.at(-1), ...positions) * 1.1;
  const ticks = logAxisTicks(lo, hi);
  const xaxis = { type: 'log', range: [Math.log10(lo), Math.log10(hi)], title: { text: 'EDP relative to the best mapping (log scale)' },
    zeroline: false, ...(ticks.tickvals ? { ...ticks, ticktext: ticks.tickvals.map(tickLabel) } : { ticksuffix: '×' }) };
  const layout = { ...BASE_LAYOUT, height: 340, margin: { ...BASE_LAYOUT.margin, t: 12 }, xaxis,
    yaxis: { title: { text: 'Share of the mappings (%)' }, rangemode: 'tozero', range: [0, top * 1.2] },
    showlegend: true, legend: { orientation: 'h', y: -0.28 }, annotations };
  return { traces, layout };
}
