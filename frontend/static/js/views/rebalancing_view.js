// The memory re-balancing page (template `memory-rebalancing`, survey Sec 3.4): per accelerator, the scratchpad ×
// accumulator grid of summed GEMM cycles relative to the baseline cell, as a heatmap and a table, with the
// survey's figure in its cell, and what the GEMMs are bound by (compute share, DRAM bytes) to say why.

import { clear, h } from '../dom.js';
import { fmtValue } from '../format.js';
import { BASE_LAYOUT, PLOT_CONFIG } from '../plotly_loader.js';
import { changeClass, changeText, opTotals, pointCache, progressNote, publishedText, studyPoints } from '../study_points.js';

const isGemm = (op) => op.kind === 'gemm';

function axisValues(spec, name, points) {
  const axis = spec.axes?.[name];
  return [...new Set([...(Array.isArray(axis) ? axis : []), ...points.map((p) => p.parameters[name])])]
    .filter((v) => v !== undefined && v !== null).sort((a, b) => a - b);
}

/** Per variant (accelerator), the grid's cells {sp, acc, point, gemm, change, dramChange} against the baseline cell
 * (the template's `reference.baseline_cell`, backend/sweeps/templates.py). */
export function rebalancingGrids(spec, reference, points) {
  const baseCell = reference.baseline_cell;
  const scratchpads = axisValues(spec, 'scratchpad_kib', points);
  const accumulators = axisValues(spec, 'accumulator_kib', points);
  const labels = (spec.variants ?? []).map((v) => v.label);
  return labels.map((label) => {
    const mine = points.filter((p) => p.parameters.variant === label);
    const at = (sp, acc) => mine.find((p) => p.parameters.scratchpad_kib === sp && p.parameters.accumulator_kib === acc);
    const basePoint = at(baseCell.scratchpad_kib, baseCell.accumulator_kib);
    const base = basePoint ? opTotals(basePoint, isGemm) : null;
    const cells = scratchpads.map((sp) => accumulators.map((acc) => {
      const point = at(sp, acc);
      const gemm = point ? opTotals(point, isGemm) : null;
      const survey = (reference.figures ?? []).find((f) => f.scratchpad_kib === sp && f.accumulator_kib === acc) ?? null;
      return { sp, acc, point, gemm, survey,
        baseline: sp === baseCell.scratchpad_kib && acc === baseCell.accumulator_kib,
        change: gemm && base ? gemm.cycles / base.cycles - 1 : null,
        dramChange: gemm && base ? gemm.dramBytes / base.dramBytes - 1 : null };
    }));
    return { label, accelerator: spec.variants.find((v) => v.label === label)?.accelerator ?? spec.accelerator,
      scratchpads, accumulators, cells, base, baseCell };
  });
}

