// One design point: metrics, where latency and energy go by operator class, roofline, per-operator mapping table.

import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { fmtValue } from '../format.js';
import { headlineMetrics, info, vocabulary } from '../catalog.js';
import { loadPlotly, PLOT_CONFIG } from '../plotly_loader.js';
import { normalizePoint, opClasses, param } from '../point_model.js';
import { calibrationTag } from '../calibration.js';
import { breakdownLayout, breakdownTraces } from '../plots/breakdown_bars.js';
import { landscapeHref, parseShape } from '../landscape_link.js';
import { rooflineFigure } from '../plots/roofline.js';
import { areaBarFigure } from '../plots/area_bar.js';
import { qualityOf } from '../quality.js';


export async function render(container, { id }) {
  // preset names: a GEMM row's landscape link names a preset's design by its overrides, any other by every field
  const [Plotly, raw, presets] = await Promise.all([loadPlotly(), api(`/api/points/${id}`),
    api('/api/presets/accelerators').catch(() => [])]);
  const point = normalizePoint(raw);
  const m = point.metrics;
  const compareIds = (JSON.parse(sessionStorage.getItem('dse.compare') || '[]')).filter((x) => x !== point.id);
  container.append(
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, `Design point #${point.id}`),
        h('div', { class: 'sub' }, [param(point, 'model'), param(point, 'accelerator'),
          param(point, 'rows') && `${param(point, 'rows')}×${param(point, 'cols')} array`].filter(Boolean).join(' · '),
        point.sweepId ? [' · ', h('a', { href: `#/sweeps/${point.sweepId}` }, `sweep ${point.sweepId}`)] : null,
        point.calibration ? [' ', calibrationTag(point.calibration, 'point-calibration')] : null)),
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', id: 'add-to-compare', onclick: (e) => {
          const list = [...compareIds, point.id].slice(-4);
          sessionStorage.setItem('dse.compare', JSON.stringify(list));
          e.target.textContent = `In compare list (${list.length})`;
        } }, 'Add to compare'),
        compareIds.length ? h('a', { class: 'button', href: `#/compare?ids=${[...compareIds, point.id].slice(-4).join(',')}` }, `Compare with ${compareIds.length} other${compareIds.length > 1 ? 's' : ''}`) : null,
        point.error || !point.sweepId ? null : h('a', { class: 'button', id: 'set-baseline', href: `#/sweeps/${point.sweepId}?b=${point.id}`,
          title: 'Open the sweep with this point as the baseline: speedup, energy and EDP ratios against it' }, 'Set as baseline'),
        point.error ? null : saveAccelerator(point),
        h('a', { class: 'button', href: `/api/points/${point.id}`, target: '_blank' }, 'JSON'))),
    point.error ? h('div', { class: 'notice error' }, `The simulator could not evaluate this point: ${point.error}`) : '',
    recomputedNotice(raw.recomputed),
    h('section', { class: 'card', 'aria-label': 'Metrics' }, h('div', { class: 'metrics', id: 'point-metrics' },
      [...headlineMetrics(), 'bottleneck', 'fused_groups'].filter((name) => m[name] !== null && m[name] !== undefined)
        .map((name) => h('div', { class: 'metric' },
          h('div', { class: 'label' }, info(name).label), h('div', { class: 'value' }, fmtValue(m[name], unitOf(name, point.report)))))),
      validationNote(m, point.report), qualityNote(m, point.report), simulatorNotes(point.report)),
  );
  const breakdown = h('div', { id: 'breakdown-plot' });
  const energyBreakdown = h('div', { id: 'energy-breakdown-plot' });
  const roofline = h('div', { id: 'roofline-plot' });
  const areaBar = h('div', { id: 'area-breakdown-plot' });
  container.append(
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-label': 'Latency, energy and area by part' }, breakdown, energyBreakdown, areaBar),
      h('section', { class: 'card', 'aria-label': 'Roofline' }, roofline)),
    h('div', { class: 'grid-2' }, parametersCard(point), energyCard(m)),
    opsTable(point.ops, (op) => landscapeLink(point, op, presets)));

  if (point.ops.length) {
    const bars = [{ label: 'Latency', ops: point.ops, latencyS: m.latency_s, energyJ: m.energy_j }];
    const lat = breakdownTraces(bars, 'latency');
    Plotly.newPlot(breakdown, lat, { ...breakdownLayout('Latency by operator class', 's', 1), height: 220, showlegend: false }, PLOT_CONFIG);
    const en = breakdownTraces([{ ...bars[0], label: 'Energy' }], 'energy');
    Plotly.newPlot(energyBreakdown, en, { ...breakdownLayout('Energy by operator class', 'J', 1), height: 280 }, PLOT_CONFIG);
    const rows = Number(param(point, 'rows')); const cols = Number(param(point, 'cols'));
    const { traces, layout } = rooflineFigure(point.ops, {
      peakFlopsPerCycle: rows && cols ? 2 * rows * cols : undefined,
      dramBytesPerCycle: param(point, 'dram_bytes_per_cycle'),
    });
    Plotly.newPlot(roofline, traces, layout, PLOT_CONFIG);
  } else {
    breakdown.append(h('p', { class: 'muted' }, 'This report has no per-operator table.'));
  }
  const area = areaBarFigure(point.report?.area_breakdown_mm2);
  if (area) Plotly.newPlot(areaBar, area.traces, area.layout, PLOT_CONFIG);
  return () => [breakdown, energyBreakdown, roofline, areaBar].forEach((el) => Plotly.purge(el));
}

