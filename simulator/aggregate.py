"""Stage 3 of the pipeline: the report — operator rows, totals with their units, breakdowns, area and power.

Ops run one after another (the host and the accelerator do not overlap, as in the survey's Gemmini baseline), so
latency is the sum of the rows' cycles. Energy adds static power (leakage x area) over the latency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.cost.area import area
from simulator.cost.operators import OpCost
from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.lower import Lowered
from simulator.report import OpReport, Report

_J_PER_PJ = 1e-12


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over every row of a design point."""

    cycles: float
    macs: float
    dram_bytes: float
    energy_mac_pj: float
    energy_sram_pj: float
    energy_dram_pj: float
    energy_nonlinear_pj: float

    @classmethod
    def of(cls, rows: tuple[OpCost, ...]) -> Totals:
        columns = list(zip(*((r.cycles, r.macs, r.dram_bytes, r.energy_mac_pj, r.energy_sram_pj, r.energy_dram_pj,
                              r.energy_nonlinear_pj) for r in rows), strict=True)) if rows else [()] * 7
        return cls(*(float(sum(column)) for column in columns))

    @property
    def dynamic_energy_pj(self) -> float:
        return self.energy_mac_pj + self.energy_sram_pj + self.energy_dram_pj + self.energy_nonlinear_pj


def _op_report(row: OpCost) -> OpReport:
    return OpReport(name=row.name, kind=row.kind, op_class=row.op_class, phase=row.phase, count=row.count,
                    shape=row.shape, flops=row.flops, dram_bytes=row.dram_bytes, cycles=row.cycles,
                    compute_cycles=row.compute_cycles, energy_j=row.energy_pj * _J_PER_PJ,
                    utilization=row.utilization, where=row.where, mapping=row.mapping, bound=row.bound)


@dataclass(frozen=True, slots=True)
class Priced:
    """A design point's rows and what its report needs of the workload. The rows are kept as plain tuples of
    scalars, which the garbage collector stops tracking: caching thousands of points adds nothing to its work."""

    model: str
    batch: int
    quality_loss: float | None
    quality_source: str | None
    row_values: tuple[tuple[Any, ...], ...]

    @property
    def rows(self) -> tuple[OpCost, ...]:
        return tuple(map(OpCost._make, self.row_values))


def priced(lowered: Lowered, rows: list[OpCost]) -> Priced:
    quality = lowered.quality
    return Priced(lowered.workload.model.name, lowered.workload.scenario.batch, quality.loss if quality else None,
                  quality.source if quality else None, tuple(tuple(row) for row in rows))


def report(point: Priced, hw: AcceleratorSpec, tech: Technology) -> Report:
    rows = point.rows
    totals = Totals.of(rows)
    by_bound = {"compute": 0.0, "memory": 0.0, "non-linear": 0.0}
    by_class: dict[str, float] = {}
    for row in rows:
        by_bound[row.bound] += row.cycles
        by_class[row.op_class] = by_class.get(row.op_class, 0.0) + row.cycles
    latency_s = totals.cycles / (hw.clock_ghz * 1e9)
    parts = area(hw, tech)
    static_j = parts.total_mm2 * tech.static_w_per_mm2 * latency_s
    energy_j = totals.dynamic_energy_pj * _J_PER_PJ + static_j
    return Report(
        model=point.model, accelerator=hw.name, latency_cycles=totals.cycles, latency_s=latency_s,
        throughput_per_s=point.batch / latency_s if latency_s else 0.0,
        energy_j=energy_j, energy_mac_j=totals.energy_mac_pj * _J_PER_PJ,
        energy_sram_j=totals.energy_sram_pj * _J_PER_PJ, energy_dram_j=totals.energy_dram_pj * _J_PER_PJ,
        energy_nonlinear_j=totals.energy_nonlinear_pj * _J_PER_PJ, energy_static_j=static_j,
        edp_j_s=energy_j * latency_s, area_mm2=parts.total_mm2, power_w=energy_j / latency_s if latency_s else 0.0,
        utilization=totals.macs / (totals.cycles * hw.peak_macs_per_cycle) if totals.cycles else 0.0,
        dram_bytes=totals.dram_bytes, macs=totals.macs, bottleneck=max(by_bound, key=by_bound.__getitem__),
        cycles_by_class=by_class,
        area_breakdown_mm2={"pe_array": parts.pe_array_mm2, "scratchpad": parts.scratchpad_mm2,
                            "accumulator": parts.accumulator_mm2, "nonlinear": parts.nonlinear_mm2,
                            "fixed": parts.fixed_mm2},
        ops=[_op_report(row) for row in rows], quality_loss=point.quality_loss, quality_source=point.quality_source)
