// Serving (#/serving): an LLM served on a few designs. The serving curve (POST /api/serving/curve): per design,
// generated tokens/s against TPOT over batch sizes, the TPOT SLO line, each design's goodput-optimal batch starred,
// and a table of the goodputs. Below, an arrival-driven run on one of the designs (POST /api/serving): Poisson
// arrivals, continuous batching, p50/p99 TTFT and TPOT, throughput and goodput. The inputs live in the URL
// (#/serving?model=llama-3-8b&designs=gemmini-transformer-32x32;gemmini-transformer-32x32 rows=16 cols=16&...).

import { api } from '../api.js';
import { clear, errorNotice, h } from '../dom.js';
import { fmtValue } from '../format.js';
import { loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { servingFigure } from '../plots/serving_curve_plot.js';

const DEFAULTS = { model: 'llama-3-8b', prompt: '512', generate: '128', slo_tpot: '1500', slo_ttft: '',
  batch: '256', designs: 'gemmini-transformer-32x32;gemmini-transformer-32x32 rows=16 cols=16;gemmini-transformer' };
const RUN_DEFAULTS = { rate: '0.05', requests: '1000', prompt_low: '256', prompt_high: '1024', generate_low: '32',
  generate_high: '256', seed: '0' };

/** "preset key=value key=value" -> {accelerator, overrides} (numbers as numbers, true/false as booleans). */
export function parseDesign(line) {
  const [accelerator, ...pairs] = line.trim().split(/\s+/);
  const overrides = {};
  for (const pair of pairs) {
    const [key, value = ''] = pair.split('=');
    if (!key || value === '') throw new Error(`"${pair}" in "${line.trim()}": write overrides as field=value`);
    overrides[key] = value === 'true' ? true : value === 'false' ? false : (Number.isFinite(Number(value)) ? Number(value) : value);
  }
  return { accelerator, overrides };
}

function field(id, label, value, attrs = {}) {
  return [h('label', { for: id }, label), h('input', { id, value, type: 'text', style: { width: '90px' }, ...attrs })];
}

const number = (text) => (text === '' ? null : Number(text));

async function decoderModels() {
  try {
    return (await api('/api/presets/models')).filter((m) => m.family === 'decoder').map((m) => m.name);
  } catch { return [DEFAULTS.model]; }
}

export async function render(container, _params, query) {
  const state = Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, query.get(k) ?? v]));
  container.append(h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'LLM serving'),
    h('div', { class: 'sub' }, 'Throughput against time per output token (TPOT) over batch sizes on each design, with ',
      'the SLO and each design\'s goodput (the best throughput meeting it); then requests arriving at a rate, served ',
      'with continuous batching. ', h('code', {}, 'dse serving --model M --accelerator A --rate R --requests N ',
        '--prompt-len P --generate-len G --curve'), ' runs the same.'))));
  const models = await decoderModels();
  const model = h('select', { id: 'serving-model', 'aria-label': 'Model', style: { width: 'auto' } },
    models.map((name) => h('option', { value: name, selected: name === state.model }, name)));
  const designs = h('textarea', { id: 'serving-designs', rows: 3, cols: 60, 'aria-label': 'Designs, one per line' },
    state.designs.split(';').join('\n'));
  const inputs = {};
  const curveFields = [['prompt', 'Prompt tokens'], ['generate', 'Generated tokens'], ['slo_tpot', 'TPOT SLO (ms)'],
    ['slo_ttft', 'TTFT SLO (ms)'], ['batch', 'Largest batch']].map(([key, label]) => {
    const [lab, input] = field(`serving-${key.replace('_', '-')}`, label, state[key]);
    inputs[key] = input;
    return [lab, input];
  });
  const curveBox = h('div', { id: 'serving-curve-results' });
  const runBox = h('div', { id: 'serving-run-results' });
  const runDesign = h('select', { id: 'serving-run-design', 'aria-label': 'Design to serve on', style: { width: 'auto' } });
  const runInputs = {};
  const runFields = [['rate', 'Arrivals/s'], ['requests', 'Requests'], ['prompt_low', 'Prompt from'], ['prompt_high', 'to'],
    ['generate_low', 'Generated from'], ['generate_high', 'to'], ['seed', 'Seed']].map(([key, label]) => {
    const [lab, input] = field(`serving-run-${key.replace('_', '-')}`, label, RUN_DEFAULTS[key]);
    runInputs[key] = input;
    return [lab, input];
  });
  let plotted = null;
  let Plotly = null;

  function designList() {
    return designs.value.split('\n').map((line) => line.trim()).filter(Boolean).map(parseDesign);
  }

  function slo() {
    return { tpotMs: number(inputs.slo_tpot.value.trim()), ttftMs: number(inputs.slo_ttft.value.trim()) };
  }

  function remember() {
    const next = new URLSearchParams({ model: model.value, designs: designs.value.split('\n').map((l) => l.trim()).filter(Boolean).join(';'),
      ...Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value.trim()])) });
    history.replaceState(null, '', `#/serving?${next.toString()}`);
  }

  async function drawCurves() {
    if (plotted && Plotly) Plotly.purge(plotted);
    plotted = null;
    let list;
    try { list = designList(); } catch (error) { clear(curveBox, errorNotice(error, 'A design could not be read')); return; }
    clear(runDesign, list.map((d, i) => h('option', { value: String(i) }, [d.accelerator, ...Object.entries(d.overrides)
      .map(([k, v]) => `${k}=${v}`)].join(' '))));
    remember();
    clear(curveBox, h('div', { class: 'spinner', role: 'status' }, 'Evaluating every batch on every design…'));
    const limits = slo();
    let data;
    try {
      [data, Plotly] = await Promise.all([api('/api/serving/curve', { method: 'POST', body: {
        model: model.value, prompt_len: number(inputs.prompt.value), generate_len: number(inputs.generate.value),
        batch_limit: number(inputs.batch.value), designs: list, slo_tpot_ms: limits.tpotMs, slo_ttft_ms: limits.ttftMs } }),
      loadPlotly()]);
    } catch (error) {
      clear(curveBox, errorNotice(error, 'The serving curve could not be drawn'));
      return;
    }
    plotted = showCurves(curveBox, data.curves, limits, Plotly);
  }

  async function runArrivals() {
    let list;
    try { list = designList(); } catch (error) { clear(runBox, errorNotice(error, 'A design could not be read')); return; }
    const design = list[Number(runDesign.value || 0)] ?? list[0];
    const v = Object.fromEntries(Object.entries(runInputs).map(([k, input]) => [k, number(input.value.trim())]));
    const lengths = (low, high) => (high === null || high === low ? { kind: 'fixed', tokens: low } : { kind: 'uniform', low, high });
    clear(runBox, h('div', { class: 'spinner', role: 'status' }, `Serving ${v.requests} requests…`));
    const limits = slo();
    try {
      const result = await api('/api/serving', { method: 'POST', body: {
        model: model.value, ...design, rate_per_s: v.rate, requests: v.requests, seed: v.seed ?? 0,
        prompt: lengths(v.prompt_low, v.prompt_high), generate: lengths(v.generate_low, v.generate_high),
        slo_tpot_ms: limits.tpotMs, slo_ttft_ms: limits.ttftMs } });
      clear(runBox, runTable(result, limits));
    } catch (error) {
      clear(runBox, errorNotice(error, 'The run could not be served'));
    }
  }

  container.append(
    h('form', { class: 'card', id: 'serving-curve-form', onsubmit: (event) => { event.preventDefault(); drawCurves(); } },
      h('h2', {}, 'Serving curve'),
      h('div', { class: 'inline-form' }, h('label', { for: 'serving-model' }, 'Model'), model, curveFields),
      h('div', { class: 'inline-form', style: { marginTop: '8px', alignItems: 'flex-start' } },
        h('label', { for: 'serving-designs' }, 'Designs'), designs,
        h('span', { class: 'small muted' }, 'one per line: a preset or library accelerator, then field=value overrides'),
        h('button', { type: 'submit', class: 'primary', id: 'serving-draw' }, 'Draw curves'))),
    curveBox,
    h('form', { class: 'card', id: 'serving-run-form', onsubmit: (event) => { event.preventDefault(); runArrivals(); } },
      h('h2', {}, 'Arrival-driven run'),
      h('p', { class: 'small muted' }, 'Poisson arrivals; prompt and output lengths uniform between the bounds (equal ',
        'bounds: fixed); continuous batching up to the design\'s max batch, prefill chunks of 512 tokens beside the decode ',
        'steps; goodput counts the requests meeting the SLOs above.'),
      h('div', { class: 'inline-form' }, h('label', { for: 'serving-run-design' }, 'Design'), runDesign, runFields,
        h('button', { type: 'submit', class: 'primary', id: 'serving-run' }, 'Serve'))),
    runBox);
  await drawCurves();
  return () => { if (plotted && Plotly) Plotly.purge(plotted); };
}

