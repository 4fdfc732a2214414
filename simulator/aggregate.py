"""Stage 3 of the pipeline: the report — totals with their units, breakdowns, area and power.

Ops run one after another (the host and the accelerator do not overlap, as in the survey's Gemmini baseline), so
latency is the sum of the rows' cycles. Energy adds static power (leakage x area) over the latency.

A model that generates text (decoder, encoder-decoder) also gets the serving metrics, from its rows' phases:
time to first token = everything before the first decode step (encoder and prefill; the prompt's last logits give
token 1), or one mean decode step when there is no prompt (token 1 comes out of step 1); time per output token =
the decode rows over the `generate_len` steps; decode throughput = batch x steps over the decode time; energy per
output token = the decode rows' dynamic energy plus static power over the decode time, per generated token.

Where Gemmini's measured execution model prices some GEMMs (simulator/measured.py), latency has an error band: the
ops' errors are taken as fully correlated (the conservative choice), so low = latency x sum(low_i) / sum(cycles_i)
over every op, an op the analytic model prices counting at its value (low_i = high_i = cycles_i).

Written over arrays, one entry per design point: `Sums` adds up the rows (`OpCost`) of every point as they are
priced, `metrics` turns the sums into the report's metrics. `evaluate` runs them on one point, `evaluate_batch`
(simulator/batch.py) on many.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from simulator.catalog import OP_CLASSES, PHASES
from simulator.cost.columns import Columns
from simulator.cost.operators import BOUNDS, OpCost
from simulator.error_bands import bands_kind
from simulator.lower import Lowered
from simulator.report import NOT_VALIDATED, OpReport, Report
from simulator.workload.footprint import GIB, Footprint

QUANTITIES = ("cycles", "energy_j", "dram_bytes")  # the breakdown's quantities (backend/sweeps/breakdown.py)
_CLASS = {name: i for i, name in enumerate(OP_CLASSES)}
_PHASE = {name: len(OP_CLASSES) + i for i, name in enumerate(PHASES)}


_TOTALS = ("cycles", "macs", "dram_bytes", "compulsory_dram_bytes", "energy_mac_j", "energy_sram_j", "energy_dram_j",
           "energy_nonlinear_j")
_SUMMED = (*_TOTALS, "energy_j")  # what is added up of every row, in this order
_BROKEN_DOWN = [_SUMMED.index(quantity) for quantity in QUANTITIES]


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over some rows, at every point (arrays)."""

    cycles: np.ndarray
    macs: np.ndarray
    dram_bytes: np.ndarray
    compulsory_dram_bytes: np.ndarray
    energy_mac_j: np.ndarray
    energy_sram_j: np.ndarray
    energy_dram_j: np.ndarray
    energy_nonlinear_j: np.ndarray

    @property
    def dynamic_energy_j(self) -> np.ndarray:
        return self.energy_mac_j + self.energy_sram_j + self.energy_dram_j + self.energy_nonlinear_j


class Sums:
    """What the report needs of every row of every point, added up row by row in the rows' order: totals (all rows,
    decode rows), the cycles before the first decode step, cycles by bound, and the breakdown (QUANTITIES by op class
    and by phase). Each row costs a handful of array calls, whatever the number of points."""

    def __init__(self, points: int) -> None:
        self._all, self._decode = np.zeros((len(_SUMMED), points)), np.zeros((len(_SUMMED), points))
        self.before_decode_cycles = np.zeros(points)
        self.by_bound = np.zeros((len(BOUNDS), points))
        self.band = np.zeros((3, points))  # cycles low, high, and the cycles the measured model priced
        self._breakdown = np.zeros((len(OP_CLASSES) + len(PHASES), len(QUANTITIES), points))
        self._points = np.arange(points)

    @classmethod
    def of(cls, rows: Iterable[OpCost], points: int) -> Sums:
        sums = cls(points)
        for row in rows:
            sums.add(row)
        return sums

    def add(self, row: OpCost) -> None:
        values = np.array([getattr(row, name) for name in _SUMMED])
        self._all += values
        if row.phase == "decode":
            self._decode += values
        else:
            self.before_decode_cycles += row.cycles
        self.by_bound[row.bound, self._points] += row.cycles
        self.band += (row.cycles_low, row.cycles_high, np.where(row.measured, row.cycles, 0.0))
        broken_down = values[_BROKEN_DOWN]
        self._breakdown[_CLASS[row.op_class]] += broken_down
        self._breakdown[_PHASE[row.phase]] += broken_down

    @property
    def total(self) -> Totals:
        return Totals(*self._all[:len(_TOTALS)])

    @property
    def decode(self) -> Totals:
        return Totals(*self._decode[:len(_TOTALS)])

    @property
    def breakdown(self) -> np.ndarray:
        """(points, QUANTITIES, op classes + phases)."""
        return self._breakdown.transpose(2, 1, 0)

    def cycles_by_class(self, op_classes: list[str], point: int = 0) -> dict[str, float]:
        return {name: float(self._breakdown[_CLASS[name], 0, point]) for name in op_classes}


