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

from simulator.cost.nonlinear import NonlinearCost, memory_cycles
from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology


def cnn_fused_cost(op_class: str, fusion: str, elements: int, act_bytes: float, hw: AcceleratorSpec,
                   tech: Technology, dram_share: float = 1.0) -> NonlinearCost:
    """Cost of one copy of a fused CNN op (`fusion` is the op's marker: folded, output_path or accumulate)."""
    if fusion == "folded":
        return NonlinearCost(op_class, "folded", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, on_array=True)
    if fusion == "output_path":  # one clamp per element on the read-out path
        return NonlinearCost(op_class, "accelerator", 0.0, 0.0, 0.0,
                             elements * tech.nonlinear_pj_per_element_pass, 0.0, 0.0, on_array=True)
    if fusion == "accumulate":
        moved = elements * act_bytes  # the skip operand; the other one is already in the accumulator
        dram = moved * dram_share
        memory = memory_cycles(hw, moved, dram)
        compute = elements / hw.cols  # one accumulator row per cycle
        sram_pj = elements * hw.accumulator_bits / 8 * 2 * tech.sram_pj_per_byte(hw.accumulator_kib)
        return NonlinearCost(op_class, "accelerator", max(compute, memory), compute, dram, 0.0, sram_pj,
                             dram * tech.dram_pj_per_byte, on_array=True, moved_bytes=moved)
    raise ValueError(f"unknown fusion '{fusion}'")
