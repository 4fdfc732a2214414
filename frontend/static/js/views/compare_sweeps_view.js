// Compare sweeps: each sweep's Pareto fronts (one per workload, model × scenario, each labelled with it) on one plot
// with its own objectives and log/linear axes, a summary (each front's hypervolume against one common reference,
// and which front is best where along X) and a table of the front designs.
// #/compare-sweeps?ids=3,7&x=latency_s&y=energy_j&log=xy is shareable.

import { api } from '../api.js';
import { clear, errorNotice, h } from '../dom.js';
import { axisTicks, fmtValue } from '../format.js';
import { DEFAULT_OBJECTIVES, direction, info, numericMetrics, titleOf, vocabulary } from '../catalog.js';
import { BASE_LAYOUT, loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { bestAlongX, hypervolume2d } from '../pareto_math.js';
import { plotText } from '../plot_text.js';
import { retickOnZoom } from '../plots/pareto_scatter.js';
import { normalizeSweep } from '../sweep_model.js';

const SWEEP_COLOURS = ['#e4572e', '#2458d6', '#1f9e89', '#9b4dca', '#e1a100', '#d1495b', '#3c9d3c', '#7a5c3e'];
const DASHES = ['solid', 'dot', 'dash', 'longdash', 'dashdot', 'longdashdot'];
const REFERENCE_MARGIN = 0.05;  // the common reference: 5 % of each axis's span beyond the worst front point

/** The fields that name a sweep's workload: the model and every scenario field its spec sets (at most four: the
 * API groups by at most four columns). Every front is labelled with them, even a sweep's only one. */
function workloadFields(spec) {
  const set = new Set([...(spec.scenarios ?? []).flatMap((s) => Object.keys(s)), ...Object.keys(spec.scenario_axes ?? {})]);
  const scenario = vocabulary.parameters.filter((p) => p.source === 'scenario' && set.has(p.name)).map((p) => p.name);
  return ['model', ...scenario].slice(0, 4);
}

function workloadLabel(key) {
  return Object.entries(key).map(([name, value]) => {
    if (typeof value !== 'number') return String(value ?? '–');
    const { label, unit } = info(name);
    return unit ? fmtValue(value, unit) : `${label.toLowerCase()} ${fmtValue(value)}`;
  }).join(' · ');
}

export async function render(container, _params, query) {
  const ids = (query.get('ids') || '').split(',').filter((s) => /^\d+$/.test(s)).slice(0, 8).map(Number);
  const x = query.get('x') || DEFAULT_OBJECTIVES[0];
  const y = query.get('y') || DEFAULT_OBJECTIVES[1];
  const log = query.get('log') ?? 'xy';
  const logX = log.includes('x'); const logY = log.includes('y');
  const chosenWorkload = query.get('w');  // one workload's fronts (its label), or 'all'
  container.append(h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Compare sweeps'),
    h('div', { class: 'sub' }, 'Each sweep\'s Pareto fronts on one plot, one front per workload (model × scenario).'))));
  if (ids.length < 2) {
    container.append(h('div', { class: 'card empty' }, h('h2', {}, 'Pick at least two sweeps'),
      h('p', {}, 'Tick two or more sweeps in the sweeps list and press "Compare sweeps".'),
      h('a', { class: 'button primary', href: '#/sweeps' }, 'Go to the sweeps')));
    return undefined;
  }
  const go = (next) => {
    const view = { x, y, log, w: chosenWorkload, ...next };
    location.hash = `#/compare-sweeps?ids=${ids.join(',')}&x=${view.x}&y=${view.y}&log=${view.log || '-'}`
      + `${view.w ? `&w=${encodeURIComponent(view.w)}` : ''}`;
  };
  const metricSelect = (id, label, value, key) => h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, onchange: (e) => go({ [key]: e.target.value }) },
      numericMetrics().map((m) => h('option', { value: m, selected: m === value }, titleOf(m)))));
  const logBox = (id, label, on, axis) => h('label', {}, h('input', { type: 'checkbox', id, checked: on, onchange: (e) => {
    go({ log: `${axis === 'x' ? (e.target.checked ? 'x' : '') : (logX ? 'x' : '')}${axis === 'y' ? (e.target.checked ? 'y' : '') : (logY ? 'y' : '')}` });
  } }), label);
  const plotDiv = h('div', { class: 'plot tall', id: 'compare-sweeps-plot', role: 'img', 'aria-label': 'Fronts of the sweeps' });
  const summaryBox = h('div', {});
  const tableBox = h('div', {});
  const workloadField = h('div', { class: 'field' });
  container.append(h('section', { class: 'card inline', 'aria-label': 'Axes', style: { alignItems: 'flex-end' } },
    workloadField, metricSelect('compare-x', 'X objective', x, 'x'), metricSelect('compare-y', 'Y objective', y, 'y'),
    h('div', { class: 'field' }, h('label', {}, 'Axes'), h('div', { class: 'checks' },
      logBox('compare-log-x', 'log X', logX, 'x'), logBox('compare-log-y', 'log Y', logY, 'y')))),
  h('section', { class: 'card' }, plotDiv), summaryBox, tableBox);

  let Plotly; let sweeps; let answers;
  try {
    [Plotly, ...sweeps] = await Promise.all([loadPlotly(), ...ids.map((id) => api(`/api/sweeps/${id}`))]);
    sweeps = sweeps.map(normalizeSweep);
    answers = await Promise.all(sweeps.map((sweep) => api(`/api/sweeps/${sweep.id}/pareto?${new URLSearchParams({
      objectives: `${x},${y}`, columns: 'id', group_by: workloadFields(sweep.spec).join(',') })}`)));
  } catch (error) {
    clear(tableBox, errorNotice(error, 'Could not load the sweeps'));
    return undefined;
  }
  // every front as {sweep, s, g, label, rows}: rows are [{id, x, y}] by the X objective
  const everyLine = sweeps.flatMap((sweep, s) => answers[s].groups.map((group, g) => ({ sweep, s, g,
    label: workloadLabel(group.key), rows: group.front.map((row) => ({ id: row.id, x: row[x], y: row[y] })) })))
    .filter((line) => line.rows.length);
  // Fronts of different workloads are not comparable (a shorter sequence wins everything): one workload at a time,
  // by default the one most sweeps share.
  const workloads = [...new Set(everyLine.map((l) => l.label))]
    .map((label) => ({ label, sweeps: new Set(everyLine.filter((l) => l.label === label).map((l) => l.s)).size }))
    .sort((a, b) => b.sweeps - a.sweeps);
  const workload = chosenWorkload === 'all' || workloads.length < 2 ? 'all'
    : (workloads.find((w) => w.label === chosenWorkload) ?? workloads[0]).label;
  const lines = everyLine.filter((l) => workload === 'all' || l.label === workload);
  clear(workloadField, h('label', { for: 'compare-workload' }, 'Workload'),
    h('select', { id: 'compare-workload', disabled: workloads.length < 2, onchange: (e) => go({ w: e.target.value }) },
      workloads.map((w) => h('option', { value: w.label, selected: w.label === workload },
        `${w.label} (${w.sweeps} sweep${w.sweeps > 1 ? 's' : ''})`)),
      workloads.length > 1 ? h('option', { value: 'all', selected: workload === 'all' }, 'every workload') : null));
  const all = lines.flatMap((l) => l.rows);
  const span = (key, isLog) => {
    const values = all.map((r) => r[key]).filter((v) => Number.isFinite(v) && (!isLog || v > 0));
    return values.length ? [Math.min(...values), Math.max(...values)] : null;
  };
  const spans = { x: span('x', logX), y: span('y', logY) };
  const traces = lines.map((line) => ({
    type: 'scatter', mode: 'lines+markers', meta: 'front', customdata: line.rows.map((r) => r.id),
    name: `${plotText(line.sweep.name)} · ${plotText(line.label)} (${line.rows.length})`,
    legendgroup: `sweep-${line.s}`, x: line.rows.map((r) => r.x), y: line.rows.map((r) => r.y),
    line: { color: SWEEP_COLOURS[line.s % SWEEP_COLOURS.length], dash: DASHES[line.g % DASHES.length], shape: 'hv', width: 1.5 },
    marker: { size: 8, color: SWEEP_COLOURS[line.s % SWEEP_COLOURS.length], symbol: 'diamond' },
    hovertemplate: `<b>${plotText(line.sweep.name)}</b> · ${plotText(line.label)}<br>point #%{customdata}<br>`
      + `${info(x).label}: %{x}<br>${info(y).label}: %{y}<extra></extra>`,
  }));
  const axis = (name, isLog, axisSpan) => ({ title: { text: titleOf(name), standoff: 8 }, type: isLog ? 'log' : 'linear',
    gridcolor: '#eef0f3', zeroline: false, automargin: true, exponentformat: 'SI',
    ...(axisSpan ? axisTicks(axisSpan[0], axisSpan[1], info(name).unit, isLog) : {}) });
  await Plotly.newPlot(plotDiv, traces, { ...BASE_LAYOUT, margin: { l: 78, r: 20, t: 10, b: 64 }, hovermode: 'closest',
    xaxis: axis(x, logX, spans.x), yaxis: axis(y, logY, spans.y), legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' } },
  { ...PLOT_CONFIG, toImageButtonOptions: { filename: `compare-sweeps-${ids.join('-')}` } });
  retickOnZoom(Plotly, plotDiv, { xaxis: { name: x, log: logX, span: spans.x }, yaxis: { name: y, log: logY, span: spans.y } });
  plotDiv.on('plotly_click', (event) => {
    const id = event.points?.[0]?.customdata;
    if (id !== undefined) location.hash = `#/points/${id}`;
  });
  const byWorkload = [...new Set(lines.map((l) => l.label))].map((label) => lines.filter((l) => l.label === label));
  clear(summaryBox, h('section', { class: 'card', id: 'compare-summary', 'aria-labelledby': 'compare-summary-title' },
    h('h2', { id: 'compare-summary-title' }, 'Summary'),
    h('p', { class: 'small muted' }, `Hypervolume: the share of the box between the best ${info(x).label.toLowerCase()} and `
      + `${info(y).label.toLowerCase()} of a workload's fronts and one common reference point (5 % beyond the worst of each) `
      + `that a front dominates, on the plot's ${logX || logY ? 'log ' : ''}axes; higher is better. Fronts are compared `
      + 'within a workload only.'),
    byWorkload.map((mine) => summary(mine, { x, y, logX, logY, titled: byWorkload.length > 1 }))));
  clear(tableBox, h('section', { class: 'card', 'aria-labelledby': 'compare-fronts-title' },
    h('h2', { id: 'compare-fronts-title' }, `Front designs: ${all.length}`),
    h('div', { class: 'table-wrap', style: { maxHeight: '520px' } }, h('table', { class: 'data', id: 'compare-sweeps-table' },
      h('thead', {}, h('tr', {}, ['Sweep', 'Front (workload)', 'Point', titleOf(x), titleOf(y)].map((t, k) => h('th', { scope: 'col', class: k > 2 ? 'num' : undefined }, t)))),
      h('tbody', {}, lines.flatMap((line) => line.rows.map((row) => h('tr', { 'data-sweep-id': String(line.sweep.id) },
        h('td', {}, h('a', { href: `#/sweeps/${line.sweep.id}` }, line.sweep.name)), h('td', { class: 'small' }, line.label),
        h('td', {}, h('a', { href: `#/points/${row.id}` }, `#${row.id}`)),
        h('td', { class: 'num' }, fmtValue(row.x, info(x).unit, 4)), h('td', { class: 'num' }, fmtValue(row.y, info(y).unit, 4))))))))));
  return () => Plotly.purge(plotDiv);
}