/** What the simulator could not do as asked (a fusion group refused for an op, and why). */
function simulatorNotes(report) {
  const notes = report?.notes ?? [];
  if (!notes.length) return '';
  return h('div', { class: 'notice', id: 'point-notes' }, h('strong', {}, 'Not applied as asked: '),
    h('ul', {}, notes.map((note) => h('li', {}, note))));
}

/** A stored point's report is recomputed when it is opened: say so when another simulator stored it, and name every
 * metric the recomputation does not reproduce (the stored values stay what the sweep stored). */
function recomputedNotice(check) {
  if (!check) return '';
  if (check.differences.length) {
    return h('div', { class: 'notice error', id: 'point-recomputed' },
      h('strong', {}, 'The recomputed report differs from the stored result. '),
      `Stored by simulator ${check.stored_by ?? '(not recorded)'}, recomputed by ${check.current}: `,
      h('ul', {}, check.differences.map((d) => h('li', {}, d))),
      'The metrics above are the stored ones; the operator table is the recomputation.');
  }
  if (!check.same_simulator) {
    return h('p', { class: 'muted small', id: 'point-recomputed' },
      `Report recomputed by simulator ${check.current} (the point was stored by ${check.stored_by ?? 'a simulator that did not record its fingerprint'}); its metrics agree with the stored ones.`);
  }
  return '';
}

/** How far the latency may be off: the measured model's band (its validation residuals), or that no measurement
 * is behind this point's model. */
function validationNote(m, report) {
  const how = report?.validation;
  if (!Number.isFinite(m.latency_low_s) || !Number.isFinite(m.latency_high_s)) {
    return h('p', { class: 'muted', id: 'point-validation' }, h('strong', {}, 'Error band: '),
      how || 'not validated against measurements.');
  }
  return h('p', { id: 'point-validation' }, h('strong', {}, 'Error band: '),
    `latency ${fmtValue(m.latency_s, 's')}, measured between ${fmtValue(m.latency_low_s, 's')} and ${fmtValue(m.latency_high_s, 's')} `
    + `for 80% of the layers like these${how ? ` — ${how}` : ''}`);
}

/** A metric's unit on this page: the catalog's, and for the quality loss the metric of its published source. */
function unitOf(name, report) {
  return name === 'quality_loss' ? qualityOf(report?.quality_source)?.unit ?? info(name).unit : info(name).unit;
}

// The quality column is a published figure looked up for this model and setting, never the simulator's estimate.
function qualityNote(m, report) {
  if (m.quality_loss === null || m.quality_loss === undefined) {
    return h('p', { class: 'muted', id: 'point-quality' },
      'Quality (published estimate): no published result covers this model at this precision and sparsity.');
  }
  return h('p', { id: 'point-quality' }, h('strong', {}, 'Quality loss (published estimate): '),
    `${fmtValue(m.quality_loss, unitOf('quality_loss', report))} ${m.quality_loss < 0 ? '(better than the paper\'s baseline) ' : ''}`
    + `— ${report.quality_source}`);
}

