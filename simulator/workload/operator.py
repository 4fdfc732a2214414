"""`Operator`: one operator of an inference with exact shapes, FLOPs and unfused traffic, and the graph of them.

The builders (`graph.py` for Transformers, `cnn_graph.py` for CNNs) make them; the evaluator prices them. What the
evaluator needs to know about an operator is carried on it, never recovered from its name or its byte totals:
its attention role, how many input tensors a point-wise op reads, and how many distinct A-operand elements a GEMM
moves (the input map of a convolution, not its k²-times larger im2col matrix).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml

from simulator.workload.scenario import Workload


class Role(StrEnum):
    """What an op is in its Transformer block, for the fusion groups that join a GEMM with the ops reading its output
    (simulator/fusion.py). Attention: Q·Kᵀ makes the scores, softmax turns them into probabilities, A·V reads them.
    After attention: the output projection, its residual add and norm. FFN: the input GEMM(s) and their activation,
    the output GEMM, its residual add and norm."""

    NONE = ""
    SCORES = "scores"
    PROBABILITIES = "probabilities"
    CONTEXT = "context"
    ATTENTION_OUT = "attention_out"
    ATTENTION_RESIDUAL = "attention_residual"
    ATTENTION_NORM = "attention_norm"
    FFN_IN = "ffn_in"
    FFN_ACTIVATION = "ffn_activation"
    FFN_OUT = "ffn_out"
    FFN_RESIDUAL = "ffn_residual"
    FFN_NORM = "ffn_norm"


OpKind = Literal["gemm", "nonlinear", "elementwise", "collective"]
OpClass = Literal[
    "projection", "attention", "ffn", "softmax", "normalization", "activation", "residual", "embedding", "lm_head",
    "convolution", "pooling", "fc", "communication",
]
# How reports and the dashboard name each class (host de/quantization rows are the evaluator's own class).
OP_CLASS_LABELS: dict[str, str] = {
    "projection": "Projection GEMMs", "attention": "Attention GEMMs", "ffn": "FFN GEMMs", "softmax": "Softmax",
    "normalization": "Normalization", "activation": "Activation", "residual": "Residual add",
    "embedding": "Embedding", "lm_head": "LM head", "convolution": "Convolutions", "pooling": "Pooling",
    "fc": "Fully connected", "communication": "Communication", "quantization": "De/quantization",
}
Collective = Literal["", "all_reduce", "all_to_all", "send"]
Phase = Literal["encoder", "prefill", "decode", "forward"]  # "forward": the single pass of a CNN
PHASES: tuple[Phase, ...] = ("encoder", "prefill", "decode", "forward")
# How an op can disappear into its producer (CNN ops; see simulator/workload/cnn.py): "folded" into its weights,
# applied on its "output_path" as it leaves the accumulator, or "accumulate"d into its accumulator.
Fusion = Literal["", "folded", "output_path", "accumulate"]


class Traffic:
    """FLOPs against unfused bytes: what an operator and any sum of operators share."""

    __slots__ = ()
    flops: int
    bytes_read: int
    bytes_written: int

    @property
    def bytes(self) -> int:
        return self.bytes_read + self.bytes_written

    @property
    def arithmetic_intensity(self) -> float:
        """FLOPs per byte of unfused traffic."""
        return self.flops / self.bytes if self.bytes else 0.0


@dataclass(frozen=True, slots=True)
class ConvGeometry:
    """A convolution's real geometry (one image batch, square kernel), carried on its im2col GEMM op so Gemmini's
    measured execution model can run it as LoopConv does (simulator/measured.py) rather than as the GEMM."""

    batch: int
    in_channels: int
    in_h: int
    in_w: int
    kernel: int
    stride: int
    padding: int

    @property
    def out_h(self) -> int:
        return (self.in_h + 2 * self.padding - self.kernel) // self.stride + 1

    @property
    def out_w(self) -> int:
        return (self.in_w + 2 * self.padding - self.kernel) // self.stride + 1


@dataclass(frozen=True, slots=True)
class Operator(Traffic):
    """One operator; FLOPs/bytes/elements are for ONE copy (all instances), run `layer_count` times."""

    name: str
    kind: OpKind
    op_class: OpClass
    phase: Phase
    layer_count: int
    m: int
    k: int
    n: int
    instances: int
    b_is_weight: bool
    flops: int
    bytes_read: int
    bytes_written: int
    elements: int
    decode_steps: int = 1
    kv_length: int = 0
    fusion: Fusion = ""
    role: Role = Role.NONE
    operands: int = 1  # input tensors of a point-wise op (a residual add reads two)
    a_elements: int = 0  # GEMMs: distinct A-operand elements moved (all instances); 0 = m·k·instances
    collective: Collective = ""  # communication: all-reduce or all-to-all over `devices`, or a send to the next stage
    devices: int = 1  # communication ops: the devices taking part
    conv: ConvGeometry | None = None  # a convolution's im2col GEMM: the convolution it lowers

    @property
    def total_flops(self) -> int:
        return self.flops * self.layer_count

    @property
    def total_bytes(self) -> int:
        return self.bytes * self.layer_count


@dataclass(frozen=True, slots=True)
class OperatorGraph:
    """The ops of one workload, in execution order within each phase."""

    workload: Workload
    ops: tuple[Operator, ...]

    def phase(self, phase: Phase) -> tuple[Operator, ...]:
        return tuple(op for op in self.ops if op.phase == phase)

    @property
    def phases(self) -> tuple[Phase, ...]:
        present = {op.phase for op in self.ops}
        return tuple(p for p in PHASES if p in present)

    @property
    def total_flops(self) -> int:
        return sum(op.flops * op.layer_count for op in self.ops)

    @property
    def total_bytes(self) -> int:
        return sum(op.bytes * op.layer_count for op in self.ops)


@lru_cache(maxsize=1)
def flops_per_element() -> dict[str, int]:
    """Per-element FLOP conventions for non-GEMM ops (data file, with its source)."""
    text = (resources.files("simulator") / "data" / "counting.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text)["flops_per_element"])


def nbytes(elements: int, bits: int) -> int:
    return (elements * bits + 7) // 8