function showCurves(box, curves, limits, Plotly) {
  const plot = h('div', { id: 'serving-plot', class: 'plot', role: 'img',
    'aria-label': 'Generated tokens per second against time per output token, per design' });
  clear(box, h('section', { class: 'card' }, h('h2', {}, 'Throughput against TPOT'),
    plot, goodputTable(curves, limits),
    h('p', { class: 'small muted' }, 'Static batches: every sequence prefills, then decodes together. Throughput is ',
      'the generated tokens per second of the whole batch (prefill included); each marker is labelled with its batch. ',
      'The star is the goodput: the best throughput whose TPOT and TTFT meet the SLOs.')));
  const { traces, layout } = servingFigure(curves, limits, { height: 520 });
  Plotly.newPlot(plot, traces, layout, PLOT_CONFIG);
  return plot;
}

function goodputTable(curves, limits) {
  const bound = [limits.tpotMs != null ? `TPOT ≤ ${limits.tpotMs} ms` : '', limits.ttftMs != null ? `TTFT ≤ ${limits.ttftMs} ms` : '']
    .filter(Boolean).join(', ') || 'no SLO';
  return h('table', { class: 'data', id: 'serving-goodput' },
    h('caption', { class: 'small muted' }, `Goodput under ${bound}`),
    h('thead', {}, h('tr', {}, ['design', 'max batch', 'goodput', 'at batch', 'its TPOT', 'its TTFT']
      .map((text, i) => h('th', { class: i ? 'num' : undefined }, text)))),
    h('tbody', {}, curves.map((curve) => {
      const best = curve.points.find((p) => p.batch === curve.goodput_batch);
      return h('tr', { dataset: { design: curve.design } }, h('td', {}, curve.design),
        h('td', { class: 'num' }, String(curve.max_batch)),
        best ? [h('td', { class: 'num' }, fmtValue(curve.goodput_tokens_per_s, 'tokens/s')),
          h('td', { class: 'num' }, String(best.batch)), h('td', { class: 'num' }, fmtValue(best.tpot_s, 's')),
          h('td', { class: 'num' }, fmtValue(best.ttft_s, 's'))]
          : h('td', { colspan: 4, class: 'small muted' }, curve.note));
    })));
}

