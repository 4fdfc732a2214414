"""Stage 2 of the pipeline: what each lowered op costs — one report row each, as arrays over the design points.

A GEMM is priced by its mapping search (simulator/mapping), a point-wise op by the non-linear model
(`nonlinear.py`, `cnn_fusion.py`). Every record is a total over the op's copies. "Bound" has one meaning for every
op, the roofline's reading: `memory` when moving its DRAM bytes at the accelerator's bandwidth takes longer than
its arithmetic at the unit's peak rate — for a GEMM, its MACs at rows x cols per cycle, i.e. its arithmetic
intensity is left of the roofline's ridge — else `compute` (the array) or `non-linear` (non-linear units or the
host, whose compute cycles are their peak-rate time). A GEMM slower than both roofs (fold overheads, a decode GEMV
waiting on weight preloads) is still labelled by the roof it sits under, as the roofline plot shows it.

`OpCost` holds one row for every point of a `Columns` (one point for `evaluate`, many for `evaluate_batch`);
`report_row` reads one point's `OpReport` out of it. A GEMM that Gemmini's measured execution model prices
(simulator/measured.py) takes its cycles and their band from it; its traffic and energy stay the analytic model's.
An op the analytic model prices has a band of its own value (cycles_low = cycles_high = cycles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from simulator.cost.cnn_fusion import cnn_fused_cost
from simulator.cost.columns import Columns
from simulator.cost.communication import collective_cost
from simulator.cost.nonlinear import NonlinearCost, nonlinear_cost
from simulator.lower import GemmWork, PointwiseWork
from simulator.mapping.gemm import GemmCost
from simulator.report import Bound, OpReport

BOUNDS: tuple[Bound, ...] = ("compute", "memory", "non-linear", "communication")  # first of equals: the bottleneck
_J_PER_PJ = 1e-12


def bound(compute_cycles: np.ndarray, memory_cycles: np.ndarray, on_array: bool) -> np.ndarray:
    """The op's bound at every point (see the module's docstring), as an index into BOUNDS."""
    return np.where(memory_cycles > compute_cycles, 1, 0 if on_array else 2)


@dataclass(frozen=True, slots=True)
class OpCost:
    """One report row at every point: totals over the op's `times` copies (arrays, one entry per point) and, per
    copy, what only the report's row shows."""

    op_class: str
    phase: str
    times: int
    cycles: np.ndarray
    macs: np.ndarray
    dram_bytes: np.ndarray
    compulsory_dram_bytes: np.ndarray
    energy_j: np.ndarray
    energy_mac_j: np.ndarray
    energy_sram_j: np.ndarray
    energy_dram_j: np.ndarray
    energy_nonlinear_j: np.ndarray
    bound: np.ndarray  # index into BOUNDS
    compute_cycles: np.ndarray  # per copy, on the unit it runs on
    memory_cycles: np.ndarray  # per copy, its DRAM bytes at the accelerator's bandwidth
    l2_bytes: np.ndarray  # per copy
    cycles_low: np.ndarray  # totals: the measured model's error band, else the cycles themselves
    cycles_high: np.ndarray
    measured: np.ndarray  # bool: Gemmini's measured execution model priced its cycles


_MAPPING = ("cycles", "macs", "dram_bytes", "compulsory_dram_bytes", "energy_pj", "energy_mac_pj", "energy_sram_pj",
            "energy_dram_pj", "compute_cycles", "l2_bytes")  # the first 8 are totals over the copies, 4 of them pJ
_NO_MAPPING = (0.0,) * len(_MAPPING)
_mapping_values = attrgetter(*_MAPPING)


Band = tuple[float, float, float]  # one instance's cycles, low and high on the measured model


def gemm_row(work: GemmWork, costs: Sequence[GemmCost | None], pick: np.ndarray, hw: Columns,
             measured: Sequence[Band | None] = ()) -> OpCost:
    """A GEMM's row at every point, from the mappings of its distinct (lowering, hardware) pairs: `pick` gives each
    point's entry of `costs` (None for a pair without a mapping: zeros, the point fails) and of `measured` (the
    measured model's cycles and band where it prices the pair, else None; empty: it prices none)."""
    table = np.array([_NO_MAPPING if c is None else _mapping_values(c) for c in costs], dtype=float)[pick].T
    op, times = work.op, work.repeats
    cycles, macs, dram, compulsory = table[:4] * times
    low, high, is_measured = cycles, cycles, np.zeros(len(hw), dtype=bool)
    if any(band is not None for band in measured):
        band = np.array([(np.nan,) * 3 if b is None else b for b in measured], dtype=float)[pick].T * times
        is_measured = ~np.isnan(band[0])
        cycles, low, high = (np.where(is_measured, part, cycles) for part in band)
    energy, mac, sram, dram_pj = table[4:8] * times * _J_PER_PJ
    memory = table[2] / hw.dram_bw
    return OpCost(op.op_class, op.phase, times, cycles=cycles, macs=macs, dram_bytes=dram,
                  compulsory_dram_bytes=compulsory, energy_j=energy, energy_mac_j=mac, energy_sram_j=sram,
                  energy_dram_j=dram_pj, energy_nonlinear_j=np.zeros(len(hw)),
                  bound=bound(table[1] / hw.peak, memory, True), compute_cycles=table[8], memory_cycles=memory,
                  l2_bytes=table[9], cycles_low=low, cycles_high=high, measured=is_measured)


