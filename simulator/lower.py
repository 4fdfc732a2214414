"""Stage 1 of the pipeline: the workload as the accelerator runs it.

Precision options rebuild the model at their widths; each GEMM gets the operand widths the array moves (N:M-
compressed weights with their index bits, an im2col convolution's real input map) and whether its operands touch
DRAM (attention scores kept on chip); each point-wise op says whether it is fused. Nothing here prices anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from simulator.hardware.spec import FUSABLE, AcceleratorSpec
from simulator.options import PRECISIONS, Options
from simulator.quality import PublishedQuality, published_quality
from simulator.workload import AttentionRole, Operator, Workload, build_graph


@dataclass(frozen=True, slots=True)
class GemmWork:
    """One GEMM instance as the array runs it, `repeats` times."""

    op: Operator
    k: int  # the reduction length the array runs: K·N/M under N:M sparsity
    a_bits: float  # bits per A element moved (an im2col convolution moves its input map, a fraction of M·K)
    b_bits: float  # bits per B element (a compressed weight carries its index bits)
    out_bits: int
    a_from_dram: bool
    c_to_dram: bool

    @property
    def repeats(self) -> int:
        return self.op.layer_count * self.op.instances


@dataclass(frozen=True, slots=True)
class PointwiseWork:
    """One non-GEMM op: a non-linear or element-wise op, fused onto its producer or not."""

    op: Operator
    fused: bool  # on the producing GEMM's accumulator read path (Transformer ops on the accelerator)
    cnn_fused: bool  # folded into / fused onto its convolution the way a CNN-tuned Gemmini runs it
    scores_on_chip: bool  # attention softmax over scores that stay in the accumulator
    float_activations: bool
    act_bytes: float


Work = GemmWork | PointwiseWork


@dataclass(frozen=True, slots=True)
class Lowered:
    workload: Workload  # at the precisions the options ask for
    work: tuple[Work, ...]
    quality: PublishedQuality | None


def _format(precision: str | None, model_bits: int) -> tuple[int, str, str]:
    """(bits, "int" | "float", name) of one operand type; None keeps the model's integer width."""
    if precision is None:
        return model_bits, "int", f"int{model_bits}"
    bits, kind = PRECISIONS[precision]
    return bits, kind, precision


def check_support(hw: AcceleratorSpec, options: Options, weight_bits: int = 8, activation_bits: int = 8) -> None:
    """The hardware-support rule for number formats: refuse, never silently emulate.

    An operand runs on the array when its kind matches `array_format` and its width fits the array's
    (`weight_bits` for weights, `input_bits` for activations); a narrower one runs sign-extended (fewer bytes
    moved, same MAC hardware). Anything else (fp16 on an int8 array, int8 on a 4-bit array) is a ValueError
    naming the missing support: no conversion unit is modelled, so there is no honest cost to charge.
    """
    for role, precision, model_bits, hw_bits, field in (
            ("weights", options.weight_precision, weight_bits, hw.weight_bits, "weight_bits"),
            ("activations", options.activation_precision, activation_bits, hw.input_bits, "input_bits")):
        bits, kind, name = _format(precision, model_bits)
        if kind != hw.array_format:
            raise ValueError(f"{name} {role} need a {kind} PE array; accelerator '{hw.name}' has array_format="
                             f"'{hw.array_format}' (choose a {hw.array_format} precision or a {kind} array)")
        if bits > hw_bits:
            raise ValueError(f"{name} {role} need {field} >= {bits}; accelerator '{hw.name}' has {field}={hw_bits}")


def _at_precision(workload: Workload, options: Options) -> Workload:
    update = {}
    if options.weight_precision is not None:
        update["weight_bits"] = PRECISIONS[options.weight_precision][0]
    if options.activation_precision is not None:
        update["activation_bits"] = PRECISIONS[options.activation_precision][0]
    if not update:
        return workload
    return workload.model_copy(update={"model": workload.model.model_copy(update=update)})


def scores_on_chip(kv_length: int, hw: AcceleratorSpec, options: Options) -> bool:
    """Q·Kᵀ scores stay on chip when `rows` full rows of them fit the accumulator and softmax is on-chip."""
    return (options.keep_scores_on_chip and hw.softmax_on == "accelerator"
            and hw.rows * kv_length * hw.accumulator_bits / 8 <= hw.accumulator_bytes)


def _gemm(op: Operator, hw: AcceleratorSpec, options: Options, weight_bits: int, act_bits: int) -> GemmWork:
    a_bits: float = act_bits * min(1.0, op.a_elements / (op.m * op.k * op.instances))  # im2col: the input map
    b_bits: float = weight_bits if op.b_is_weight else act_bits
    k = op.k
    # N:M weight sparsity runs compressed only on a sparse array: K shrinks to K·N/M, each kept weight carries a
    # log2(M)-bit index, and the activations are still read in full (bits scaled by M/N over the shorter K).
    nm = options.sparsity_nm if hw.sparse_support else None
    if nm and op.b_is_weight:
        kept, group = nm
        k = -(-op.k * kept // group)
        a_bits = act_bits * op.k / k
        b_bits = weight_bits + max(1, (group - 1).bit_length())
    on_chip = op.role != AttentionRole.NONE and scores_on_chip(
        op.n if op.role == AttentionRole.SCORES else op.k, hw, options)
    return GemmWork(op, k, a_bits, b_bits, act_bits, a_from_dram=not (op.role == AttentionRole.CONTEXT and on_chip),
                    c_to_dram=not (op.role == AttentionRole.SCORES and on_chip))


@lru_cache(maxsize=512)
def _ops(workload: Workload, kv_cache: bool) -> tuple[Operator, ...]:
    return build_graph(workload, kv_cache=kv_cache).ops


def lower(workload: Workload, hw: AcceleratorSpec, options: Options) -> Lowered:
    """The work of one design point; a number format the array cannot run is a ValueError naming it."""
    model = workload.model
    check_support(hw, options, model.weight_bits, model.activation_bits)
    quality = published_quality(model.name, (_format(options.weight_precision, model.weight_bits)[2],
                                             _format(options.activation_precision, model.activation_bits)[2],
                                             options.sparsity))
    workload = _at_precision(workload, options)
    model = workload.model
    float_activations = _format(options.activation_precision, model.activation_bits)[1] == "float"
    work: list[Work] = []
    for op in _ops(workload, options.kv_cache):
        if op.kind == "gemm":
            work.append(_gemm(op, hw, options, model.weight_bits, model.activation_bits))
            continue
        on_chip = op.role == AttentionRole.PROBABILITIES and scores_on_chip(op.n, hw, options)
        work.append(PointwiseWork(op, fused=options.fuse_nonlinear and op.op_class in FUSABLE,
                                  cnn_fused=bool(op.fusion) and options.fuse_nonlinear, scores_on_chip=on_chip,
                                  float_activations=float_activations, act_bytes=model.activation_bits / 8))
    return Lowered(workload, tuple(work), quality)
