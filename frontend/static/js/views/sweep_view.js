// The sweep page: Pareto scatter (2-D WebGL or 3-D), parallel coordinates that filter it, the front table,
// exports; state in the URL; live while the sweep runs.

import { api } from '../api.js';
import { clear, debounce, errorNotice, h } from '../dom.js';
import { plotText } from '../plot_text.js';
import { fmtCompact, fmtDate, fmtValue } from '../format.js';
import { DEFAULT_OBJECTIVES, direction, headlineMetrics, info, isMetric, numericMetrics, titleOf, vocabulary } from '../catalog.js';
import { loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { applyFilters, kneePoint, paretoFront, thinForDisplay } from '../pareto_math.js';
import { distinct, loadResults } from '../results_data.js';
import { isActive, modelNames, normalizeSweep, workloadColumns } from '../sweep_model.js';
import { readState, writeState } from '../url_state.js';
import { BANDS, bandColumns, hasBand } from '../plots/error_bars.js';
import { missingTrace, retickOnZoom, scatter3dLayout, scatter3dTraces, scatterLayout, scatterTraces, valueSpan } from '../plots/pareto_scatter.js';
import { brushedFilters, parcoordsLayout, parcoordsTrace } from '../plots/parallel_coords.js';
import { progressBar, statusBadge } from './progress_bar.js';
import { controls } from './sweep_controls.js';
import { frontTable } from './front_table.js';
import { failuresBanner, pointsTable } from './points_table.js';
import { studyCardFor } from './template_studies.js';
import { importanceCard } from './importance_card.js';
import { loadQualityUnit } from '../quality.js';
import { specCard } from './sweep_spec.js';

const POLL_MS = 2000;
const RELOAD_MS = 4000;
export const DISPLAY_LIMIT = 40000;
const FIRST_VIEW_ABOVE = 250000;  // a sweep with more points than this first draws a sample of…
const FIRST_VIEW_POINTS = 100000;  // …about this many, every front point included

export async function render(container, { id }, query) {
  const sweepId = Number(id);
  const timings = { view_start_ms: performance.now() };  // where the time goes, read by benchmarks/dashboard_load.py
  window.dseTimings = timings;
  const plotlyLoading = loadPlotly();
  const first = await api(`/api/sweeps/${sweepId}`);
  let sweep = normalizeSweep(first);
  const objectives = sweep.objectives.length >= 2 ? sweep.objectives : DEFAULT_OBJECTIVES;
  // one front per workload (model × scenario fields the sweep varies), so no design is compared across workloads
  const workload = workloadColumns(sweep.spec).join(',') || '-';
  const defaults = { x: objectives[0], y: objectives[1], z: objectives[2] ?? '', v: 'c', c: '', g: workload, log: 'xy' };
  let state = readState(query, defaults);

  const head = h('div', {});
  const failures = h('div', {});
  const notice = h('div', {});
  const studyBox = h('div', {});  // a sweep of named variants opens on its study view
  let study = null;
  const side = h('div', {});
  const scatterDiv = h('div', { class: 'plot tall', id: 'pareto-plot', role: 'img', 'aria-label': 'Pareto scatter plot' });
  const tooltip = h('div', { class: 'point-tooltip', id: 'point-tooltip', role: 'tooltip', hidden: true });
  const caption = h('div', { class: 'plot-caption', id: 'scatter-caption' });
  const parcoordsDiv = h('div', { class: 'plot', id: 'parcoords-plot', style: { minHeight: '440px' }, role: 'img', 'aria-label': 'Parallel coordinates' });
  const tableBox = h('div', {});
  const importanceBox = h('div', {});  // which parameter drives an objective (drawn once there are points)
  let importance = null;
  // A `search` sweep: the hypervolume after each batch, i.e. the front improving over time.
  const hvDiv = h('div', { class: 'plot', id: 'hypervolume-plot', style: { minHeight: '240px' }, role: 'img', 'aria-label': 'Hypervolume per batch' });
  const hvCaption = h('div', { class: 'small muted', id: 'hypervolume-caption' });
  const searchCard = h('section', { class: 'card', id: 'search-card', hidden: true, 'aria-labelledby': 'hv-title' },
    h('h2', { id: 'hv-title' }, 'Front improving over time'), hvCaption, hvDiv);
  const table = pointsTable({ sweepId, columns: [...new Set([...sweep.varied, ...objectives, ...headlineMetrics()])],
    chosen: [...new Set([...sweep.varied.slice(0, 6), ...objectives])] });
  // what was swept (words and JSON), name, tags, notes and "New sweep from this one"
  const specBox = specCard(first, { onChanged: (raw) => { sweep = { ...sweep, name: raw.name }; renderHead(); } });
  container.append(head, specBox, failures, notice, studyBox, h('div', { class: 'grid-side' }, side,
    h('section', { class: 'card', style: { position: 'relative' }, 'aria-label': 'Pareto scatter' }, scatterDiv, tooltip, caption)),
  searchCard, tableBox, importanceBox,
  h('section', { class: 'card', 'aria-labelledby': 'pc-title' }, h('h2', { id: 'pc-title' }, 'Parallel coordinates'),
    h('div', { class: 'small muted' }, 'Drag along an axis to keep only that range; the scatter, the front and the filtered CSV follow. Front designs in orange.'),
    parcoordsDiv), table.card);
  // Parallel coordinates cost seconds of WebGL set-up without a GPU: draw them when they scroll into view.
  let parcoordsVisible = false;
  let pendingParcoords = null;
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    parcoordsVisible = true;
    observer.disconnect();
    if (pendingParcoords) pendingParcoords();
  });
  let observing = false;

  let data = null;       // {columns, ids, count}
  let view = null;       // what is drawn: filtered, front, shown
  let stopped = false;
  let pollTimer = null;
  let lastLoad = 0;
  let parcoordsKey = '';
  let parcoordsTimer = null;
  let parcoordsDraws = 0;
  let shownFailures = 0;
  let showMissing = false;  // draw the points without a value of an objective, at the axis edge
  let qualityUnitAsked = false;

  // Server-side exports of exactly the points that pass the view's filters (every column).
  const exportCsv = h('a', { class: 'button', id: 'export-csv', download: '', title: 'Every column of the points that pass the filters' }, 'CSV');
  const exportParquet = h('a', { class: 'button', id: 'export-parquet', download: '', title: 'Every column of the points that pass the filters' }, 'Parquet');
  /** The view's filters in the API's `name:min:max` form. */
  function filterTexts() {
    return Object.entries(state.filters).map(([name, [lo, hi]]) => `${name}:${Number.isFinite(lo) ? lo : ''}:${Number.isFinite(hi) ? hi : ''}`);
  }

  function updateExportLinks() {
    const filters = filterTexts().map((text) => `&filter=${encodeURIComponent(text)}`).join('');
    const base = baselineIndex() !== null ? `&baseline=${state.b}` : '';
    exportCsv.href = `/api/sweeps/${sweepId}/results?format=csv${filters}${base}`;
    exportParquet.href = `/api/sweeps/${sweepId}/results?format=parquet${filters}${base}`;
    const label = Object.keys(state.filters).length ? ' (filtered)' : '';
    exportCsv.textContent = `CSV${label}`;
    exportParquet.textContent = `Parquet${label}`;
  }

  function renderHead() {
    clear(head, h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, sweep.name, ' ', statusBadge(sweep)),
        h('div', { class: 'sub' }, [modelNames(sweep.models), `${fmtCompact(sweep.total)} points`, sweep.strategy,
          sweep.createdBy ? `by ${sweep.createdBy}` : null, fmtDate(sweep.createdAt)].filter(Boolean).join(' · '))),
      h('div', { class: 'toolbar' },
        isActive(sweep) ? h('button', { type: 'button', onclick: cancel }, 'Cancel sweep') : null,
        exportCsv, exportParquet,
        h('button', { type: 'button', id: 'export-png', onclick: () => Plotly.downloadImage(scatterDiv, {
          format: 'png', filename: `${sweep.name}-pareto`, width: 1400, height: 900 }) }, 'PNG'))),
    isActive(sweep) || sweep.status === 'failed' || sweep.failedPoints > 0 ? h('div', { class: 'card' }, progressBar(sweep),
      sweep.error && !sweep.failedPoints ? h('div', { class: 'notice error', style: { marginTop: '8px' } }, sweep.error) : null) : null);
    if (sweep.failedPoints !== shownFailures) {
      shownFailures = sweep.failedPoints;
      if (!sweep.failedPoints) clear(failures);
      else {
        failuresBanner(sweep, () => table.showFailed())
          .then((banner) => clear(failures, banner))
          .catch((error) => clear(failures, errorNotice(error, 'Could not load why points failed')));
      }
    }
  }

  function drawSearch() {
    const search = sweep.search;
    if (!search) return;
    searchCard.hidden = false;
    const told = (search.batches || []).filter((b) => b.hypervolume !== null && b.hypervolume !== undefined);
    hvCaption.textContent = `Optuna ${search.sampler} · budget ${search.budget} points in batches of ${search.batch_size} · `
      + `${told.length} of ${(search.batches || []).length} batches evaluated · hypervolume of all points stored after each batch `
      + '(fixed reference point: 10 % beyond the first batch\'s worst values).'
      + (search.stopped ? ` Stopped: ${search.stopped}.` : '');
    Plotly.react(hvDiv, [{
      type: 'scatter', mode: 'lines+markers', x: told.map((b) => b.cumulative_points), y: told.map((b) => b.hypervolume),
      text: told.map((b) => `batch ${b.batch} · front ${b.front_size ?? '?'} designs`),
      hovertemplate: '%{text}<br>%{x} points · hypervolume %{y:.6g}<extra></extra>', line: { shape: 'hv' },
    }], {
      margin: { l: 70, r: 20, t: 10, b: 45 }, height: 260,
      xaxis: { title: { text: 'Points evaluated' }, rangemode: 'tozero' },
      yaxis: { title: { text: 'Hypervolume' } },
    }, { ...PLOT_CONFIG, toImageButtonOptions: { filename: `${sweep.name}-hypervolume` } });
  }

  async function cancel() {
    const left = Math.max(0, sweep.total - sweep.done - sweep.failedPoints);
    if (!confirm(`Cancel sweep "${sweep.name}"? The ${left.toLocaleString('en-US')} points not yet evaluated will not be; `
      + `the ${sweep.done.toLocaleString('en-US')} stored are kept.`)) return;
    try { await api(`/api/sweeps/${sweepId}/cancel`, { method: 'POST' }); } catch (error) { alert(error.message); }
    poll();
  }

  function wantedColumns() {
    const metrics = [...objectives, ...headlineMetrics(), ...vocabulary.ratios.map((r) => r.of), state.x, state.y,
      state.z, state.c].filter(Boolean);
    return ['id', ...new Set([...sweep.varied, ...metrics, ...bandColumns([state.x, state.y]), 'bottleneck'])];
  }

  async function reload(loading = null) {
    lastLoad = Date.now();
    try {
      const t0 = performance.now();
      data = await (loading ?? loadResults(sweepId, wantedColumns()));
      timings.load_ms = performance.now() - t0;
      clear(notice);
    } catch (error) {
      clear(notice, errorNotice(error, 'Could not load the results'));
      return;
    }
    if (!qualityUnitAsked && data.columns.quality_loss?.some(Number.isFinite)) {  // "F1 points", "perplexity"
      qualityUnitAsked = true;
      loadQualityUnit(data.columns, data.ids).then((unit) => { if (unit && !stopped) { draw(); table.load(); } }).catch(() => {});
    }
    if (!stopped) { draw(); table.load(); drawStudy(); }
  }

  async function drawStudy() {
    const kind = studyCardFor(sweep.spec);
    if (!kind || !data || (!data.count && !kind.drawsEmpty)) return;
    if (!study) {
      let template = null;
      if (sweep.spec.template) {
        try { template = (await api('/api/templates')).find((t) => t.id === sweep.spec.template) ?? null; } catch { template = null; }
      }
      study = kind.make({ sweep, data, template, Plotly });
      clear(studyBox, study.card);
      await study.draw();
    } else {
      await study.update(data, sweep);
    }
  }

  /** The baseline point's index in the loaded data (state.b is its id), or null. */
  function baselineIndex() {
    if (!state.b || !data?.count) return null;
    const i = data.ids.indexOf(Number(state.b));
    return i >= 0 ? i : null;
  }

  /** speedup, energy_ratio, edp_ratio of every loaded point against the baseline (the catalog's ratios); null for a
   * point of another workload (model × scenario), as the API's `results?baseline=` gives them. */
  function addRatios() {
    const b = baselineIndex();
    for (const ratio of vocabulary.ratios) {
      if (b === null) { delete data.columns[ratio.name]; continue; }
      const values = data.columns[ratio.of];
      if (!values) continue;
      data.columns[ratio.name] = Array.from(values, (v, i) => (noRatioWhy(i) ? null
        : ratio.direction === 'max' ? values[b] / v : v / values[b]));
    }
  }

  /** Why point i has no ratio against the baseline (it is another workload), or null. */
  function noRatioWhy(i) {
    const b = baselineIndex();
    if (b === null || i === b) return null;
    const names = ['model', ...vocabulary.parameters.filter((p) => p.source === 'scenario').map((p) => p.name)]
      .filter((name) => data.columns[name]);
    const differs = names.filter((name) => data.columns[name][i] !== data.columns[name][b]);
    if (!differs.length) return null;
    const what = differs.map((name) => `${info(name).label.toLowerCase()} ${fmt(data.columns[name][i], name)}, the baseline's ${fmt(data.columns[name][b], name)}`);
    return `No ratio: another workload than baseline #${state.b} (${what.join('; ')}). Ratios compare designs of the same model and scenario only.`;
  }

  function columnsOf() {
    if (!data.count) {  // before the first result: the selectors offer what the sweep will report
      return { metrics: [...new Set([...objectives, ...headlineMetrics()])].filter((m) => info(m).kind === 'metric'),
        parameters: sweep.varied.filter((name) => !isMetric(name)) };
    }
    const names = Object.keys(data.columns).filter((name) => info(name).kind !== 'ratio');
    const numeric = (name) => data.columns[name].some((v) => typeof v === 'number');
    const metrics = names.filter((n) => isMetric(n) && numeric(n) && n !== 'id');
    const parameters = names.filter((n) => !isMetric(n) && !['id', 'point_id', 'point_index', 'error', 'sweep_id'].includes(n)
      && distinct(data.columns[n], 2).length > 1);
    return { metrics, parameters };
  }

  function draw() {
    if (!data) return;
    addRatios();
    const { columns, ids } = data;
    const { metrics, parameters } = columnsOf();
    if (!metrics.includes(state.x)) state.x = metrics[0];
    if (!metrics.includes(state.y)) state.y = metrics.find((m) => m !== state.x);
    // a third objective the view cannot show (not loaded, or now on X or Y) is dropped everywhere, caption included
    if (state.z && (!metrics.includes(state.z) || state.z === state.x || state.z === state.y)) state.z = '';
    writeState(`/sweeps/${sweepId}`, state, defaults);
    updateExportLinks();
    const onChange = (next) => {
      state = next;
      // a colour or a band not loaded yet
      const wanted = [state.c, ...(state.e === '1' ? bandColumns([state.x, state.y]) : [])].filter(Boolean);
      if (data.count && wanted.some((name) => !(name in data.columns))) reload(); else draw();
    };
    const bars = { x: hasBand(columns, state.x), y: hasBand(columns, state.y) };
    clear(side, controls({ state, metrics, parameters, onChange, onCopyLink: copyLink, moreColours: numericMetrics(),
      numeric: (name) => (columns[name] ?? []).some((v) => typeof v === 'number'), banded: bars.x || bars.y }));
    const barsOn = state.e === '1' ? bars : {};
    if (!data.count) {  // the axes are there before the first point
      Plotly.react(scatterDiv, [], scatterLayout(state), PLOT_CONFIG);
      Plotly.purge(parcoordsDiv);
      clear(caption, isActive(sweep) ? 'No results yet: the workers are evaluating the first chunk…'
        : sweep.failedPoints ? 'No point of this sweep could be evaluated: the banner above says why.' : 'This sweep has no results.');
      clear(tableBox);
      return;
    }
    const t0 = performance.now();
    const all = Array.from({ length: data.count }, (_, i) => i);
    const valid = all.filter((i) => Number.isFinite(columns[state.x]?.[i]) && Number.isFinite(columns[state.y]?.[i]));
    const filtered = applyFilters(columns, valid, state.filters);
    const objs = [state.x, state.y, ...(state.z ? [state.z] : [])];
    // points without a value of an objective (no published quality figure, no TTFT for an encoder) cannot be on a
    // front: the caption counts them, and they are drawn at the axis edge on request
    const lacking = applyFilters(columns, all.filter((i) => objs.some((o) => !Number.isFinite(columns[o]?.[i]))), state.filters);
    const dirs = objs.map(direction);
    const groupBy = groupColumns(state.g, columns);
    const groups = groupsOf(columns, filtered, groupBy);
    const fronts = groups.map(({ label, indices }) => {
      const mine = paretoFront(columns, objs, dirs, indices);
      if (state.z) mine.sort((a, b) => columns[state.x][a] - columns[state.x][b]);
      return { label, front: mine, knee: kneePoint(columns, objs, dirs, mine, [state.logX, state.logY, false]) };
    });
    const front = fronts.flatMap((f) => f.front);
    const groupOf = new Map(fronts.flatMap(({ label, front: mine }) => mine.map((i) => [i, label])));
    const kneeSet = new Set(fronts.map((f) => f.knee).filter((i) => i !== null && i !== undefined));
    const colourBy = state.z && (state.v || 'c') === 'c' ? state.z : state.c;
    const colourValues = colourBy ? distinct(columns[colourBy] ?? [], 10) : [];
    const categories = colourBy && (colourValues.some((v) => typeof v === 'string') || (parameters.includes(colourBy) && colourValues.length <= 10))
      ? colourValues.sort((a, b) => (a > b ? 1 : -1)) : null;
    const codes = categories ? Object.fromEntries(categories.map((c, k) => [c, k])) : null;
    const { shown, thinned } = thinForDisplay(filtered, columns[state.x], columns[state.y], {
      keep: new Set(front), logX: state.logX, logY: state.logY, limit: DISPLAY_LIMIT,
      colourCodes: codes ? columns[colourBy].map((v) => codes[v] ?? 0) : null });
    view = { filtered, front, shown, fronts };
    const t1 = performance.now();
    const three = state.z && state.v === '3d';
    const traces = three
      ? scatter3dTraces({ columns, shown, front, x: state.x, y: state.y, z: state.z, hoverText: (i) => hoverHtml(i, parameters) })
      : scatterTraces({ columns, shown, fronts: fronts.length === 1 ? [{ ...fronts[0], label: '' }] : fronts,
        x: state.x, y: state.y, colourBy, categories, steps: !state.z, bars: barsOn });
    const b = baselineIndex();
    if (b !== null && !three) {
      traces.push({ type: 'scattergl', mode: 'markers', name: `Baseline #${state.b}`, meta: 'baseline', hoverinfo: 'none',
        x: [columns[state.x][b]], y: [columns[state.y][b]], customdata: [b],
        marker: { size: 20, symbol: 'circle-open', color: '#1d2430', line: { width: 2.5, color: '#1d2430' } } });
    }
    const drawn = showMissing && !three ? filtered.concat(lacking) : filtered;  // what the axes' ticks must cover
    const spans = { x: valueSpan(columns, state.x, drawn, state.logX), y: valueSpan(columns, state.y, drawn, state.logY),
      z: state.z ? valueSpan(columns, state.z, filtered, false) : null };
    if (showMissing && lacking.length && !three) {
      traces.push(missingTrace({ columns, indices: lacking, x: state.x, y: state.y, spans, logX: state.logX, logY: state.logY,
        name: `No ${missingWhat(objs, lacking)} (${lacking.length}), drawn at the axis edge` }));
    }
    const layout = three ? scatter3dLayout(state, spans) : scatterLayout(state, spans);
    Plotly.react(scatterDiv, traces, layout, { ...PLOT_CONFIG, toImageButtonOptions: { filename: `${sweep.name}-pareto` } });
    if (!three) {
      retickOnZoom(Plotly, scatterDiv, { xaxis: { name: state.x, log: state.logX, span: spans.x },
        yaxis: { name: state.y, log: state.logY, span: spans.y } });
    }
    const t2 = performance.now();
    if (!filtered.length && Object.keys(state.filters).length) {
      clear(caption, h('span', { class: 'notice warn', id: 'no-match' }, 'No point matches the filters. ',
        h('button', { type: 'button', id: 'clear-filters', onclick: () => { state = { ...state, filters: {} }; draw(); } }, 'Clear filters')));
    } else clear(caption, `${filtered.length.toLocaleString('en-US')} of ${data.count.toLocaleString('en-US')} points pass the filters · `,
      sweep.failedPoints ? `${sweep.failedPoints.toLocaleString('en-US')} failed points are not drawn (see above) · ` : '',
      fronts.length > 1
        ? `${front.length} on ${fronts.length} Pareto fronts, one per ${groupBy.map((n) => info(n).label.toLowerCase()).join(' × ')} (${objs.map((o) => `${direction(o)} ${info(o).label.toLowerCase()}`).join(', ')})`
        : `${front.length} on the Pareto front (${objs.map((o) => `${direction(o)} ${info(o).label.toLowerCase()}`).join(', ')})`,
      lacking.length ? h('span', { id: 'missing-caption' }, ` · ${lacking.length.toLocaleString('en-US')} point${lacking.length > 1 ? 's have' : ' has'} `
        + `no ${missingWhat(objs, lacking)} and ${lacking.length > 1 ? 'are' : 'is'} left out of ${fronts.length > 1 ? 'these fronts' : 'this front'}: `,
      h('button', { type: 'button', class: 'link-button', id: 'show-missing', 'aria-pressed': String(showMissing),
        onclick: () => { showMissing = !showMissing; draw(); } }, showMissing ? 'hide them' : 'show them')) : '',
      thinned ? ` · drawing ${shown.length.toLocaleString('en-US')}: dense regions thinned, front and isolated points always kept` : '',
      data.sampled ? h('span', { id: 'first-view' }, ` · a first view of ${data.count.toLocaleString('en-US')} of ${data.total.toLocaleString('en-US')} points (every front point included); the rest is loading…`) : '',
      kneeSet.size ? ` · ★ knee point${kneeSet.size > 1 ? ' of each front' : ''}` : '', ' · hover a point for its design, click to open it',
      barsOn.x || barsOn.y ? h('span', { id: 'error-bars-caption' }, ' · error bars: the measured model\'s 10th–90th percentile band (points not validated against measurements have none)') : '',
      b !== null ? h('span', { id: 'baseline-chip', class: 'filter-chip' }, `Baseline: #${state.b} (ratios in the table, tooltips and exports`
        + `${filtered.some((i) => noRatioWhy(i)) ? '; only against designs of its own workload: the others show –' : ''})`,
        h('button', { type: 'button', 'aria-label': 'Clear the baseline', onclick: () => { state = { ...state, b: '' }; draw(); } }, '×'))
        : ' · shift-click a point to compare every design with it');
    const t3 = performance.now();
    // Parallel coordinates after the scatter has painted: the Pareto view is usable while they draw.
    clearTimeout(parcoordsTimer);
    pendingParcoords = () => {
      parcoordsTimer = setTimeout(() => {
        const start = performance.now();
        drawParcoords(parameters, metrics, shown, new Set(front), objs);
        timings.parcoords_ms = performance.now() - start;
        parcoordsDiv.dataset.ready = String(++parcoordsDraws);
      }, 0);
    };
    if (parcoordsVisible) pendingParcoords();
    else if (!observing) { observing = true; requestAnimationFrame(() => observer.observe(parcoordsDiv)); }
    clear(tableBox, frontTable({ columns, ids, front, knees: kneeSet, groupOf: fronts.length > 1 ? groupOf : null, parameters,
      metrics: [...new Set([...objs, ...['latency_s', 'ttft_s', 'tpot_s', 'energy_j', 'area_mm2', 'utilization'].filter((m) => metrics.includes(m)),
        ...(baselineIndex() !== null ? vocabulary.ratios.map((r) => r.name) : [])])],
      noValueWhy: (name, i) => (info(name).kind === 'ratio' ? noRatioWhy(i) : null),
      onCompare: (selected) => { location.hash = `#/compare?ids=${selected.join(',')}`; } }));
    bindEvents(parameters);
    drawImportance(metrics, fronts.length > 1 ? groupBy : [], groups);
    Object.assign(timings, { front_and_thinning_ms: t1 - t0, scatter_ms: t2 - t1, table_ms: performance.now() - t3 });
  }

  /** What the `lacking` points have no value of: "published quality figure", "value of TTFT". */
  function missingWhat(objs, lacking) {
    const names = objs.filter((o) => lacking.some((i) => !Number.isFinite(data.columns[o]?.[i])));
    return names.map((o) => (o === 'quality_loss' ? 'published quality figure' : `value of ${info(o).label.toLowerCase()}`))
      .join(' or ');
  }

  /** Parameter importance for the view: its filters, and one workload (front group) to choose from each. */
  function drawImportance(metrics, groupBy, groups) {
    if (!importance) {
      importance = importanceCard({ sweepId, Plotly });
      clear(importanceBox, importance.card);
    }
    const workloads = groupBy.length ? groups.map(({ label, indices }) => ({ label,
      filters: groupBy.map((name) => data.columns[name][indices[0]]).every((v) => v !== null && v !== undefined)
        ? groupBy.map((name) => `${name}=${data.columns[name][indices[0]]}`) : [] })) : [];
    importance.update({ metrics, defaultObjective: state.y, filters: filterTexts(), count: data.count,
      workloads: workloads.filter((w) => w.filters.length) });
  }

  /** The group-by columns of the view: loaded parameter columns only ('-' or none: one front). */
  function groupColumns(text, columns) {
    return (text && text !== '-' ? text.split(',') : []).filter((name) => columns[name] && !isMetric(name));
  }

  function drawParcoords(parameters, metrics, shown, frontSet, objs) {
    const dims = [...parameters.filter((p) => data.columns[p].some((v) => typeof v === 'number')).slice(0, 7),
      ...new Set([...objs, ...['area_mm2', 'utilization'].filter((m) => metrics.includes(m))])];
    const key = `${dims.join()}|${data.count}|${JSON.stringify(state.filters)}|${objs.join()}`;
    if (key === parcoordsKey) return;
    parcoordsKey = key;
    Plotly.react(parcoordsDiv, [parcoordsTrace({ columns: data.columns, shown, frontSet, dimensions: dims, filters: state.filters })],
      parcoordsLayout(), { ...PLOT_CONFIG, responsive: true });
    if (!parcoordsDiv.dataset.bound) {
      parcoordsDiv.dataset.bound = '1';
      parcoordsDiv.on('plotly_restyle', debounce(() => {
        const brushed = brushedFilters(parcoordsDiv);
        const kept = Object.fromEntries(Object.entries(state.filters).filter(([name]) => !dimsNow().includes(name)));
        state = { ...state, filters: { ...kept, ...brushed } };
        parcoordsKey = `${dimsNow().join()}|${data.count}|${JSON.stringify(state.filters)}|${[state.x, state.y, state.z].filter(Boolean).join()}`;
        draw();
      }, 200));
    }
  }

  const dimsNow = () => (parcoordsDiv.data?.[0]?.dimensions ?? []).map((d) => d.name);

  // The hover lines as plain text: the 2-D tooltip puts them in text nodes, the 3-D hover escapes them.
  function hoverLines(i, parameters) {
    const { columns, ids } = data;
    const lines = [`Point #${ids[i]}`];
    for (const name of parameters) lines.push(`${info(name).label}: ${fmt(columns[name][i], name)}`);
    for (const name of [state.x, state.y, state.z, 'area_mm2', 'utilization', 'bottleneck'].filter((n, k, a) => n && columns[n] && a.indexOf(n) === k)) {
      const [low, high] = (BANDS[name] ?? []).map((band) => columns[band]?.[i]);
      lines.push(`${info(name).label}: ${fmt(columns[name][i], name)}`
        + (Number.isFinite(low) && Number.isFinite(high) ? ` (band ${fmt(low, name)} – ${fmt(high, name)})` : ''));
    }
    const b = baselineIndex();
    if (b !== null) {
      lines.push(i === b ? 'The baseline' : noRatioWhy(i) ?? vocabulary.ratios.filter((r) => columns[r.name])
        .map((r) => `${r.label.replace(' vs baseline', '')} ${fmtValue(columns[r.name][i], '×')}`).join(' · ') + ` (vs #${state.b})`);
    }
    return lines;
  }

  function hoverHtml(i, parameters) {
    const [title, ...rest] = hoverLines(i, parameters).map(plotText);
    return [`<b>${title}</b>`, ...rest].join('<br>');
  }

  function bindEvents(parameters) {
    scatterDiv.removeAllListeners?.('plotly_hover');
    scatterDiv.removeAllListeners?.('plotly_unhover');
    scatterDiv.removeAllListeners?.('plotly_click');
    scatterDiv.on('plotly_hover', (event) => {
      const point = event.points?.[0];
      if (!point || point.customdata === undefined || point.data.type === 'scatter3d') return;
      const i = point.customdata;
      const [title, ...rest] = hoverLines(i, parameters);
      clear(tooltip, h('b', {}, title), rest.map((line) => [h('br'), line]),
        h('div', { class: 'muted' }, `${view.front.includes(i) ? 'On the Pareto front · ' : ''}click to open · shift-click: set as baseline`));
      const box = scatterDiv.getBoundingClientRect();
      const x = (event.event?.clientX ?? box.left) - box.left; const y = (event.event?.clientY ?? box.top) - box.top;
      tooltip.style.left = `${Math.min(x + 16, box.width - 260)}px`;
      tooltip.style.top = `${Math.max(8, y - 20)}px`;
      tooltip.hidden = false;
    });
    scatterDiv.on('plotly_unhover', () => { tooltip.hidden = true; });
    scatterDiv.on('plotly_click', (event) => {
      const i = event.points?.[0]?.customdata;
      if (i === undefined || data.ids[i] === undefined) return;
      if (event.event?.shiftKey) { state = { ...state, b: String(data.ids[i]) }; draw(); return; }
      location.hash = `#/points/${data.ids[i]}`;
    });
  }

  /** The filtered points split by the values of `names`, in sorted key order, each with a label ("bert-base · 512"). */
  function groupsOf(columns, indices, names) {
    if (!names.length) return [{ label: '', indices: indices.slice() }];
    const groups = new Map();
    for (const i of indices) {
      const values = names.map((name) => columns[name][i]);
      const key = JSON.stringify(values);
      if (!groups.has(key)) groups.set(key, { values, indices: [] });
      groups.get(key).indices.push(i);
    }
    const compare = (a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)));
    return [...groups.values()]
      .sort((a, b) => a.values.reduce((order, v, k) => order || compare(v, b.values[k]), 0))
      .map(({ values, indices: mine }) => ({ indices: mine,
        label: values.map((v, k) => (typeof v === 'number' ? fmt(v, names[k]) : String(v ?? '–'))).join(' · ') }));
  }

  function fmt(value, name) {
    if (typeof value !== 'number') return value ?? '–';
    const { unit } = info(name);
    return ['PEs', 'KiB', 'tokens', 'B/cycle', 'bit'].includes(unit) ? `${fmtValue(value)} ${unit}` : fmtValue(value, unit);
  }

  async function copyLink(event) {
    const button = event.target;
    try { await navigator.clipboard.writeText(location.href); button.textContent = 'Link copied'; } catch {
      prompt('Copy this link:', location.href);
    }
    setTimeout(() => { button.textContent = 'Copy link'; }, 1500);
  }

  async function poll() {
    if (stopped) return;
    try {
      const before = sweep.done;
      sweep = normalizeSweep(await api(`/api/sweeps/${sweepId}`));
      renderHead();
      drawSearch();
      const finished = !isActive(sweep);
      if ((sweep.done !== before && Date.now() - lastLoad > RELOAD_MS) || finished) await reload();
      if (!finished && !stopped) pollTimer = setTimeout(poll, POLL_MS);
    } catch (error) {
      clear(notice, errorNotice(error, 'Lost contact with the sweep'));
      if (!stopped) pollTimer = setTimeout(poll, POLL_MS * 3);
    }
  }

  // The results download while Plotly.js compiles; both are needed before the first draw. A huge sweep first draws a
  // sample that holds every point of the fronts the view shows (picked on the server, over every point), then
  // every point once they have arrived.
  const firstView = sweep.done > FIRST_VIEW_ABOVE;
  const firstResults = loadResults(sweepId, wantedColumns(), firstView ? {
    sample: FIRST_VIEW_POINTS, keepFront: [state.x, state.y, state.z].filter(Boolean).join(','),
    keepFrontGroupBy: state.g && state.g !== '-' ? state.g : '', filters: filterTexts() } : {});
  firstResults.catch(() => {});
  const Plotly = await plotlyLoading;
  timings.plotly_ready_ms = performance.now();
  renderHead();
  drawSearch();
  await reload(firstResults);
  if (data?.sampled) reload();  // every point, in the background; the view redraws when they are in
  if (isActive(sweep)) pollTimer = setTimeout(poll, POLL_MS);
  return () => {
    stopped = true;
    observer.disconnect();
    clearTimeout(pollTimer);
    clearTimeout(parcoordsTimer);
    Plotly.purge(scatterDiv);
    Plotly.purge(parcoordsDiv);
    Plotly.purge(hvDiv);
  };
}