function runTable(result, limits) {
  const row = (label, figures) => h('tr', {}, h('th', { scope: 'row' }, label),
    ['p50', 'p99', 'mean'].map((key) => h('td', { class: 'num' }, fmtValue(figures[key], 's'))));
  const sloText = limits.tpotMs == null && limits.ttftMs == null ? 'no SLO: every request counts'
    : `${(100 * result.slo_met).toFixed(1)}% of requests meet the SLOs`;
  return h('section', { class: 'card' }, h('h2', {}, `${result.requests.toLocaleString('en-US')} requests of `,
    result.model, ' on ', result.accelerator),
  h('table', { class: 'data', id: 'serving-percentiles', style: { maxWidth: '640px' } },
    h('thead', {}, h('tr', {}, ['', 'p50', 'p99', 'mean'].map((text, i) => h('th', { class: i ? 'num' : undefined }, text)))),
    h('tbody', {}, row('Time to first token', result.ttft_s), row('Time per output token', result.tpot_s))),
  h('p', { id: 'serving-run-summary' }, `Throughput ${fmtValue(result.throughput_tokens_per_s, 'tokens/s')} · goodput `,
    h('strong', {}, fmtValue(result.goodput_tokens_per_s, 'tokens/s')), ` (${sloText}) · max batch ${result.max_batch}, `,
    `peak ${result.peak_batch} in flight · ${result.iterations.toLocaleString('en-US')} iterations over `,
    `${fmtValue(result.duration_s, 's')} of serving`));
}
