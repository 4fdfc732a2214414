"""Profile totals: where the FLOPs and the memory traffic go, per phase, per operator class and overall."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from simulator.workload.graph import build_graph
from simulator.workload.operator import PHASES, Operator, OperatorGraph, Phase, Traffic
from simulator.workload.scenario import Workload

LAYER_CLASSES = frozenset({"projection", "attention", "ffn", "softmax", "normalization", "activation", "residual"})


@dataclass(frozen=True, slots=True)
class Totals(Traffic):
    """Sums over a set of ops, each op counted layer_count times."""

    flops: int = 0
    gemm_flops: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    elements: int = 0
    nonlinear_elements: int = 0

    @classmethod
    def of(cls, ops: Iterable[Operator]) -> Totals:
        flops = gemm = read = written = elements = nonlinear = 0
        for op in ops:
            count = op.layer_count
            flops += op.flops * count
            read += op.bytes_read * count
            written += op.bytes_written * count
            elements += op.elements * count
            if op.kind == "gemm":
                gemm += op.flops * count
            elif op.kind == "nonlinear":
                nonlinear += op.elements * count
        return cls(flops, gemm, read, written, elements, nonlinear)

    def divided(self, by: int) -> Totals:
        """Exact when every op's layer_count is a multiple of `by` (e.g. per layer, per decode token)."""
        return Totals(self.flops // by, self.gemm_flops // by, self.bytes_read // by, self.bytes_written // by,
                      self.elements // by, self.nonlinear_elements // by)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "flops": self.flops, "gemm_flops": self.gemm_flops, "bytes": self.bytes,
            "bytes_read": self.bytes_read, "bytes_written": self.bytes_written,
            "nonlinear_elements": self.nonlinear_elements, "arithmetic_intensity": self.arithmetic_intensity,
        }


def fused_view(op: Operator) -> Operator:
    """The op as the paper's fused count sees it (Kim et al. Tab. 4): BatchNorm folded into the conv's weights
    and bias (no FLOPs, no traffic); ReLU applied on its producer's output path (FLOPs, no traffic of its own).
    Other ops (residual adds included: both operands are still read) are unchanged."""
    if op.fusion == "folded":
        return replace(op, flops=0, bytes_read=0, bytes_written=0)
    if op.fusion == "output_path":
        return replace(op, bytes_read=0, bytes_written=0)
    return op


@dataclass(frozen=True, slots=True)
class Profile:
    """Totals of one workload: whole model, per phase, per layer of each phase, per class, per decode token.

    `per_layer` excludes embedding and LM head; for decode it is per layer per token, averaged over the steps
    (floored to whole FLOPs/bytes), as is `decode_per_token`. A CNN has no per-layer totals (its layers differ).
    `fused` / `fused_by_class` count the same ops with fusion (`fused_view`); they equal the unfused totals for a
    Transformer, whose ops carry no fusion marker.
    """

    graph: OperatorGraph
    total: Totals
    by_phase: dict[Phase, Totals] = field(default_factory=dict)
    per_layer: dict[Phase, Totals] = field(default_factory=dict)
    by_class: dict[str, Totals] = field(default_factory=dict)
    decode_per_token: Totals | None = None
    fused: Totals = field(default_factory=Totals)
    fused_by_class: dict[str, Totals] = field(default_factory=dict)

    @property
    def workload(self) -> Workload:
        return self.graph.workload


def profile(workload: Workload, graph: OperatorGraph | None = None) -> Profile:
    """Profile a workload (builds its graph unless given)."""
    graph = graph or build_graph(workload)
    model = workload.model
    by_phase: dict[Phase, Totals] = {}
    per_layer: dict[Phase, Totals] = {}
    for phase in PHASES:
        ops = graph.phase(phase)
        if not ops:
            continue
        by_phase[phase] = Totals.of(ops)
        if phase == "forward":  # a CNN: no repeated layer to divide by
            continue
        layer_ops = [op for op in ops if op.op_class in LAYER_CLASSES]
        layers = model.num_layers if phase == "encoder" else model.decoder_layers
        if phase == "decode":
            layers *= workload.generate_len
        if layer_ops:
            per_layer[phase] = Totals.of(layer_ops).divided(layers)
    classes = dict.fromkeys(op.op_class for op in graph.ops)
    by_class = {name: Totals.of(op for op in graph.ops if op.op_class == name) for name in classes}
    decode = by_phase.get("decode")
    fused_ops = [fused_view(op) for op in graph.ops]
    return Profile(
        graph=graph,
        total=Totals.of(graph.ops),
        by_phase=by_phase,
        per_layer=per_layer,
        by_class=by_class,
        decode_per_token=decode.divided(workload.generate_len) if decode else None,
        fused=Totals.of(fused_ops),
        fused_by_class={name: Totals.of(op for op in fused_ops if op.op_class == name) for name in classes},
    )