export function rebalancingCard({ sweep, data, template, Plotly }) {
  const reference = template?.reference ?? {};
  const cache = pointCache();
  const status = h('div', { class: 'notice', id: 'rebalancing-status', hidden: true });
  const body = h('div', {});
  const base = reference.baseline_cell;
  const card = h('section', { class: 'card', id: 'rebalancing-study', 'aria-labelledby': 'rebalancing-title' },
    h('h2', { id: 'rebalancing-title' }, 'Memory re-balancing: GEMM cycles across scratchpad × accumulator sizes'),
    h('p', { class: 'small muted', style: { margin: '0 0 8px' } },
      'Each cell: the summed cycles of every GEMM (matmul) of the design, relative to the baseline cell',
      base ? ` (scratchpad ${base.scratchpad_kib} KiB, accumulator ${base.accumulator_kib} KiB)` : '',
      '; negative is faster. Below it, the GEMMs\' DRAM traffic relative to the baseline\'s.',
      reference.source ? ` Survey: ${reference.source}.` : ''),
    status, body);
  let current = sweep;

  function cellElement(cell) {
    const attrs = { 'data-scratchpad': String(cell.sp), 'data-accumulator': String(cell.acc),
      class: ['cell', cell.baseline ? 'baseline-cell' : '', cell.survey ? 'survey-cell' : ''].filter(Boolean).join(' ') };
    const survey = cell.survey ? h('div', { class: 'survey', title: cell.survey.where },
      `survey ${publishedText(cell.survey.change_percent)}`) : null;
    if (!cell.point) {
      return h('td', attrs, h('span', { class: 'muted' }, current.status === 'done' ? 'no result' : '…'), survey);
    }
    return h('td', attrs,
      h('a', { href: `#/points/${cell.point.id}`, class: `ours ${changeClass(cell.change)}` },
        cell.baseline ? 'baseline' : changeText(cell.change)),
      h('div', { class: 'small muted' }, fmtValue(cell.gemm.cycles, 'cycles')),
      h('div', { class: 'small muted' }, `DRAM ${fmtValue(cell.gemm.dramBytes, 'B')}`,
        cell.baseline ? '' : ` (${changeText(cell.dramChange)})`),
      survey);
  }

  function summary(grid) {
    const target = grid.cells.flat().find((c) => c.survey);
    const baseCell = grid.cells.flat().find((c) => c.baseline);
    if (!target?.point || !baseCell?.point) return null;
    const share = (c) => Math.round((c.gemm.computeCycles / c.gemm.cycles) * 100);
    const reading = Math.abs(target.change) < 0.02
      ? 'the GEMMs are compute-bound, so moving fewer bytes barely changes their time'
      : 'the GEMMs wait on the DMA, so fewer bytes in fuller DMA packets (wider tile rows) shorten them';
    return h('p', { class: 'study-summary' },
      `Scratchpad ${target.sp} KiB, accumulator ${target.acc} KiB against the baseline: our GEMM cycles `,
      h('strong', {}, changeText(target.change)), ', the survey\'s ',
      h('strong', {}, publishedText(target.survey.change_percent)), `. Their DRAM traffic changes `,
      `${changeText(target.dramChange)}; the array's own compute is ${share(baseCell)}% of the baseline's GEMM cycles `,
      `and ${share(target)}% of this cell's: ${reading}.`);
  }

  function heatmap(div, grid) {
    const z = grid.cells.map((row) => row.map((c) => (c.change === null ? null : c.change * 100)));
    const text = grid.cells.map((row) => row.map((c) => {
      if (!c.point) return '';
      const ours = c.baseline ? 'baseline' : changeText(c.change);
      return c.survey ? `${ours}<br>survey ${publishedText(c.survey.change_percent)}` : ours;
    }));
    const span = Math.max(1, ...z.flat().filter((v) => v !== null).map(Math.abs),
      ...grid.cells.flat().filter((c) => c.survey).map((c) => Math.abs(c.survey.change_percent)));
    Plotly.react(div, [{
      type: 'heatmap', x: grid.accumulators.map((v) => `${v} KiB`), y: grid.scratchpads.map((v) => `${v} KiB`), z, text,
      texttemplate: '%{text}', textfont: { size: 13 }, zmin: -span, zmax: span, zmid: 0,
      colorscale: [[0, '#2458d6'], [0.5, '#f4f5f7'], [1, '#c53030']],
      colorbar: { title: { text: 'GEMM cycles' }, ticksuffix: '%' },
      hovertemplate: 'scratchpad %{y}, accumulator %{x}: %{z:.2f}%<extra></extra>', xgap: 2, ygap: 2,
    }], {
      ...BASE_LAYOUT, height: 320, margin: { l: 90, r: 20, t: 34, b: 50 },
      title: { text: `${grid.label}: GEMM cycles vs the baseline cell`, font: { size: 14 }, x: 0, xanchor: 'left' },
      xaxis: { title: { text: 'Accumulator' }, type: 'category' },
      yaxis: { title: { text: 'Scratchpad' }, type: 'category' },
    }, { ...PLOT_CONFIG, toImageButtonOptions: { filename: `${sweep.name}-${grid.label}` } });
  }

  async function draw() {
    const note = progressNote(current, data.count);
    status.hidden = !note;
    status.textContent = note ?? '';
    if (!base) {
      clear(body, h('p', { class: 'muted' }, 'The re-balancing study\'s template could not be read, so its baseline cell is unknown.'));
      return;
    }
    const points = await studyPoints(cache, data.ids, body);
    if (!points) return;
    const grids = rebalancingGrids(sweep.spec, reference, points);
    const plots = [];
    clear(body, grids.map((grid, g) => {
      const div = h('div', { class: 'plot', id: `rebalancing-heatmap-${g}`, style: { minHeight: '320px' }, role: 'img',
        'aria-label': `${grid.label}: GEMM cycles relative to the baseline cell` });
      plots.push([div, grid]);
      return h('div', { class: 'study-group', 'data-variant': grid.label },
        h('h3', {}, grid.label, grid.accelerator !== grid.label ? ` (${grid.accelerator})` : ''),
        summary(grid),
        h('div', { class: 'grid-2' }, div,
          h('div', {}, h('table', { class: 'data rebalancing-grid', 'aria-label': `${grid.label}: GEMM cycles by scratchpad and accumulator` },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Scratchpad \\ accumulator'),
              grid.accumulators.map((acc) => h('th', { scope: 'col', class: 'num' }, `${acc} KiB`)))),
            h('tbody', {}, grid.cells.map((row, r) => h('tr', {}, h('th', { scope: 'row' }, `${grid.scratchpads[r]} KiB`),
              row.map(cellElement))))))));
    }));
    for (const [div, grid] of plots) heatmap(div, grid);
  }

  return {
    card, draw,
    update(next, nextSweep) { data = next; current = nextSweep ?? current; return draw(); },
  };
}