/** "Save as accelerator": this point's hardware (every accelerator field) as a library accelerator, usable in a new
 * sweep like a preset. */
function saveAccelerator(point) {
  const suggested = `${param(point, 'accelerator') || 'design'}-${param(point, 'rows')}x${param(point, 'cols')}-p${point.id}`
    .replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 100);
  const nameInput = h('input', { type: 'text', id: 'save-accelerator-name', value: suggested, 'aria-label': 'Name in the library' });
  const status = h('span', { class: 'muted small', id: 'save-accelerator-status', role: 'status' });
  const save = h('button', { type: 'submit', id: 'save-accelerator-confirm' }, 'Save');
  const form = h('form', { class: 'inline-form', hidden: true, onsubmit: async (event) => {
    event.preventDefault();
    const definition = Object.fromEntries(vocabulary.parameters.filter((p) => p.source === 'accelerator')
      .map((p) => [p.name, point.parameters[p.name]]).filter(([, v]) => v !== null && v !== undefined));
    save.disabled = true;
    try {
      const entry = await api('/api/accelerators', { method: 'POST', body: { name: nameInput.value.trim(), definition } });
      clear(status, 'Saved as ', h('strong', {}, entry.name), ': pick it as the accelerator of a ', h('a', { href: '#/new' }, 'new sweep'), '.');
    } catch (error) {
      status.textContent = error.message;
    } finally { save.disabled = false; }
  } }, nameInput, save, status);
  const open = h('button', { type: 'button', id: 'save-accelerator', onclick: () => { form.hidden = false; open.hidden = true; nameInput.focus(); } },
    'Save as accelerator');
  return h('span', {}, open, form);
}

function parametersCard(point) {
  const entries = Object.entries(point.parameters).filter(([, v]) => v !== null && typeof v !== 'object');
  return h('section', { class: 'card' }, h('h2', {}, 'Design parameters'),
    entries.length ? h('dl', { class: 'kv', id: 'point-parameters' }, entries.flatMap(([name, value]) => [
      h('dt', {}, info(name).label), h('dd', {}, typeof value === 'number' ? fmtValue(value, info(name).unit) : String(value))]))
      : h('p', { class: 'muted' }, 'No parameters reported.'));
}

function energyCard(m) {
  // the energy metrics other than the total are its components (the catalog's order)
  const parts = Object.keys(m).filter((n) => n.startsWith('energy_') && n !== 'energy_j' && m[n] !== null);
  return h('section', { class: 'card' }, h('h2', {}, 'Energy by component'),
    parts.length ? h('dl', { class: 'kv' }, parts.flatMap((name) => [h('dt', {}, info(name).label),
      h('dd', {}, `${fmtValue(m[name], 'J')}  (${((m[name] / m.energy_j) * 100).toFixed(1)}%)`)]))
      : h('p', { class: 'muted' }, 'No energy breakdown reported.'));
}

/** "Mapping landscape" of a GEMM row: every legal mapping of that shape on this point's accelerator. */
function landscapeLink(point, op, presets) {
  const shape = parseShape(op.shape, { row: true });
  if (!shape) return null;
  const accelerator = param(point, 'accelerator');
  const fields = Object.fromEntries(vocabulary.parameters.filter((p) => p.source === 'accelerator')
    .map((p) => [p.name, point.parameters[p.name]]));
  const href = landscapeHref({ shape, accelerator, overrides: point.inputs?.overrides ?? {}, fields, pointId: point.id,
    isPreset: presets.some((p) => p.name === accelerator) });
  return h('div', {}, h('a', { href, class: 'landscape-link', title: `Every legal mapping of this ${shape.m}×${shape.k}×${shape.n} `
    + 'GEMM on this accelerator: how far the chosen one is from the best' }, 'Mapping landscape'));
}

/** An op's measured-model band under its cycles ('not validated' has none). */
function cyclesBand(op) {
  if (!Number.isFinite(op.cycles_low) || !Number.isFinite(op.cycles_high)) return null;
  return h('div', { class: 'muted small op-band', title: 'The measured model\'s 10th-90th percentile band for layers of this kind and bound' },
    `${fmtValue(op.cycles_low, 'cycles')} – ${fmtValue(op.cycles_high, 'cycles')}`);
}

