"""Cost of non-linear and element-wise ops: on the accelerator's integer units or on the host CPU.

Accelerator: `passes` sweeps over the elements at `nonlinear_elements_per_cycle` (I-BERT-style integer kernels);
unfused, the op also streams its inputs and output through DRAM and takes the slower of the two.
Fused on the accumulator read path, its first pass rides on the producing GEMM's read-out and it has no
DRAM traffic of its own (a residual add still reads its skip operand).
Host CPU: elements x cycles/element in floating point, plus de/quantization of every input and output element
when `quantization_on` is `host_cpu` (reported as its own `quantization` row, as the survey's breakdown does).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.hardware.spec import FUSABLE, AcceleratorSpec
from simulator.hardware.technology import Technology


@dataclass(frozen=True, slots=True)
class NonlinearCost:
    op_class: str
    where: str  # "accelerator" | "host_cpu"
    cycles: float
    compute_cycles: float
    dram_bytes: float
    energy_nonlinear_pj: float
    energy_sram_pj: float
    energy_dram_pj: float
    on_array: bool = False  # runs on the array's own datapath (CNN ops fused onto a convolution), not a non-linear unit


def nonlinear_cost(op_class: str, elements: int, bytes_read: int, bytes_written: int, operands: int,
                   act_bytes: float, hw: AcceleratorSpec, tech: Technology, *, fused: bool,
                   scores_on_chip: bool = False, float_activations: bool = False) -> list[NonlinearCost]:
    """One or two cost rows (the op, and its host de/quantization when that runs on the host).

    With float activations (fp16/bf16/fp32) the host computes on them directly: no de/quantization row.
    """
    bw = hw.dram_bytes_per_cycle
    if op_class not in FUSABLE:  # embedding gathers and other pure data movement: DRAM-bound copy
        dram = float(bytes_read + bytes_written)
        cycles = dram / bw + hw.dram_latency_cycles
        return [NonlinearCost(op_class, "accelerator", cycles, 0.0, dram, 0.0,
                              dram * tech.sram_pj_per_byte(hw.scratchpad_kib), dram * tech.dram_pj_per_byte)]
    where = hw.placement(op_class)
    if where == "accelerator":
        passes = tech.nonlinear_passes[op_class]
        lanes = hw.nonlinear_elements_per_cycle
        if fused or scores_on_chip:
            compute = elements * (passes - 1) / lanes
            # a fused residual add still brings its skip operand into the accumulator
            dram = float(elements * act_bytes) if op_class == "residual" else 0.0
        else:
            compute = elements * passes / lanes
            dram = float(bytes_read + bytes_written)
        memory = dram / bw + (hw.dram_latency_cycles if dram else 0.0)
        cycles = max(compute, memory)
        sram_pj = elements * passes * act_bytes * 2 * tech.sram_pj_per_byte(hw.accumulator_kib)
        return [NonlinearCost(op_class, where, cycles, compute, dram,
                              elements * passes * tech.nonlinear_pj_per_element_pass, sram_pj,
                              dram * tech.dram_pj_per_byte)]
    # host CPU: reads its inputs from and writes its output to memory shared with the accelerator
    dram = float(bytes_read + bytes_written)
    compute = elements * hw.host_cycles_per_element(op_class)
    memory = dram / bw + hw.dram_latency_cycles
    rows = [NonlinearCost(op_class, where, max(compute, memory), compute, dram, compute * tech.host_pj_per_cycle, 0.0,
                          dram * tech.dram_pj_per_byte)]
    if hw.quantization_on == "host_cpu" and not float_activations:
        conversions = elements * (operands + 1)  # dequantize every input element, quantize every output one
        quant = conversions * hw.host_cycles_per_element_quantization
        rows.append(NonlinearCost("quantization", "host_cpu", quant, quant, 0.0, quant * tech.host_pj_per_cycle,
                                  0.0, 0.0))
    return rows
