// Roofline in per-cycle units (clock-free): attained FLOP/cycle against arithmetic intensity FLOP/B,
// with the array's peak (2·rows·cols) and the DRAM roof (bytes per cycle); each operator placed.

import { BASE_LAYOUT } from '../plotly_loader.js';
import { opClasses } from '../point_model.js';
import { fmtValue, logAxisTicks } from '../format.js';

export function rooflineFigure(ops, { peakFlopsPerCycle, dramBytesPerCycle }) {
  const placed = ops.filter((op) => op.flops > 0 && op.cycles > 0);
  const intensity = (op) => (op.dram_bytes > 0 ? op.flops / op.dram_bytes : null);
  const finite = placed.map(intensity).filter((v) => v !== null);
  const xmax = Math.max(10, ...finite) * 4;
  const xmin = Math.min(0.1, ...finite) / 4;
  const bandwidth = dramBytesPerCycle ?? Math.max(...placed.map((op) => op.dram_bytes / op.cycles), 1e-9);
  const peak = peakFlopsPerCycle ?? Math.max(...placed.map((op) => op.flops / op.cycles));
  const ridge = peak / bandwidth;
  const roofX = [xmin, Math.max(xmin, Math.min(ridge, xmax)), xmax];
  const traces = [{
    type: 'scatter', mode: 'lines', name: 'Roof',
    x: roofX, y: roofX.map((x) => Math.min(peak, bandwidth * x)), line: { color: '#1d2430', width: 2 }, hoverinfo: 'skip',
  }];
  const maxCycles = Math.max(...placed.map((op) => op.cycles));
  const yLow = Math.min(peak, ...placed.map((op) => op.flops / op.cycles), ...roofX.map((x) => bandwidth * x));
  for (const cls of opClasses()) {
    const mine = placed.filter((op) => op.op_class === cls.key);
    if (!mine.length) continue;
    traces.push({
      type: 'scatter', mode: 'markers', name: cls.label, meta: 'ops',
      x: mine.map((op) => intensity(op) ?? xmax / 2), y: mine.map((op) => op.flops / op.cycles),
      marker: { color: cls.colour, size: mine.map((op) => 8 + 18 * Math.sqrt(op.cycles / maxCycles)), opacity: 0.85,
        line: { color: '#fff', width: 1 } },
      text: mine.map((op) => `<b>${op.name}</b> (${op.shape})<br>${fmtValue(op.flops / (op.dram_bytes || 1))} FLOP/B · ${fmtValue(op.flops / op.cycles)} FLOP/cycle<br>${op.bound}-bound · ${fmtValue(op.cycles, 'cycles')}`),
      hovertemplate: '%{text}<extra></extra>',
    });
  }
  const layout = {
    ...BASE_LAYOUT,
    height: 460,
    margin: { l: 70, r: 10, t: 52, b: 50 },
    title: { text: `Roofline: peak ${fmtValue(peak)} FLOP/cycle, DRAM ${fmtValue(bandwidth)} B/cycle<br><span style="font-size:11px;color:#5d6675">marker size: share of cycles</span>`, font: { size: 14 }, x: 0, xanchor: 'left' },
    xaxis: { type: 'log', title: { text: 'Arithmetic intensity (FLOP/B of DRAM traffic)' }, gridcolor: '#eef0f3', range: [Math.log10(xmin), Math.log10(xmax)], ...logAxisTicks(xmin, xmax) },
    yaxis: { type: 'log', title: { text: 'Attained (FLOP/cycle)' }, gridcolor: '#eef0f3', ...logAxisTicks(yLow, peak) },
    legend: { x: 1.02, y: 1, font: { size: 11 } },
  };
  return { traces, layout };
}