const PHASE_LABELS = { encoder: 'Encoder', prefill: 'Prefill', decode: 'Decode', forward: 'Forward pass' };

/** The operator table; with more than one phase (an LLM's prefill and decode), a subtotal row heads each phase. */
function opsTable(ops, gemmLink) {
  const classLabel = Object.fromEntries(opClasses().map((c) => [c.key, c.label]));
  const total = ops.reduce((acc, op) => acc + op.cycles, 0) || 1;
  const phases = [...new Set(ops.map((op) => op.phase))];
  const headers = ['Operator', 'Phase', 'Class', 'Shape', '×', 'FLOPs', 'DRAM', '× compulsory', 'Cycles', 'Share', 'Energy', 'Util.', 'Bound', 'Mapping'];
  const numeric = (k) => k >= 4 && k <= 11;
  const opRow = (op) => h('tr', {},
    h('td', {}, op.name), h('td', {}, PHASE_LABELS[op.phase] ?? op.phase), h('td', {}, classLabel[op.op_class] ?? op.op_class),
    h('td', { class: 'small' }, op.shape), h('td', { class: 'num' }, op.count),
    h('td', { class: 'num' }, fmtValue(op.flops, 'FLOP')), h('td', { class: 'num' }, fmtValue(op.dram_bytes, 'B')),
    h('td', { class: 'num' }, op.compulsory_dram_bytes ? `${(op.dram_bytes / op.compulsory_dram_bytes).toFixed(2)}×` : '–'),
    h('td', { class: 'num' }, fmtValue(op.cycles, 'cycles'), cyclesBand(op)), h('td', { class: 'num' }, `${((op.cycles / total) * 100).toFixed(1)}%`),
    h('td', { class: 'num' }, fmtValue(op.energy_j, 'J')), h('td', { class: 'num' }, op.kind === 'gemm' ? `${(op.utilization * 100).toFixed(0)}%` : '–'),
    h('td', {}, h('span', { class: `badge ${op.bound}` }, op.bound)),
    h('td', { class: 'small' }, op.mapping || '–', op.kind === 'gemm' ? gemmLink(op) : null));
  const subtotalRow = (phase, mine) => {
    const sum = (key) => mine.reduce((acc, op) => acc + op[key], 0);
    return h('tr', { class: 'phase-subtotal', 'data-phase': phase },
      h('th', { scope: 'rowgroup', colspan: 2 }, `${PHASE_LABELS[phase] ?? phase}: ${mine.length} operators`),
      h('td', { colspan: 3 }), h('td', { class: 'num' }, fmtValue(sum('flops'), 'FLOP')),
      h('td', { class: 'num' }, fmtValue(sum('dram_bytes'), 'B')), h('td', {}),
      h('td', { class: 'num' }, fmtValue(sum('cycles'), 'cycles')),
      h('td', { class: 'num' }, `${((sum('cycles') / total) * 100).toFixed(1)}%`),
      h('td', { class: 'num' }, fmtValue(sum('energy_j'), 'J')), h('td', { colspan: 3 }));
  };
  const body = phases.length > 1
    ? phases.flatMap((phase) => { const mine = ops.filter((op) => op.phase === phase); return [subtotalRow(phase, mine), ...mine.map(opRow)]; })
    : ops.map(opRow);
  return h('section', { class: 'card', 'aria-labelledby': 'ops-title' },
    h('h2', { id: 'ops-title' }, `Operators (${ops.length}): mapping and bound`,
      phases.length > 1 ? h('span', { class: 'muted small' }, ` · by phase: ${phases.map((p) => PHASE_LABELS[p] ?? p).join(', ')}`) : null),
    h('div', { class: 'table-wrap', style: { maxHeight: '560px' } }, h('table', { class: 'data', id: 'ops-table' },
      h('thead', {}, h('tr', {}, headers.map((t, k) => h('th', { scope: 'col', class: numeric(k) ? 'num' : undefined,
        title: t === '× compulsory' ? 'DRAM traffic as a multiple of the bytes that must cross the DRAM link at least once' : undefined }, t)))),
      h('tbody', {}, body))));
}
