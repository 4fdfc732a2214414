"""Fusion groups: a GEMM and the ops that read its output as it leaves the accumulator (survey Sec 5.5).

A fused consumer runs on the accelerator's accumulator read path: the producer's output is not written and read
back, the consumer's first pass rides on the read-out, and what leaves the chip is the group's last result. A
row-wise consumer (softmax over a score row, a normalization over d_model) needs whole rows in the accumulator, so
the producer's output tiles must span all n columns; its mapping is searched under that constraint (Gemmini's own
tiler starts from one block of rows then, `act == LAYERNORM || act == SOFTMAX`), which costs reuse: fusion can lose.

`Options.fusion` names the groups ("qk_softmax+ffn1_activation", "none"); without it the two shorthands decide:
`fuse_nonlinear` stands for what upstream Gemmini's BERT fuses (ucb-bar/gemmini-rocc-tests transformers/
transformer.c: SOFTMAX into Q·Kᵀ, IGELU into FFN W1) plus the residual adds and a CNN's epilogues, and
`keep_scores_on_chip` for `attention`; the LayerNorm groups, which can lose (survey Sec 5.5: W_out + LayerNorm
+83% with a 128 kB accumulator), only by name. A group applies to a producer when
its consumers run on the accelerator and whole rows fit; otherwise it is refused for that op, and the report says
why when the group was asked for by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from simulator.workload.operator import Role


@dataclass(frozen=True, slots=True)
class FusionGroup:
    name: str
    label: str
    producer: Role
    consumers: tuple[Role, ...]  # point-wise ops on the producer's read path (A·V reads `attention`'s from chip)
    row_wise: bool  # a consumer reduces over a whole output row
    scores_on_chip: bool = False  # the attention block: scores and probabilities never leave the accumulator


GROUPS: tuple[FusionGroup, ...] = (
    FusionGroup("attention", "Attention on chip (Q·Kᵀ, softmax, A·V)", Role.SCORES,
                (Role.PROBABILITIES, Role.CONTEXT), row_wise=True, scores_on_chip=True),
    FusionGroup("qk_softmax", "Q·Kᵀ + softmax", Role.SCORES, (Role.PROBABILITIES,), row_wise=True),
    FusionGroup("wout_layernorm", "W_out + residual + LayerNorm", Role.ATTENTION_OUT,
                (Role.ATTENTION_RESIDUAL, Role.ATTENTION_NORM), row_wise=True),
    FusionGroup("ffn1_activation", "FFN W1 + activation", Role.FFN_IN, (Role.FFN_ACTIVATION,), row_wise=False),
    FusionGroup("ffn2_layernorm", "FFN W2 + residual + LayerNorm", Role.FFN_OUT,
                (Role.FFN_RESIDUAL, Role.FFN_NORM), row_wise=True),
    FusionGroup("residual", "GEMM + residual add", Role.ATTENTION_OUT, (Role.ATTENTION_RESIDUAL,), row_wise=False),
    FusionGroup("residual", "GEMM + residual add", Role.FFN_OUT, (Role.FFN_RESIDUAL,), row_wise=False),
)
# The CNN ops a CNN-tuned Gemmini folds into or applies on its convolution (BatchNorm folded, ReLU and residual adds
# on the output path; simulator/workload/cnn.py): no row constraint, no tile change.
CONV_EPILOGUE = "conv_epilogue"
NAMES: tuple[str, ...] = (*dict.fromkeys(group.name for group in GROUPS), CONV_EPILOGUE)
# What the shorthands stand for.
READ_PATH_GROUPS: frozenset[str] = frozenset({"qk_softmax", "ffn1_activation", "residual", CONV_EPILOGUE})
ON_CHIP_GROUPS: frozenset[str] = frozenset({"attention"})
NONE = "none"


def parse(text: str) -> frozenset[str]:
    """Group names from "a+b", "a,b" or "none" (ValueError naming an unknown one and the valid names)."""
    names = {part.strip().lower() for part in text.replace(",", "+").split("+") if part.strip()}
    names.discard(NONE)
    unknown = sorted(names - set(NAMES))
    if unknown:
        raise ValueError(f"unknown fusion group {', '.join(repr(u) for u in unknown)}; groups: {', '.join(NAMES)} "
                         f"(join several with '+', or 'none')")
    return frozenset(names)


def canonical(names: frozenset[str]) -> str:
    """The groups in one fixed order joined by '+', or 'none'."""
    return "+".join(name for name in NAMES if name in names) or NONE


@cache
def for_producer(role: Role, requested: frozenset[str]) -> tuple[FusionGroup, ...]:
    """The requested groups whose producer has this role, widest first (attention before qk_softmax, a norm group
    before the residual alone); cached: every GEMM of every lowering asks (a few roles x a few requests)."""
    return tuple(group for group in GROUPS if group.producer == role and group.name in requested)
