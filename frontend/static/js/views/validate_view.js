// Validate (#/validate): measured layers against the model. Upload a measurements CSV (kind, the layer's sizes,
// optional accelerator fields, mapper, mapping, cycles; `dse validate` takes the same file), pick an accelerator,
// and see predicted against measured cycles on a log-log scatter with the diagonal, coloured by kind, each point's
// error band as a vertical bar (rows priced by Gemmini's measured model), and the summary (median and mean |error|,
// Spearman, share measured inside the band, by kind) from POST /api/validate.

import { api } from '../api.js';
import { clear, errorNotice, h } from '../dom.js';
import { BASE_LAYOUT, loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { fmtCompact, logAxisTicks } from '../format.js';
import { plotText } from '../plot_text.js';

const KINDS = {
  conv: { label: 'Convolutions', colour: '#2458d6' },
  gemm: { label: 'GEMMs', colour: '#d1495b' },
};
const WORST_SHOWN = 15;
const MEASURED_SOC = 'gemmini-firesim';  // the preset of the SoC the FireSim training set ran on
const percent = (fraction) => `${(100 * fraction).toFixed(1)}%`;
const signed = (fraction) => `${fraction >= 0 ? '+' : ''}${(100 * fraction).toFixed(1)}%`;
const cycles = (value) => Math.round(value).toLocaleString('en-US');

async function accelerators() {
  const [presets, library] = await Promise.all([api('/api/presets/accelerators').catch(() => []),
    api('/api/accelerators?limit=1000').catch(() => ({ items: [] }))]);  // the library's page of summaries
  return [...presets.map((p) => p.name), ...(library.items ?? []).map((e) => e.name)];
}

export async function render(container) {
  container.append(h('div', { class: 'page-head' }, h('div', {},
    h('h1', {}, 'Validate against measurements'),
    h('div', { class: 'sub' }, 'Measured cycles of single layers (GEMMs and convolutions) against what the model ',
      'predicts for them. Columns: ', h('code', {}, 'kind'), ' (gemm | conv), ', h('code', {}, 'm,k,n'), ' or ',
      h('code', {}, 'batch,in_channels,out_channels,out_h,out_w,kernel_h,kernel_w,stride'),
      ', any accelerator field (e.g. ', h('code', {}, 'rows'), ', ', h('code', {}, 'scratchpad_kib'),
      ') to override the accelerator for that row, optional ', h('code', {}, 'mapper'), ' and ',
      h('code', {}, 'mapping'), ', and the measured ', h('code', {}, 'cycles'), '. ',
      h('code', {}, 'dse validate FILE --accelerator NAME'), ' reads the same file.'))));

  const names = await accelerators();
  const file = h('input', { type: 'file', id: 'validate-file', accept: '.csv,text/csv', 'aria-label': 'Measurements CSV' });
  const accelerator = h('select', { id: 'validate-accelerator', 'aria-label': 'Accelerator', style: { width: 'auto' } },
    names.map((name) => h('option', { value: name, selected: name === 'gemmini-default' }, name)));
  const mapper = h('select', { id: 'validate-mapper', 'aria-label': 'Mapper of rows naming none', style: { width: 'auto' } },
    h('option', { value: '' }, "the accelerator's (gemmini where it is priced by the measured model)"),
    h('option', { value: 'optimal' }, 'optimal (our search)'), h('option', { value: 'gemmini' }, "gemmini (Gemmini's tiler)"));
  const results = h('div', { id: 'validate-results' });
  let plotted = null;
  let Plotly = null;

  async function run(body, what) {
    if (plotted && Plotly) Plotly.purge(plotted);
    plotted = null;
    clear(results, h('div', { class: 'spinner', role: 'status' }, `Predicting ${what}…`));
    let data;
    try {
      [data, Plotly] = await Promise.all([
        api('/api/validate', { method: 'POST', body: { ...body, accelerator: accelerator.value, ...(mapper.value ? { mapper: mapper.value } : {}) } }),
        loadPlotly()]);
    } catch (error) {
      clear(results, errorNotice(error, 'These measurements could not be validated'));
      return;
    }
    plotted = show(results, data, what, Plotly);
  }

  const form = h('form', { class: 'card inline-form', id: 'validate-form', onsubmit: async (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      clear(results, h('div', { class: 'notice error', role: 'alert' }, 'Choose a measurements CSV file first.'));
      return;
    }
    await run({ csv: await chosen.text() }, chosen.name);
  } },
  h('label', { for: 'validate-file' }, 'Measurements'), file,
  h('label', { for: 'validate-accelerator' }, 'Accelerator'), accelerator,
  h('label', { for: 'validate-mapper' }, 'Mapper'), mapper,
  h('button', { type: 'submit', class: 'primary', id: 'validate-run' }, 'Validate'),
  h('button', { type: 'button', id: 'validate-training',
    title: "The project's copy of DOSA's FireSim training set: 1,567 layers measured on Gemmini's RTL",
    onclick: () => {
      // the training rows ran on the measured SoC: price them there unless the user picked something else
      if (accelerator.value === 'gemmini-default' && names.includes(MEASURED_SOC)) accelerator.value = MEASURED_SOC;
      return run({ firesim_training: true }, 'the FireSim training set');
    } }, 'Use the FireSim training set'));
  container.append(form, results);
  return () => { if (plotted && Plotly) Plotly.purge(plotted); };
}