@dataclass(frozen=True, slots=True)
class Facts:
    """What the report's metrics need of the workload."""

    batch: int
    generates: bool  # a decoder or encoder-decoder: the serving metrics apply
    generate_len: int
    footprint: Footprint
    tensor_parallel: int  # the rows are one of these devices' share: the system's dynamic energy is this many times
    devices: int

    @classmethod
    def of(cls, lowered: Lowered) -> Facts:
        workload = lowered.workload
        scenario = workload.scenario
        return cls(scenario.batch, workload.generates, workload.generate_len, lowered.footprint,
                   scenario.tensor_parallel, scenario.device_count)


def capacity_error(lowered: Lowered, memory_gib: float) -> str | None:
    """Why the point's state does not fit one device's memory ("needs X GiB, has Y GiB" and the split), or None:
    checked before pricing, by `evaluate` and `evaluate_batch` alike."""
    scenario, space = lowered.workload.scenario, lowered.footprint
    used = space.used(scenario.batch)
    if memory_gib == 0 or used <= memory_gib * GIB:
        return None
    batch = scenario.batch
    return (f"does not fit device memory: needs {used / GIB:.3f} GiB per device, has {memory_gib:g} GiB "
            f"(weights {space.weights / GIB:.3f} GiB, KV cache {batch * space.kv_per_sequence / GIB:.3f} GiB, "
            f"activations {batch * space.activations_per_sequence / GIB:.3f} GiB; {scenario.device_count} device(s))")


