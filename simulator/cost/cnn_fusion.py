"""CNN ops the way a CNN-tuned Gemmini runs them: folded into, or fused onto, the convolution they follow.

Which and why: BatchNorm and ReLU of a CNN do NOT follow the accelerator's normalization/activation placement
(`normalization_on`, `activation_on`); with `Options.fuse_nonlinear` (the default) they are fused as Gemmini's
CNN flow does it, on any accelerator, because none of it needs a non-linear unit:
- BatchNorm ("folded"): at inference its per-channel scale and shift are folded into the conv's weights and bias
  when the model is compiled; nothing runs at inference time (zero cycles, zero traffic).
- ReLU ("output_path"): Gemmini clamps on the accumulator read-out (`mvout` with its activation set to ReLU);
  it rides on the conv's (or residual add's) output stream at full rate: no cycles, no DRAM traffic.
- Residual add ("accumulate"): the skip tensor is moved into the accumulator with accumulation (Gemmini's
  resadd), so the add is done by the accumulator's adders: it costs reading the skip operand from DRAM and
  one accumulator row (`cols` elements) per cycle, not a host round trip with de/quantization.
The placements describe the Transformer's LayerNorm/GELU/softmax, which do need units the CNN baseline lacks
(survey Sec 3.4). With `fuse_nonlinear=False` every CNN op follows the placements, unfused, like any other op:
the "no CNN support" view, and the paper's unfused count. Pooling is a DRAM-bound copy either way.
"""

from __future__ import annotations

import numpy as np

from simulator.cost.columns import Columns
from simulator.cost.nonlinear import NonlinearCost, Values, memory_cycles, per_point


def cnn_fused_cost(op_class: str, fusion: str, elements: int, act_bytes: Values, hw: Columns,
                   dram_share: Values = 1.0) -> NonlinearCost:
    """Cost of one copy of a fused CNN op at every point (`fusion` is the op's marker: folded, output_path or
    accumulate)."""
    zero, placed = np.zeros(len(hw)), np.ones(len(hw), dtype=bool)
    if fusion == "folded":
        return NonlinearCost(op_class, placed, zero, zero, zero, zero, zero, zero, on_array=True, folded=True)
    if fusion == "output_path":  # one clamp per element on the read-out path
        return NonlinearCost(op_class, placed, zero, zero, zero, elements * hw.tech("nonlinear_pj_per_element_pass"),
                             zero, zero, on_array=True)
    if fusion == "accumulate":
        moved = elements * act_bytes  # the skip operand; the other one is already in the accumulator
        dram = per_point(moved * dram_share, hw)
        memory = memory_cycles(hw, moved, dram)
        compute = elements / hw.cols  # one accumulator row per cycle
        sram_pj = elements * hw.of("accumulator_bits") / 8 * 2 * hw.sram("accumulator_kib")
        return NonlinearCost(op_class, placed, np.maximum(compute, memory), compute, dram, zero, sram_pj,
                             dram * hw.tech("dram_pj_per_byte"), on_array=True, moved_bytes=moved)
    raise ValueError(f"unknown fusion '{fusion}'")
