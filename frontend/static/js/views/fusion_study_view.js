// The fusion study's page (template `fusion-study`, survey Sec 5.5): per sequence length, fusion group and
// accumulator size, the group's own cycles (the ops it joins, e.g. qk_matmul + softmax) fused against the same ops
// in the unfused design, our change beside the survey's, and a group the simulator refused with the reason its
// report gives (never a 0% gain).

import { clear, h } from '../dom.js';
import { fmtValue } from '../format.js';
import { BASE_LAYOUT, PLOT_CONFIG } from '../plotly_loader.js';
import { changeClass, changeText, opTotals, pointCache, progressNote, publishedText, studyPoints } from '../study_points.js';

const OURS_COLOUR = '#2458d6';
const SURVEY_COLOUR = '#e1a100';

function unique(values) {
  return [...new Set(values.filter((v) => v !== undefined && v !== null))].sort((a, b) => a - b);
}

/** The study's rows: one per (sequence length, group, accumulator size), from the points that have a result. */
export function fusionRows(spec, reference, points) {
  const groups = reference.groups ?? {};
  const key = (l, acc, variant) => JSON.stringify([l, acc, variant]);
  const byKey = new Map(points.map((p) => [key(p.parameters.seq_len, p.parameters.accumulator_kib, p.parameters.variant), p]));
  const lengths = unique([...spec.scenarios.map((s) => s.seq_len), ...points.map((p) => p.parameters.seq_len)]);
  const axis = spec.axes?.accumulator_kib;
  const accumulators = unique([...(Array.isArray(axis) ? axis : []), ...points.map((p) => p.parameters.accumulator_kib)]);
  const rows = [];
  for (const seqLen of lengths) {
    for (const [name, group] of Object.entries(groups)) {
      for (const acc of accumulators) {
        const base = byKey.get(key(seqLen, acc, reference.baseline));
        const fused = byKey.get(key(seqLen, acc, group.variant));
        const survey = (reference.figures ?? []).find((f) => f.group === name && f.seq_len === seqLen
          && (f.accumulator_kib === undefined || f.accumulator_kib === acc)) ?? null;
        const row = { seqLen, acc, name, group, base, fused, survey, state: 'missing' };
        if (base && fused) {
          const inGroup = (op) => group.ops.includes(op.name);
          row.unfused = opTotals(base, inGroup);
          row.fusedTotals = opTotals(fused, inGroup);
          row.endToEnd = fused.metrics.latency_cycles / base.metrics.latency_cycles - 1;
          row.notes = (fused.report?.notes ?? []).filter((note) => note.startsWith(`${name} `));
          const applied = String(fused.metrics.fused_groups ?? '').split('+').includes(name);
          row.state = applied ? 'fused' : 'refused';
          if (applied) row.change = row.fusedTotals.cycles / row.unfused.cycles - 1;
        }
        rows.push(row);
      }
    }
  }
  return rows;
}