def _capacity(facts: Facts, hw: Columns) -> dict[str, Any]:
    """The memory metrics of every point (see Report)."""
    space, points = facts.footprint, len(hw)
    per_sequence = space.kv_per_sequence + space.activations_per_sequence
    fits = [None if capacity == 0 or per_sequence <= 0
            else max(0, int((capacity * GIB - space.weights) // per_sequence)) for capacity in hw.of("memory_gib")]
    return {"memory_used_gib": np.full(points, space.used(facts.batch) / GIB),
            "memory_weights_gib": np.full(points, space.weights / GIB),
            "memory_kv_cache_gib": np.full(points, facts.batch * space.kv_per_sequence / GIB),
            "memory_activations_gib": np.full(points, facts.batch * space.activations_per_sequence / GIB),
            "max_batch": fits}


@dataclass(frozen=True, slots=True)
class Metrics:
    """The report's computed metrics at every point: arrays, or lists where a value may be None."""

    latency_cycles: np.ndarray
    latency_s: np.ndarray
    latency_low_s: list[Any]
    latency_high_s: list[Any]
    throughput_per_s: np.ndarray
    energy_j: np.ndarray
    energy_mac_j: np.ndarray
    energy_sram_j: np.ndarray
    energy_dram_j: np.ndarray
    energy_nonlinear_j: np.ndarray
    energy_static_j: np.ndarray
    edp_j_s: np.ndarray
    area_mm2: np.ndarray
    power_w: np.ndarray
    utilization: np.ndarray
    dram_bytes: np.ndarray
    compulsory_dram_bytes: np.ndarray
    macs: np.ndarray
    bottleneck: list[str]
    ttft_s: list[Any]
    tpot_s: list[Any]
    decode_tokens_per_s: list[Any]
    decode_energy_per_token_j: list[Any]
    memory_used_gib: np.ndarray
    memory_weights_gib: np.ndarray
    memory_kv_cache_gib: np.ndarray
    memory_activations_gib: np.ndarray
    max_batch: list[Any]
    system_area_mm2: np.ndarray
    energy_per_device_j: np.ndarray
    area_pe_array_mm2: np.ndarray
    area_scratchpad_mm2: np.ndarray
    area_accumulator_mm2: np.ndarray
    area_nonlinear_mm2: np.ndarray
    area_fixed_mm2: np.ndarray

    def columns(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def at(self, point: int) -> dict[str, Any]:
        """One point's metrics, as Python values."""
        return {name: _plain(values[point]) for name, values in self.columns().items()}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _divided(numerator: np.ndarray | float, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0."""
    return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), 0.0)


def metrics(sums: Sums, hw: Columns, facts: Facts) -> Metrics:
    """The report's metrics of every point from its rows' sums."""
    totals, shares = sums.total, facts.tensor_parallel  # the rows: one tensor-parallel device's share
    latency_s = totals.cycles / hw.clock_hz
    area_mm2 = np.array([parts.total_mm2 for parts in hw.areas()])
    static_w = area_mm2 * hw.tech("static_w_per_mm2") * facts.devices  # every device leaks for the whole latency
    static_j = static_w * latency_s
    energy_j = shares * totals.dynamic_energy_j + static_j
    low, high, measured = sums.band / hw.clock_hz
    return Metrics(
        latency_cycles=totals.cycles, latency_s=latency_s,
        latency_low_s=[float(x) if m > 0 else None for x, m in zip(low, measured, strict=True)],
        latency_high_s=[float(x) if m > 0 else None for x, m in zip(high, measured, strict=True)],
        throughput_per_s=_divided(facts.batch, latency_s),
        energy_j=energy_j, energy_mac_j=shares * totals.energy_mac_j, energy_sram_j=shares * totals.energy_sram_j,
        energy_dram_j=shares * totals.energy_dram_j, energy_nonlinear_j=shares * totals.energy_nonlinear_j,
        energy_static_j=static_j, edp_j_s=energy_j * latency_s, area_mm2=area_mm2,
        power_w=_divided(energy_j, latency_s), utilization=_divided(totals.macs, totals.cycles * hw.peak),
        dram_bytes=totals.dram_bytes, compulsory_dram_bytes=totals.compulsory_dram_bytes, macs=totals.macs,
        bottleneck=[BOUNDS[i] for i in np.argmax(sums.by_bound, axis=0)],
        **_serving(sums, hw.clock_hz, static_w, facts), **_capacity(facts, hw),
        system_area_mm2=area_mm2 * facts.devices, energy_per_device_j=energy_j / facts.devices, **_area_parts(hw))


def _area_parts(hw: Columns) -> dict[str, np.ndarray]:
    """One device's area by component, every point."""
    parts = hw.areas()
    return {f"area_{name}_mm2": np.array([getattr(p, f"{name}_mm2") for p in parts])
            for name in ("pe_array", "scratchpad", "accumulator", "nonlinear", "fixed")}


def _serving(sums: Sums, clock_hz: np.ndarray, static_w: np.ndarray, facts: Facts) -> dict[str, list[Any]]:
    """The serving metrics of every point (see the module's docstring); None where they do not apply."""
    names = ("ttft_s", "tpot_s", "decode_tokens_per_s", "decode_energy_per_token_j")
    points = len(clock_hz)
    if not facts.generates:
        return {name: [None] * points for name in names}
    before_s = sums.before_decode_cycles / clock_hz
    if not facts.generate_len:
        return {"ttft_s": list(before_s), **{name: [None] * points for name in names[1:]}}
    decode_s = sums.decode.cycles / clock_hz
    tokens = facts.batch * facts.generate_len
    tpot_s = decode_s / facts.generate_len
    return {"ttft_s": list(np.where(before_s > 0, before_s, tpot_s)), "tpot_s": list(tpot_s),
            "decode_tokens_per_s": [tokens / d if d else None for d in decode_s],
            "decode_energy_per_token_j": list((facts.tensor_parallel * sums.decode.dynamic_energy_j
                                               + static_w * decode_s) / tokens)}


@dataclass(frozen=True, slots=True)
class Priced:
    """One design point's report, but for its row list (what the evaluation caches)."""

    report_fields: dict[str, Any]
    ops: tuple[OpReport, ...]


def priced(lowered: Lowered, ops: list[OpReport], sums: Sums, hw: Columns, mapper: str = "optimal") -> Priced:
    """One point's rows and metrics (`sums`, `hw`: of that point alone; `mapper`: the options', for what the band
    covers)."""
    quality = lowered.quality
    parts = hw.areas()[0]
    return Priced({
        "model": lowered.workload.model.name, "accelerator": hw.specs[0].name,
        **metrics(sums, hw, Facts.of(lowered)).at(0),
        "cycles_by_class": sums.cycles_by_class(list(dict.fromkeys(op.op_class for op in ops))),
        "area_breakdown_mm2": {"pe_array": parts.pe_array_mm2, "scratchpad": parts.scratchpad_mm2,
                               "accumulator": parts.accumulator_mm2, "nonlinear": parts.nonlinear_mm2,
                               "fixed": parts.fixed_mm2},
        "quality_loss": quality.loss if quality else None, "quality_source": quality.source if quality else None,
        "fused_groups": lowered.fused_groups, "notes": list(lowered.notes),
        "validation": validation(ops, _unmeasured_why(hw.specs[0].pricing, mapper))}, tuple(ops))


def _unmeasured_why(pricing: str, mapper: str) -> str:
    """Why an accelerator priced by the measured model has no band under these options (else nothing to add)."""
    if pricing == "gemmini-measured" and mapper != "gemmini":
        return (f": mapper {mapper} is priced by the analytic model; mapper gemmini runs this accelerator's GEMMs and "
                "convolutions on Gemmini's measured model")
    return ""


def validation(ops: list[OpReport], unmeasured_why: str = "") -> str:
    """What the latency's band covers: the share of cycles the measured model priced, and what the rest is."""
    total = sum(op.cycles for op in ops)
    measured = sum(op.cycles for op in ops if op.pricing == "gemmini-measured")
    if not measured:
        return NOT_VALIDATED + unmeasured_why
    rest = sorted({op.op_class for op in ops if op.pricing == "analytic" and op.cycles > 0},
                  key=lambda name: -sum(op.cycles for op in ops if op.op_class == name and op.pricing == "analytic"))
    text = f"measured model on {measured / total:.0%} of cycles ({bands_kind()}, docs/firesim_fit.md)"
    if not rest:
        return text
    return (f"{text}; the other {(total - measured) / total:.0%} ({', '.join(rest)}: analytic, not validated) "
            "taken at their value")


def report(point: Priced) -> Report:
    """The report of a priced point (a fresh row list: the cached rows stay as they are)."""
    return Report(**point.report_fields, ops=list(point.ops))
