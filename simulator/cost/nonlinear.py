"""Cost of non-linear and element-wise ops: on the accelerator's integer units or on the host CPU.

Accelerator: `passes` sweeps over the elements at `nonlinear_elements_per_cycle` (I-BERT-style integer kernels);
unfused, the op also streams its inputs and output through DRAM and takes the slower of the two.
Fused on the accumulator read path, its first pass rides on the producing GEMM's read-out and it has no
DRAM traffic of its own (a residual add still reads its skip operand).
Host CPU: elements x cycles/element in floating point, plus de/quantization of every input and output element
when `quantization_on` is `host_cpu` (reported as its own `quantization` row, as the survey's breakdown does).

Written over `Columns` (one array entry per design point): where an op runs is itself per point, so each formula
takes the accelerator's and the host's value by point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.cost.columns import Columns
from simulator.hardware.spec import FUSABLE

Values = np.ndarray | float


@dataclass(frozen=True, slots=True)
class NonlinearCost:
    """One copy of a point-wise op (or its host de/quantization) at every point: arrays, one entry per point."""

    op_class: str
    placed: np.ndarray  # per point: runs on the accelerator (else the host CPU)
    cycles: np.ndarray
    compute_cycles: np.ndarray
    dram_bytes: np.ndarray
    energy_nonlinear_pj: np.ndarray
    energy_sram_pj: np.ndarray
    energy_dram_pj: np.ndarray
    on_array: bool = False  # runs on the array's own datapath (CNN ops fused onto a convolution), not a non-linear unit
    moved_bytes: Values = 0.0  # over the local link (to the L2, else DRAM); dram_bytes is the part that misses the L2
    folded: bool = False  # folded into the convolution's weights: nothing runs
    over_link: bool = False  # a collective over the device-to-device links (simulator/cost/communication.py)

    def where(self, point: int) -> str:
        """"accelerator", "host_cpu" or "folded" at one point (the report row's `where`)."""
        if self.folded:
            return "folded"
        if self.over_link:
            return "interconnect"
        return "accelerator" if self.placed[point] else "host_cpu"


def per_point(value: Values, hw: Columns) -> np.ndarray:
    """`value` as one float per point (a scalar stands for every point)."""
    if isinstance(value, np.ndarray) and value.shape == hw.dram_bw.shape and value.dtype == float:
        return value
    return np.full(hw.dram_bw.shape, value, dtype=float)


def memory_cycles(hw: Columns, local_bytes: Values, dram_bytes: Values, dma: bool | np.ndarray = True) -> np.ndarray:
    """Cycles to move an op's data: over the local link (to the L2, else DRAM; DMA-limited unless the host moves
    it), and with an L2 also its DRAM share over the DRAM link (DMA-limited over a miss's round trip unless the host
    moves it); plus the link's latency unless the timing is `analytic` (op time = max(compute, memory)).
    `dma`: per point, the DMA moves it (else the host)."""
    local = per_point(local_bytes, hw)
    bandwidth = np.where(dma, hw.local_bw, hw.memory_bw)
    latency = np.where(dma, hw.local_latency, hw.memory_latency)
    time = local / bandwidth
    time = np.where(hw.has_l2, np.maximum(time, dram_bytes / np.where(dma, hw.dram_link_bw, hw.dram_bw)), time)
    time = np.where(hw.analytic, time, time + latency)
    return np.where(local > 0, time, 0.0)


def _data_movement(op_class: str, moved: np.ndarray, dram_share: Values, hw: Columns) -> NonlinearCost:
    """Embedding gathers and other pure data movement: a memory-bound copy."""
    dram = moved * dram_share
    zero = np.zeros(len(hw))
    return NonlinearCost(op_class, np.ones(len(hw), dtype=bool), memory_cycles(hw, moved, dram), zero, dram, zero,
                         moved * hw.sram("scratchpad_kib"), dram * hw.tech("dram_pj_per_byte"), moved_bytes=moved)


def nonlinear_cost(op_class: str, elements: int, bytes_read: Values, bytes_written: float, operands: int,
                   act_bytes: Values, hw: Columns, *, fused: Values, scores_on_chip: Values = False,
                   float_activations: bool = False, dram_share: Values = 1.0) -> list[NonlinearCost]:
    """One or two cost rows (the op, and its host de/quantization when that runs on the host at some point).

    `dram_share`: the part of its traffic that misses the L2 (1 without one; 0 when its tensors stay in the L2).
    With float activations (fp16/bf16/fp32) the host computes on them directly: no de/quantization row.
    `bytes_read`, `act_bytes`, `fused`, `scores_on_chip` and `dram_share` may differ by point (the lowering decides).
    """
    unfused_moved = per_point(bytes_read + bytes_written, hw)
    if op_class not in FUSABLE:
        return [_data_movement(op_class, unfused_moved, dram_share, hw)]
    accelerator = hw.on_accelerator(op_class)
    # on the accelerator's units
    passes = np.where(hw.passes > 0, hw.passes, hw.tech_passes(op_class))
    lanes = np.where(accelerator, hw.lanes, 1.0)  # a host-placed point's lanes are never read
    on_read_path = np.asarray(fused, dtype=bool) | np.asarray(scores_on_chip, dtype=bool)
    unit_compute = elements * np.where(on_read_path, passes - 1, passes) / lanes
    # a fused residual add still brings its skip operand into the accumulator
    unit_moved = np.where(on_read_path, elements * act_bytes if op_class == "residual" else 0.0, unfused_moved)
    # on the host: reads its inputs from and writes its output to memory shared with the accelerator
    host_compute = elements * hw.host(op_class)
    moved = np.where(accelerator, unit_moved, unfused_moved)
    dram = moved * dram_share
    compute = np.where(accelerator, unit_compute, host_compute)
    cycles = np.maximum(compute, memory_cycles(hw, moved, dram, dma=accelerator))
    host_pj = hw.tech("host_pj_per_cycle")
    rows = [NonlinearCost(
        op_class, accelerator, cycles, compute, dram,
        np.where(accelerator, elements * passes * hw.tech("nonlinear_pj_per_element_pass"), host_compute * host_pj),
        np.where(accelerator, elements * passes * act_bytes * 2 * hw.sram("accumulator_kib"), 0.0),
        dram * hw.tech("dram_pj_per_byte"), moved_bytes=moved)]
    converts = ~accelerator & hw.host_quantization & (not float_activations)
    if converts.any():
        conversions = elements * (operands + 1)  # dequantize every input element, quantize every output one
        quant = np.where(converts, conversions * hw.host("quantization"), 0.0)
        zero = np.zeros(len(hw))
        rows.append(NonlinearCost("quantization", np.zeros(len(hw), dtype=bool), quant, quant, zero,
                                  quant * host_pj, zero, zero))
    return rows
