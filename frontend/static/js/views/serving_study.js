// The LLM-serving template's page (template `llm-serving`, backend/sweeps/templates.py): the sweep's points drawn as
// serving curves, one per design (variant): generated tokens/s against TPOT over the batch axis, the TPOT SLO line
// and each design's goodput-optimal batch starred, with SLO bounds the reader can change. The same figure as the
// serving page (#/serving), from stored results instead of a request; a link opens that page for arrival runs.

import { clear, h } from '../dom.js';
import { fmtValue } from '../format.js';
import { PLOT_CONFIG } from '../plotly_loader.js';
import { goodputPoint, servingFigure } from '../plots/serving_curve_plot.js';
import { progressNote } from '../study_points.js';

/** Per design (a variant, and its tensor-parallel degree when the sweep varies it), the points {batch, tokens_per_s,
 * tpot_s, ttft_s, id} of the loaded columns, and its goodput batch. Throughput is batch x generated tokens / latency,
 * as simulator/serving/curve.py has it. */
export function servingCurves(spec, columns, ids, slo) {
  const generated = spec.scenarios?.[0]?.generate_len ?? 0;
  const labels = new Set((spec.variants ?? []).map((v) => v.label));
  const parallel = columns.tensor_parallel;
  const split = parallel != null && new Set(parallel).size > 1;
  const designOf = (label, i) => (split ? `${label}, TP ${parallel[i]}` : label);
  const byDesign = new Map();
  (columns.variant ?? []).forEach((label, i) => {
    const tpot = columns.tpot_s?.[i];
    if (tpot == null || !labels.has(label)) return;
    const design = designOf(label, i);
    if (!byDesign.has(design)) byDesign.set(design, []);
    const batch = columns.batch[i];
    byDesign.get(design).push({ id: ids[i], batch, tpot_s: tpot, ttft_s: columns.ttft_s[i],
      tokens_per_s: (batch * generated) / columns.latency_s[i] });
  });
  return [...byDesign].map(([design, points]) => {
    points.sort((a, b) => a.batch - b.batch);
    const best = goodputPoint(points, slo);
    return { design, points, goodput_batch: best?.batch ?? null, goodput_tokens_per_s: best?.tokens_per_s ?? null };
  });
}

function servingLink(spec, slo) {
  const designs = (spec.variants ?? []).map((v) => [v.accelerator ?? spec.accelerator,
    ...Object.entries(v.overrides ?? {}).map(([k, value]) => `${k}=${value}`)].join(' '));
  const scenario = spec.scenarios?.[0] ?? {};
  const query = new URLSearchParams({ model: spec.models?.[0] ?? '', designs: designs.join(';'),
    prompt: String(scenario.prompt_len ?? ''), generate: String(scenario.generate_len ?? ''),
    slo_tpot: slo.tpotMs == null ? '' : String(slo.tpotMs), slo_ttft: slo.ttftMs == null ? '' : String(slo.ttftMs) });
  return `#/serving?${query.toString()}`;
}

export function servingCard({ sweep, data, template, Plotly }) {
  const reference = template?.reference ?? {};
  const input = (id, value) => h('input', { id, type: 'text', value: value == null ? '' : String(value), style: { width: '80px' } });
  const tpot = input('serving-study-tpot', reference.slo_tpot_ms);
  const ttft = input('serving-study-ttft', reference.slo_ttft_ms);
  const status = h('div', { class: 'notice', id: 'serving-study-status', hidden: true });
  const plot = h('div', { class: 'plot', id: 'serving-study-plot', role: 'img',
    'aria-label': 'Generated tokens per second against time per output token, per design' });
  const table = h('div', {});
  const link = h('a', { id: 'serving-study-link', class: 'button' }, 'Serve arriving requests on these designs');
  const slo = () => {
    const read = (el) => (el.value.trim() === '' ? null : Number(el.value));
    return { tpotMs: read(tpot), ttftMs: read(ttft) };
  };
  let current = sweep;
  const card = h('section', { class: 'card', id: 'serving-study', 'aria-labelledby': 'serving-study-title' },
    h('h2', { id: 'serving-study-title' }, 'Serving: throughput against time per output token'),
    h('p', { class: 'small muted', style: { margin: '0 0 8px' } }, 'Each design\'s batches as static batches (every ',
      'sequence prefills, then decodes together): generated tokens per second of the whole batch against TPOT. The ',
      'star is the goodput: the best throughput whose TPOT and TTFT meet the SLOs.'),
    h('form', { class: 'inline-form', onsubmit: (event) => { event.preventDefault(); draw(); } },
      h('label', { for: 'serving-study-tpot' }, 'TPOT SLO (ms)'), tpot,
      h('label', { for: 'serving-study-ttft' }, 'TTFT SLO (ms)'), ttft,
      h('button', { type: 'submit' }, 'Apply'), link),
    status, plot, table);

  function draw() {
    const note = progressNote(current, data.count);
    status.hidden = !note;
    status.textContent = note ?? '';
    const limits = slo();
    link.setAttribute('href', servingLink(sweep.spec, limits));
    const curves = servingCurves(sweep.spec, data.columns, data.ids, limits);
    if (!curves.length) {
      Plotly.purge(plot);
      clear(table, h('p', { class: 'muted' }, 'No design has a result yet.'));
      return;
    }
    const { traces, layout } = servingFigure(curves, limits, { height: 500 });
    Plotly.react(plot, traces, layout, { ...PLOT_CONFIG, toImageButtonOptions: { filename: `${sweep.name}-serving` } });
    clear(table, h('table', { class: 'data', id: 'serving-study-goodput' },
      h('thead', {}, h('tr', {}, ['design', 'batches', 'goodput', 'at batch', 'its TPOT', 'its TTFT']
        .map((text, i) => h('th', { class: i ? 'num' : undefined }, text)))),
      h('tbody', {}, curves.map((curve) => {
        const best = curve.points.find((p) => p.batch === curve.goodput_batch);
        return h('tr', { dataset: { design: curve.design } }, h('td', {}, curve.design),
          h('td', { class: 'num' }, String(curve.points.length)),
          best ? [h('td', { class: 'num' }, fmtValue(best.tokens_per_s, 'tokens/s')),
            h('td', { class: 'num' }, h('a', { href: `#/points/${best.id}` }, String(best.batch))),
            h('td', { class: 'num' }, fmtValue(best.tpot_s, 's')), h('td', { class: 'num' }, fmtValue(best.ttft_s, 's'))]
            : h('td', { colspan: 4, class: 'small muted' }, 'no batch meets the SLOs'));
      }))));
  }

  return {
    card, draw,
    update(next, nextSweep) { data = next; current = nextSweep ?? current; return draw(); },
  };
}
