"""Stage 2 of the pipeline: what each lowered op costs — one report row each, built by keyword.

A GEMM is priced by its mapping search (simulator/mapping), a point-wise op by the non-linear model
(`nonlinear.py`, `cnn_fusion.py`). Every record is a total over the op's copies. "Bound" has one meaning for every
op, the roofline's reading: `memory` when moving its DRAM bytes at the accelerator's bandwidth takes longer than
its arithmetic at the unit's peak rate — for a GEMM, its MACs at rows x cols per cycle, i.e. its arithmetic
intensity is left of the roofline's ridge — else `compute` (the array) or `non-linear` (non-linear units or the
host, whose compute cycles are their peak-rate time). A GEMM slower than both roofs (fold overheads, a decode GEMV
waiting on weight preloads) is still labelled by the roof it sits under, as the roofline plot shows it.
"""

from __future__ import annotations

from simulator.cost.cnn_fusion import cnn_fused_cost
from simulator.cost.nonlinear import NonlinearCost, nonlinear_cost
from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.lower import GemmWork, PointwiseWork, Work
from simulator.options import Options
from simulator.report import Bound, OpReport

_J_PER_PJ = 1e-12


def bound(compute_cycles: float, memory_cycles: float, on_array: bool) -> Bound:
    """The op's bound (see the module's docstring)."""
    if memory_cycles > compute_cycles:
        return "memory"
    return "compute" if on_array else "non-linear"


def _gemm(work: GemmWork, hw: AcceleratorSpec, options: Options) -> OpReport:
    op, times = work.op, work.repeats
    cost = work.cost(hw, options)
    memory = cost.dram_bytes / hw.dram_bytes_per_cycle
    return OpReport(
        name=op.name, kind=op.kind, op_class=op.op_class, phase=op.phase, count=op.layer_count,
        shape=f"{op.m}x{op.k}x{op.n}" + (f" x{op.instances}" if op.instances > 1 else ""),
        flops=float(op.flops * op.layer_count) * work.k / op.k,  # sparse: kept K only
        macs=cost.macs * times, dram_bytes=cost.dram_bytes * times,
        compulsory_dram_bytes=cost.compulsory_dram_bytes * times, l2_bytes=cost.l2_bytes * times,
        cycles=cost.cycles * times,
        compute_cycles=cost.compute_cycles * times, memory_cycles=memory * times,
        energy_j=cost.energy_pj * times * _J_PER_PJ, energy_mac_j=cost.energy_mac_pj * times * _J_PER_PJ,
        energy_sram_j=cost.energy_sram_pj * times * _J_PER_PJ, energy_dram_j=cost.energy_dram_pj * times * _J_PER_PJ,
        energy_nonlinear_j=0.0, utilization=cost.utilization,
        where="accelerator", mapping=cost.mapping.describe() + (f" · fused {work.fusion}" if work.fusion else ""),
        bound=bound(cost.macs / hw.peak_macs_per_cycle, memory, True))


def _part(work: PointwiseWork, part: NonlinearCost, hw: AcceleratorSpec) -> OpReport:
    op, count = work.op, work.op.layer_count
    quantization = part.op_class == "quantization"
    memory = part.dram_bytes / hw.dram_bytes_per_cycle
    energy_pj = part.energy_nonlinear_pj + part.energy_sram_pj + part.energy_dram_pj
    return OpReport(
        name=f"{op.name}.requantize" if quantization else op.name, kind=op.kind, op_class=part.op_class,
        phase=op.phase, count=count, shape=f"{op.m}x{op.n}", flops=0.0 if quantization else float(op.flops * count),
        macs=0.0, dram_bytes=part.dram_bytes * count, compulsory_dram_bytes=part.dram_bytes * count,
        l2_bytes=(part.moved_bytes - part.dram_bytes) * count if hw.l2_kib else 0.0, cycles=part.cycles * count,
        compute_cycles=part.compute_cycles * count, memory_cycles=memory * count,
        energy_j=energy_pj * count * _J_PER_PJ, energy_mac_j=0.0,
        energy_sram_j=part.energy_sram_pj * count * _J_PER_PJ, energy_dram_j=part.energy_dram_pj * count * _J_PER_PJ,
        energy_nonlinear_j=part.energy_nonlinear_pj * count * _J_PER_PJ, utilization=0.0, where=part.where, mapping="",
        bound=bound(part.compute_cycles, memory, part.on_array))


def cost(work: Work, hw: AcceleratorSpec, tech: Technology, options: Options) -> list[OpReport]:
    """The report rows of one lowered op (a point-wise op on the host may add a de/quantization row)."""
    if isinstance(work, GemmWork):
        return [_gemm(work, hw, options)]
    op = work.op
    if work.cnn_fused:  # CNN: see cnn_fusion
        parts = [cnn_fused_cost(op.op_class, op.fusion, op.elements, work.act_bytes, hw, tech, work.dram_share)]
    else:
        parts = nonlinear_cost(op.op_class, op.elements, work.bytes_read, op.bytes_written, op.operands,
                               work.act_bytes, hw, tech, fused=work.fused, scores_on_chip=work.scores_on_chip,
                               float_activations=work.float_activations, dram_share=work.dram_share)
    return [_part(work, part, hw) for part in parts]