export function fusionStudyCard({ sweep, data, template, Plotly }) {
  const reference = template?.reference ?? {};
  const cache = pointCache();
  const status = h('div', { class: 'notice', id: 'fusion-status', hidden: true });
  const body = h('div', {});
  const card = h('section', { class: 'card', id: 'fusion-study', 'aria-labelledby': 'fusion-title' },
    h('h2', { id: 'fusion-title' }, 'Fusion study: what each fusion does to the ops it joins'),
    h('p', { class: 'small muted', style: { margin: '0 0 8px' } },
      'Each group\'s own cycles (the sum of the ops it joins) in the design that fuses it, against the same ops in the ',
      'unfused design of the same sequence length and accumulator size; negative is faster. A row-wise fusion needs ',
      'whole output rows in the accumulator: it can cost the GEMM its reuse, or not fit at all (refused, with the ',
      'simulator\'s reason).',
      reference.source ? ` Survey: ${reference.source}.` : ''),
    status, body);
  let current = sweep;

  function groupCell(row) {
    return h('th', { scope: 'row' }, row.group.label,
      h('div', { class: 'small muted' }, row.group.ops.join(' + ')));
  }

  function rowElement(row) {
    const attrs = { 'data-group': row.name, 'data-seq-len': String(row.seqLen), 'data-accumulator': String(row.acc),
      'data-state': row.state, class: row.state === 'refused' ? 'refused' : undefined };
    const survey = row.survey
      ? h('td', { class: `num survey ${changeClass(row.survey.change_percent / 100)}`, title: row.survey.where },
        publishedText(row.survey.change_percent))
      : h('td', { class: 'num survey muted' }, '–');
    const where = row.survey ? h('div', { class: 'small muted' }, row.survey.where) : null;
    if (row.state === 'missing') {
      const why = row.base || row.fused ? 'the other design of the pair has no result yet' : 'no result yet';
      return h('tr', attrs, groupCell(row), h('td', { class: 'num' }, `${row.acc} KiB`),
        h('td', { colspan: 3, class: 'muted' }, current.status === 'done' ? 'no result (failed: see the banner above)' : why),
        survey, h('td', {}), h('td', {}, where));
    }
    const link = (point, text) => h('a', { href: `#/points/${point.id}` }, text);
    const ours = row.state === 'refused'
      ? h('td', { class: 'num ours' }, h('span', { class: 'badge failed' }, 'refused'))
      : h('td', { class: `num ours ${changeClass(row.change)}` }, changeText(row.change));
    const note = row.state === 'refused'
      ? h('td', { class: 'reason' }, h('div', { class: 'refusal' }, row.notes.join('; ')
        || 'not applied (the report gives no reason)'), where)
      : h('td', {}, row.notes.length ? h('div', { class: 'small' }, row.notes.join('; ')) : null, where);
    return h('tr', attrs, groupCell(row), h('td', { class: 'num' }, `${row.acc} KiB`),
      h('td', { class: 'num' }, link(row.base, fmtValue(row.unfused.cycles, 'cycles'))),
      h('td', { class: 'num' }, row.state === 'refused' ? h('span', { class: 'muted' }, 'not fused')
        : link(row.fused, fmtValue(row.fusedTotals.cycles, 'cycles'))),
      ours, survey,
      h('td', { class: `num ${changeClass(row.endToEnd)}` }, changeText(row.endToEnd)),
      note);
  }

  function chart(div, rows, seqLen) {
    const x = [rows.map((r) => r.name), rows.map((r) => `${r.acc} KiB`)];  // group, then accumulator size below it
    const refused = rows.map((r) => r.state === 'refused');
    Plotly.react(div, [
      { type: 'bar', name: 'Ours', x, y: rows.map((r) => (r.state === 'fused' ? r.change * 100 : null)),
        marker: { color: OURS_COLOUR }, hovertemplate: '%{x}: ours %{y:.1f}%<extra></extra>' },
      { type: 'bar', name: 'Survey', x, y: rows.map((r) => (r.survey ? r.survey.change_percent : null)),
        marker: { color: SURVEY_COLOUR }, hovertemplate: '%{x}: survey %{y}%<extra></extra>' },
      { type: 'scatter', mode: 'text', name: 'Refused', showlegend: false, hoverinfo: 'skip', x,
        y: refused.map((r) => (r ? 0 : null)), text: refused.map((r) => (r ? 'refused' : '')), textposition: 'top center',
        textfont: { color: '#c53030', size: 11 } },
    ], {
      ...BASE_LAYOUT, barmode: 'group', height: 320, margin: { l: 60, r: 10, t: 34, b: 60 },
      title: { text: `Group latency change, l = ${seqLen}`, font: { size: 14 }, x: 0, xanchor: 'left' },
      yaxis: { title: { text: 'fused vs unfused' }, ticksuffix: '%', zeroline: true, zerolinecolor: '#8a93a3' },
      xaxis: { type: 'multicategory', tickfont: { size: 10 } }, legend: { orientation: 'h', y: 1.12, x: 1, xanchor: 'right' },
    }, { ...PLOT_CONFIG, toImageButtonOptions: { filename: `${sweep.name}-fusion-l${seqLen}` } });
  }

  async function draw() {
    const note = progressNote(current, data.count);
    status.hidden = !note;
    status.textContent = note ?? '';
    if (!reference.groups) {
      clear(body, h('p', { class: 'muted' }, 'The fusion study\'s template could not be read, so its groups are unknown.'));
      return;
    }
    const points = await studyPoints(cache, data.ids, body);
    if (!points) return;
    const rows = fusionRows(sweep.spec, reference, points);
    const lengths = [...new Set(rows.map((r) => r.seqLen))];
    const charts = lengths.map((seqLen) => [h('div', { class: 'plot', id: `fusion-chart-${seqLen}`, style: { minHeight: '300px' },
      role: 'img', 'aria-label': `Group latency change at l = ${seqLen}, ours and the survey's` }), seqLen]);
    const tables = lengths.map((seqLen) => h('div', { class: 'study-group', 'data-seq-len': String(seqLen) },
      h('h3', {}, `l = ${seqLen} tokens`),
      h('div', { class: 'table-wrap', style: { maxHeight: 'none' } }, h('table', { class: 'data fusion-table' },
        h('thead', {}, h('tr', {}, ['Group (its ops)', 'Accumulator', 'Unfused', 'Fused', 'Ours', 'Survey',
          'End to end', 'Reason / where the survey says it'].map((t, k) => h('th', { scope: 'col',
          class: k > 0 && k < 7 ? 'num' : undefined }, t)))),
        h('tbody', {}, rows.filter((r) => r.seqLen === seqLen).map(rowElement))))));
    clear(body, h('div', { class: 'grid-2' }, charts.map(([div]) => div)), tables);
    for (const [div, seqLen] of charts) chart(div, rows.filter((r) => r.seqLen === seqLen), seqLen);
  }

  return {
    card, draw,
    update(next, nextSweep) { data = next; current = nextSweep ?? current; return draw(); },
  };
}
