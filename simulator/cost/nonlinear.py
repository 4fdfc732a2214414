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
    moved_bytes: float = 0.0  # over the local link (to the L2, else DRAM); dram_bytes is the part that misses the L2


def memory_cycles(hw: AcceleratorSpec, local_bytes: float, dram_bytes: float, dma: bool = True) -> float:
    """Cycles to move an op's data: over the local link (to the L2, else DRAM; DMA-limited unless the host moves
    it), and with an L2 also its DRAM share over the DRAM link (DMA-limited over a miss's round trip unless the host
    moves it); plus the link's latency unless the timing is `analytic` (op time = max(compute, memory))."""
    if not local_bytes:
        return 0.0
    bandwidth, latency = hw.local_link if dma else hw.memory_link
    time = local_bytes / bandwidth
    if hw.l2_kib:
        time = max(time, dram_bytes / (hw.dram_link_bytes_per_cycle if dma else hw.dram_bytes_per_cycle))
    return time if hw.timing == "analytic" else time + latency


def nonlinear_cost(op_class: str, elements: int, bytes_read: float, bytes_written: float, operands: int,
                   act_bytes: float, hw: AcceleratorSpec, tech: Technology, *, fused: bool,
                   scores_on_chip: bool = False, float_activations: bool = False,
                   dram_share: float = 1.0) -> list[NonlinearCost]:
    """One or two cost rows (the op, and its host de/quantization when that runs on the host).

    `dram_share`: the part of its traffic that misses the L2 (1 without one; 0 when its tensors stay in the L2).
    With float activations (fp16/bf16/fp32) the host computes on them directly: no de/quantization row.
    """
    if op_class not in FUSABLE:  # embedding gathers and other pure data movement: memory-bound copy
        moved = float(bytes_read + bytes_written)
        dram = moved * dram_share
        return [NonlinearCost(op_class, "accelerator", memory_cycles(hw, moved, dram), 0.0, dram, 0.0,
                              moved * tech.sram_pj_per_byte(hw.scratchpad_kib), dram * tech.dram_pj_per_byte,
                              moved_bytes=moved)]
    where = hw.placement(op_class)
    if where == "accelerator":
        passes = hw.nonlinear_passes or tech.nonlinear_passes[op_class]
        lanes = hw.nonlinear_elements_per_cycle
        if fused or scores_on_chip:
            compute = elements * (passes - 1) / lanes
            # a fused residual add still brings its skip operand into the accumulator
            moved = float(elements * act_bytes) if op_class == "residual" else 0.0
        else:
            compute = elements * passes / lanes
            moved = float(bytes_read + bytes_written)
        dram = moved * dram_share
        cycles = max(compute, memory_cycles(hw, moved, dram))
        sram_pj = elements * passes * act_bytes * 2 * tech.sram_pj_per_byte(hw.accumulator_kib)
        return [NonlinearCost(op_class, where, cycles, compute, dram,
                              elements * passes * tech.nonlinear_pj_per_element_pass, sram_pj,
                              dram * tech.dram_pj_per_byte, moved_bytes=moved)]
    # host CPU: reads its inputs from and writes its output to memory shared with the accelerator
    moved = float(bytes_read + bytes_written)
    dram = moved * dram_share
    compute = elements * hw.host_cycles_per_element(op_class)
    rows = [NonlinearCost(op_class, where, max(compute, memory_cycles(hw, moved, dram, dma=False)), compute, dram,
                          compute * tech.host_pj_per_cycle, 0.0, dram * tech.dram_pj_per_byte, moved_bytes=moved)]
    if hw.quantization_on == "host_cpu" and not float_activations:
        conversions = elements * (operands + 1)  # dequantize every input element, quantize every output one
        quant = conversions * hw.host_cycles_per_element_quantization
        rows.append(NonlinearCost("quantization", "host_cpu", quant, quant, 0.0, quant * tech.host_pj_per_cycle,
                                  0.0, 0.0))
    return rows