function show(results, data, what, Plotly) {
  const plot = h('div', { id: 'validate-plot', class: 'validate-plot' });
  clear(results,
    h('section', { class: 'card' }, h('h2', {}, `${what}: ${data.rows.length.toLocaleString('en-US')} layers on `,
      data.accelerator, ` (mapper ${data.mapper})`),
    h('div', { class: 'grid-2' }, plot, h('div', {}, summaryTable(data.summary),
      data.notes.map((note) => h('div', { class: 'notice warn small' }, note)),
      h('p', { class: 'small muted' }, 'error = (predicted − measured) / measured; Spearman ranks predicted against ',
        'measured; the geometric-mean ratio below 1 means the model predicts fewer cycles than measured. ',
        'A vertical bar spans the prediction\'s error band (10th–90th percentile of the measured model\'s ',
        'cross-validated residuals for its kind and bound); it crosses the diagonal when the measured cycles lie in ',
        'the band. Rows priced by the analytic model have none.')))),
    h('section', { class: 'card' }, h('h2', {}, `The ${Math.min(WORST_SHOWN, data.rows.length)} rows furthest off`),
      worstTable(data.rows)));
  const { traces, layout } = figure(data.rows);
  Plotly.newPlot(plot, traces, layout, PLOT_CONFIG);
  return plot;
}

function summaryTable(summary) {
  const rows = [['all', summary], ...Object.entries(summary.by_kind).map(([kind, s]) => [KINDS[kind]?.label ?? kind, s])];
  return h('table', { class: 'data', id: 'validate-summary' },
    h('thead', {}, h('tr', {}, ['', 'layers', 'median |error|', 'mean |error|', 'Spearman', 'predicted ÷ measured',
      'in band'].map((text, i) => h('th', { class: i ? 'num' : undefined, style: { whiteSpace: 'normal' },
      title: text === 'in band' ? 'share of the rows with a band whose measured cycles lie inside it' : undefined }, text)))),
    h('tbody', {}, rows.map(([name, s]) => h('tr', { dataset: { kind: name } },
      h('td', {}, name), h('td', { class: 'num' }, s.rows.toLocaleString('en-US')),
      h('td', { class: 'num' }, percent(s.median_abs_error)), h('td', { class: 'num' }, percent(s.mean_abs_error)),
      h('td', { class: 'num' }, s.spearman === null ? '–' : s.spearman.toFixed(3)),
      h('td', { class: 'num' }, `${s.geomean_ratio.toPrecision(3)}×`),
      h('td', { class: 'num' }, s.within_band === null ? '–' : percent(s.within_band))))));
}