/** Hypervolume of each front against one reference (in the plot's axes: logs on a log axis, each objective turned
 * to "lower is better") as a share of the box from the best to the reference, and which front is best where. */
function summary(lines, { x, y, logX, logY, titled }) {
  const flip = [direction(x) === 'max' ? -1 : 1, direction(y) === 'max' ? -1 : 1];
  const to = (v, isLog, k) => (isLog ? (v > 0 ? Math.log10(v) : NaN) : v) * flip[k];
  const back = (t, isLog, k) => (isLog ? 10 ** (t * flip[k]) : t * flip[k]);
  const fronts = lines.map((line) => line.rows.map((r) => [to(r.x, logX, 0), to(r.y, logY, 1)])
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)));
  const points = fronts.flat();
  if (!points.length) return h('p', { class: 'muted' }, 'No front points to compare.');
  const lo = [0, 1].map((k) => Math.min(...points.map((p) => p[k])));
  const hi = [0, 1].map((k) => Math.max(...points.map((p) => p[k])));
  const ref = [0, 1].map((k) => hi[k] + REFERENCE_MARGIN * ((hi[k] - lo[k]) || 1));
  const box = (ref[0] - lo[0]) * (ref[1] - lo[1]);
  const shares = fronts.map((pts) => hypervolume2d(pts, ref) / box);
  const leader = shares.indexOf(Math.max(...shares));
  const where = bestAlongX(fronts);
  const xText = (t) => (Number.isFinite(t) ? fmtValue(back(t, logX, 0), info(x).unit) : null);
  const name = (k) => `${lines[k].sweep.name} · ${lines[k].label}`;
  const better = (name_) => (direction(name_) === 'max' ? 'highest' : 'lowest');
  return h('div', { class: 'workload-summary', 'data-workload': lines[0].label },
    titled ? h('h3', {}, `Workload: ${lines[0].label}`) : null,
    h('table', { class: 'data compare-hypervolume' },
      h('thead', {}, h('tr', {}, ['Front', 'Designs', 'Hypervolume'].map((t, k) => h('th', { scope: 'col', class: k ? 'num' : undefined }, t)))),
      h('tbody', {}, lines.map((line, k) => h('tr', { class: k === leader ? 'leader' : undefined },
        h('td', {}, name(k), k === leader ? h('strong', {}, ' (largest)') : null),
        h('td', { class: 'num' }, String(line.rows.length)),
        h('td', { class: 'num', 'data-share': String(shares[k]) }, `${(shares[k] * 100).toFixed(1)} %`))))),
    h('p', { style: { margin: '10px 0 4px' } }, h('strong', {}, 'Which front is best where'),
      ` (the ${better(y)} ${info(y).label.toLowerCase()} for a given ${info(x).label.toLowerCase()}):`),
    h('ul', { class: 'compare-dominance' }, where.map(({ from, to: until, best }) => h('li', {},
      `${info(x).label} ${xText(from)}${xText(until) ? ` to ${xText(until)}` : ' and beyond'}: `,
      h('strong', {}, best.map(name).join(' = '))))));
}
