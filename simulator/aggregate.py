"""Stage 3 of the pipeline: the report — totals with their units, breakdowns, area and power.

Ops run one after another (the host and the accelerator do not overlap, as in the survey's Gemmini baseline), so
latency is the sum of the rows' cycles. Energy adds static power (leakage x area) over the latency.

A model that generates text (decoder, encoder-decoder) also gets the serving metrics, from its rows' phases:
time to first token = everything before the first decode step (encoder and prefill; the prompt's last logits give
token 1), or one mean decode step when there is no prompt (token 1 comes out of step 1); time per output token =
the decode rows over the `generate_len` steps; decode throughput = batch x steps over the decode time; energy per
output token = the decode rows' dynamic energy plus static power over the decode time, per generated token.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.cost.area import area
from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.lower import Lowered
from simulator.report import OpReport, Report


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over every row of a design point."""

    cycles: float
    macs: float
    dram_bytes: float
    compulsory_dram_bytes: float
    energy_mac_j: float
    energy_sram_j: float
    energy_dram_j: float
    energy_nonlinear_j: float

    @classmethod
    def of(cls, ops: tuple[OpReport, ...]) -> Totals:
        return cls(cycles=sum(op.cycles for op in ops), macs=sum(op.macs for op in ops),
                   dram_bytes=sum(op.dram_bytes for op in ops),
                   compulsory_dram_bytes=sum(op.compulsory_dram_bytes for op in ops),
                   energy_mac_j=sum(op.energy_mac_j for op in ops),
                   energy_sram_j=sum(op.energy_sram_j for op in ops),
                   energy_dram_j=sum(op.energy_dram_j for op in ops),
                   energy_nonlinear_j=sum(op.energy_nonlinear_j for op in ops))

    @property
    def dynamic_energy_j(self) -> float:
        return self.energy_mac_j + self.energy_sram_j + self.energy_dram_j + self.energy_nonlinear_j


@dataclass(frozen=True, slots=True)
class Priced:
    """A design point's operator rows and what its report needs of the workload (what the evaluation caches)."""

    model: str
    batch: int
    generates: bool  # a decoder or encoder-decoder: the serving metrics apply
    generate_len: int
    quality_loss: float | None
    quality_source: str | None
    fused_groups: str
    notes: tuple[str, ...]
    ops: tuple[OpReport, ...]


def priced(lowered: Lowered, ops: list[OpReport]) -> Priced:
    quality = lowered.quality
    workload = lowered.workload
    return Priced(workload.model.name, workload.scenario.batch,
                  workload.model.family in ("decoder", "encoder-decoder"), workload.generate_len,
                  quality.loss if quality else None, quality.source if quality else None, lowered.fused_groups,
                  lowered.notes, tuple(ops))


@dataclass(frozen=True, slots=True)
class Serving:
    """The serving metrics of a text-generating point (see the module's docstring); None where they do not apply."""

    ttft_s: float | None = None
    tpot_s: float | None = None
    decode_tokens_per_s: float | None = None
    decode_energy_per_token_j: float | None = None

    @classmethod
    def of(cls, point: Priced, clock_hz: float, static_w: float) -> Serving:
        if not point.generates:
            return cls()
        decode = Totals.of(tuple(op for op in point.ops if op.phase == "decode"))
        before_s = sum(op.cycles for op in point.ops if op.phase != "decode") / clock_hz
        if not point.generate_len:
            return cls(ttft_s=before_s)
        decode_s = decode.cycles / clock_hz
        tokens = point.batch * point.generate_len
        tpot_s = decode_s / point.generate_len
        return cls(ttft_s=before_s if before_s else tpot_s, tpot_s=tpot_s,
                   decode_tokens_per_s=tokens / decode_s if decode_s else None,
                   decode_energy_per_token_j=(decode.dynamic_energy_j + static_w * decode_s) / tokens)


def report(point: Priced, hw: AcceleratorSpec, tech: Technology) -> Report:
    ops = point.ops
    totals = Totals.of(ops)
    by_bound = {"compute": 0.0, "memory": 0.0, "non-linear": 0.0}
    by_class: dict[str, float] = {}
    for op in ops:
        by_bound[op.bound] += op.cycles
        by_class[op.op_class] = by_class.get(op.op_class, 0.0) + op.cycles
    latency_s = totals.cycles / (hw.clock_ghz * 1e9)
    parts = area(hw, tech)
    static_w = parts.total_mm2 * tech.static_w_per_mm2
    static_j = static_w * latency_s
    energy_j = totals.dynamic_energy_j + static_j
    serving = Serving.of(point, hw.clock_ghz * 1e9, static_w)
    return Report(
        model=point.model, accelerator=hw.name, latency_cycles=totals.cycles, latency_s=latency_s,
        throughput_per_s=point.batch / latency_s if latency_s else 0.0, energy_j=energy_j,
        energy_mac_j=totals.energy_mac_j, energy_sram_j=totals.energy_sram_j, energy_dram_j=totals.energy_dram_j,
        energy_nonlinear_j=totals.energy_nonlinear_j, energy_static_j=static_j,
        edp_j_s=energy_j * latency_s, area_mm2=parts.total_mm2, power_w=energy_j / latency_s if latency_s else 0.0,
        utilization=totals.macs / (totals.cycles * hw.peak_macs_per_cycle) if totals.cycles else 0.0,
        dram_bytes=totals.dram_bytes, compulsory_dram_bytes=totals.compulsory_dram_bytes, macs=totals.macs,
        bottleneck=max(by_bound, key=by_bound.__getitem__),
        ttft_s=serving.ttft_s, tpot_s=serving.tpot_s, decode_tokens_per_s=serving.decode_tokens_per_s,
        decode_energy_per_token_j=serving.decode_energy_per_token_j,
        cycles_by_class=by_class,
        area_breakdown_mm2={"pe_array": parts.pe_array_mm2, "scratchpad": parts.scratchpad_mm2,
                            "accumulator": parts.accumulator_mm2, "nonlinear": parts.nonlinear_mm2,
                            "fixed": parts.fixed_mm2},
        ops=list(ops), quality_loss=point.quality_loss, quality_source=point.quality_source,
        fused_groups=point.fused_groups, notes=list(point.notes))