function worstTable(rows) {
  // furthest off by ratio, so a 100x under-prediction (-99%) ranks above a 2x over-prediction (+100%)
  const off = (r) => Math.abs(Math.log(r.predicted_cycles / r.measured_cycles));
  const worst = [...rows].sort((a, b) => off(b) - off(a)).slice(0, WORST_SHOWN);
  return h('table', { class: 'data', id: 'validate-worst' },
    h('thead', {}, h('tr', {}, ['row', 'layer', 'predicted', 'band', 'measured', 'error', 'predicted ÷ measured',
      'model (bound)', 'mapping'].map((text, i) => h('th', { class: i >= 2 && i <= 6 ? 'num' : undefined }, text)))),
    h('tbody', {}, worst.map((r) => h('tr', {},
      h('td', {}, r.label || r.where), h('td', {}, r.layer), h('td', { class: 'num' }, cycles(r.predicted_cycles)),
      h('td', { class: 'num' }, band(r)),
      h('td', { class: 'num' }, cycles(r.measured_cycles)), h('td', { class: 'num' }, signed(r.error)),
      h('td', { class: 'num' }, `${(r.predicted_cycles / r.measured_cycles).toPrecision(3)}×`),
      h('td', {}, r.bound ? `${r.model} (${r.bound})` : r.model),
      h('td', { class: 'small muted' }, r.mapping, r.notes.length ? h('details', {},
        h('summary', {}, `${r.notes.length} note${r.notes.length > 1 ? 's' : ''}`),
        r.notes.map((note) => h('div', {}, note))) : null)))));
}

function band(row) {
  return row.cycles_low === null ? 'not validated' : `${cycles(row.cycles_low)} – ${cycles(row.cycles_high)}`;
}

/** Predicted against measured, log-log, one trace per kind, and the diagonal (a perfect prediction). */
function figure(rows) {
  const values = rows.flatMap((r) => [r.predicted_cycles, r.measured_cycles]);
  const lo = Math.min(...values) / 1.5;
  const hi = Math.max(...values) * 1.5;
  const traces = Object.entries(KINDS).map(([kind, style]) => {
    const mine = rows.filter((r) => r.kind === kind);
    const banded = mine.some((r) => r.cycles_low !== null);
    return { type: 'scattergl', mode: 'markers', name: `${style.label} (${mine.length.toLocaleString('en-US')})`, meta: kind,
      x: mine.map((r) => r.measured_cycles), y: mine.map((r) => r.predicted_cycles),
      text: mine.map((r) => `${plotText(r.label || r.where)}: ${plotText(r.layer)}<br>measured ${cycles(r.measured_cycles)}`
        + `<br>predicted ${cycles(r.predicted_cycles)} (${signed(r.error)})<br>band ${band(r)}`
        + (r.bound ? `<br>${r.model}, ${r.bound}-bound` : `<br>${r.model}`)),
      hovertemplate: '%{text}<extra></extra>', marker: { color: style.colour, size: 6, opacity: 0.65 },
      // the band spans the measured cycles the prediction allows; drawn at x = measured, it crosses the diagonal
      // exactly when the measurement lies inside it (a bound below the point is clamped to it: at most 0.1% off)
      error_y: banded ? { type: 'data', symmetric: false, visible: true, thickness: 0.6, width: 0, color: style.colour,
        array: mine.map((r) => (r.cycles_high === null ? 0 : Math.max(0, r.cycles_high - r.predicted_cycles))),
        arrayminus: mine.map((r) => (r.cycles_low === null ? 0 : Math.max(0, r.predicted_cycles - r.cycles_low))) }
        : undefined };
  }).filter((trace) => trace.x.length);
  traces.push({ type: 'scatter', mode: 'lines', name: 'predicted = measured', x: [lo, hi], y: [lo, hi],
    line: { color: '#555', dash: 'dash', width: 1.2 }, hoverinfo: 'skip' });
  const ticks = logAxisTicks(lo, hi);
  if (ticks.tickvals) ticks.ticktext = ticks.tickvals.map(fmtCompact);  // 1K, 10M: short, and never 1e+6
  const axis = (title) => ({ type: 'log', range: [Math.log10(lo), Math.log10(hi)], title: { text: title }, ...ticks });
  const layout = { ...BASE_LAYOUT, height: 460, xaxis: axis('Measured cycles (log scale)'),
    yaxis: axis('Predicted cycles (log scale)'), showlegend: true,
    legend: { orientation: 'h', y: -0.18 } };
  return { traces, layout };
}