def _row(phase: str, count: int, part: NonlinearCost, hw: Columns) -> OpCost:
    """A point-wise op's row at every point, from one copy's cost."""
    memory = part.dram_bytes / hw.dram_bw
    energy_pj = part.energy_nonlinear_pj + part.energy_sram_pj + part.energy_dram_pj
    dram, zero = part.dram_bytes * count, np.zeros(len(hw))
    cycles = part.cycles * count
    return OpCost(part.op_class, phase, count, cycles=cycles, macs=zero, dram_bytes=dram,
                  compulsory_dram_bytes=dram, energy_j=energy_pj * count * _J_PER_PJ, energy_mac_j=zero,
                  energy_sram_j=part.energy_sram_pj * count * _J_PER_PJ,
                  energy_dram_j=part.energy_dram_pj * count * _J_PER_PJ,
                  energy_nonlinear_j=part.energy_nonlinear_pj * count * _J_PER_PJ,
                  bound=np.full(len(hw), BOUNDS.index("communication")) if part.over_link
                  else bound(part.compute_cycles, memory, part.on_array), compute_cycles=part.compute_cycles,
                  memory_cycles=memory, l2_bytes=np.where(hw.has_l2, part.moved_bytes - part.dram_bytes, 0.0),
                  cycles_low=cycles, cycles_high=cycles, measured=np.zeros(len(hw), dtype=bool))


def pointwise_parts(works: Sequence[PointwiseWork], pick: np.ndarray, hw: Columns) -> list[NonlinearCost]:
    """One copy of a point-wise op at every point (`works`: the op as each distinct lowering decided it; `pick`:
    each point's lowering) — and its host de/quantization when that runs at some point."""
    first = works[0]
    op = first.op
    if op.kind == "collective":
        return [collective_cost(op, hw)]
    share, act_bytes, bytes_read, fused, scores_on_chip = np.array(
        [(w.dram_share, w.act_bytes, w.bytes_read, w.fused, w.scores_on_chip) for w in works], dtype=float)[pick].T
    if first.cnn_fused:  # CNN: see cnn_fusion (the options decide it, the same for every point)
        return [cnn_fused_cost(op.op_class, op.fusion, op.elements, act_bytes, hw, share)]
    return nonlinear_cost(op.op_class, op.elements, bytes_read, op.bytes_written, op.operands, act_bytes, hw,
                          fused=fused.astype(bool), scores_on_chip=scores_on_chip.astype(bool),
                          float_activations=first.float_activations, dram_share=share)


def pointwise_rows(works: Sequence[PointwiseWork], pick: np.ndarray,
                   hw: Columns) -> list[tuple[NonlinearCost, OpCost]]:
    """The report rows of a point-wise op at every point, each with the per-copy cost it totals."""
    op = works[0].op
    return [(part, _row(op.phase, op.layer_count, part, hw))
            for part in pointwise_parts(works, pick, hw)]


def _fields(row: OpCost, point: int) -> dict[str, float]:
    """The row's totals at one point, as the report's floats."""
    totals = {name: float(getattr(row, name)[point])
              for name in ("cycles", "macs", "dram_bytes", "compulsory_dram_bytes", "energy_j", "energy_mac_j",
                           "energy_sram_j", "energy_dram_j", "energy_nonlinear_j")}
    per_copy = {name: float(getattr(row, name)[point]) * row.times
                for name in ("compute_cycles", "memory_cycles", "l2_bytes")}
    return totals | per_copy


def gemm_report_row(work: GemmWork, row: OpCost, cost: GemmCost, point: int = 0, timed: str = "") -> OpReport:
    """A GEMM's report row at one point (`cost`: that point's mapping; under the measured model its utilization is
    the mapping's scaled to the measured cycles, and `timed` names the call the measured model timed)."""
    op = work.op
    measured = bool(row.measured[point])
    cycles = float(row.cycles[point])
    analytic = cost.cycles * work.repeats
    return OpReport(
        name=op.name, kind=op.kind, op_class=op.op_class, phase=op.phase, count=op.layer_count,
        shape=f"{op.m}x{op.k}x{op.n}" + (f" x{op.instances}" if op.instances > 1 else ""),
        flops=float(op.flops * op.layer_count) * work.k / op.k,  # sparse: kept K only
        utilization=cost.utilization * analytic / cycles if measured and cycles else cost.utilization,
        where="accelerator",
        mapping=(f"{timed} (measured model; traffic: {cost.mapping.describe()})" if timed else cost.mapping.describe())
        + (f" · fused {work.fusion}" if work.fusion else ""),
        bound=BOUNDS[int(row.bound[point])], pricing="gemmini-measured" if measured else "analytic",
        cycles_low=float(row.cycles_low[point]) if measured else None,
        cycles_high=float(row.cycles_high[point]) if measured else None, **_fields(row, point))


def pointwise_report_row(work: PointwiseWork, part: NonlinearCost, row: OpCost, point: int = 0) -> OpReport:
    """A point-wise op's report row (or its host de/quantization's) at one point."""
    op, count = work.op, work.op.layer_count
    quantization = row.op_class == "quantization"
    return OpReport(
        name=f"{op.name}.requantize" if quantization else op.name, kind=op.kind, op_class=row.op_class,
        phase=op.phase, count=count, shape=f"{op.m}x{op.n}", flops=0.0 if quantization else float(op.flops * count),
        utilization=0.0, where=part.where(point), mapping="", bound=BOUNDS[int(row.bound[point])],
        **_fields(row, point))
