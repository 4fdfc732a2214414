"""Stage 1 of the pipeline: the workload as the accelerator runs it.

Precision options rebuild the model at their widths; each GEMM gets the operand widths the array moves (N:M-
compressed weights with their index bits, an im2col convolution's real input map, a 32-bit output an unfused
non-linear op reads) and where each operand lives: weights and a decoder's KV cache in DRAM; an activation in the
L2 when it fits half of it (the previous op left it there; the other half holds what the op writes), else DRAM;
attention scores on chip when they stay in the accumulator. Each point-wise op says whether it is fused and what
share of its traffic misses the L2. Nothing here prices anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from simulator.hardware.spec import FUSABLE, AcceleratorSpec
from simulator.mapping.gemm import Source
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
    out_bits: int  # the activation width, or the accumulator's when an unfused non-linear op reads the output
    a_source: Source
    b_source: Source
    c_dest: Source

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
    bytes_read: float  # the op's inputs, its producer's output at accumulator width when the GEMM kept it
    dram_share: float  # the part of its traffic that misses the L2 (1 without one)


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


def _place(tensor_bytes: float, hw: AcceleratorSpec) -> Source:
    """An activation lives in the L2 when it fits half of it, else in DRAM."""
    return "l2" if hw.l2_kib and tensor_bytes <= hw.l2_bytes / 2 else "dram"


def _keeps_accumulator_width(op: Operator, consumer: Operator | None, hw: AcceleratorSpec, options: Options) -> bool:
    """A GEMM's output stays 32-bit (`gemm_output: accumulator`) when the next op, a non-linear op that is not fused
    onto it, reads it."""
    if options.gemm_output != "accumulator" or consumer is None or consumer.kind == "gemm":
        return False
    fused = (options.fuse_nonlinear and consumer.op_class in FUSABLE
             and hw.placement(consumer.op_class) == "accelerator") or bool(consumer.fusion and options.fuse_nonlinear)
    return consumer.op_class in FUSABLE and not fused


def _gemm(op: Operator, consumer: Operator | None, hw: AcceleratorSpec, options: Options, weight_bits: int,
          act_bits: int) -> GemmWork:
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
    out_bits = hw.accumulator_bits if _keeps_accumulator_width(op, consumer, hw, options) else act_bits
    on_chip = op.role != AttentionRole.NONE and scores_on_chip(
        op.n if op.role == AttentionRole.SCORES else op.k, hw, options)
    kv_cache = op.phase == "decode" and op.role != AttentionRole.NONE
    a_source: Source = ("chip" if op.role == AttentionRole.CONTEXT and on_chip
                        else _place(op.m * k * op.instances * a_bits / 8, hw))
    b_source: Source = ("dram" if op.b_is_weight or kv_cache
                        else _place(k * op.n * op.instances * b_bits / 8, hw))
    c_dest: Source = ("chip" if op.role == AttentionRole.SCORES and on_chip
                      else _place(op.m * op.n * op.instances * out_bits / 8, hw))
    return GemmWork(op, k, a_bits, b_bits, out_bits, a_source, b_source, c_dest)


def _pointwise(op: Operator, producer: GemmWork | None, hw: AcceleratorSpec, options: Options,
               float_activations: bool, act_bits: int, scores_fit: bool) -> PointwiseWork:
    act_bytes = act_bits / 8
    bytes_read = float(op.bytes_read)
    if producer is not None and producer.out_bits != act_bits:  # the GEMM before it kept its output 32-bit
        bytes_read += op.elements * (producer.out_bits - act_bits) / 8
    tensors_in_l2 = _place(max(bytes_read, op.bytes_written), hw) == "l2"
    return PointwiseWork(op, fused=options.fuse_nonlinear and op.op_class in FUSABLE,
                         cnn_fused=bool(op.fusion) and options.fuse_nonlinear, scores_on_chip=scores_fit,
                         float_activations=float_activations, act_bytes=act_bytes, bytes_read=bytes_read,
                         dram_share=0.0 if tensors_in_l2 else 1.0)


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
    ops = _ops(workload, options.kv_cache)
    work: list[Work] = []
    for position, op in enumerate(ops):
        if op.kind == "gemm":
            consumer = ops[position + 1] if position + 1 < len(ops) else None
            work.append(_gemm(op, consumer, hw, options, model.weight_bits, model.activation_bits))
            continue
        producer = work[-1] if work and isinstance(work[-1], GemmWork) else None
        on_chip = op.role == AttentionRole.PROBABILITIES and scores_on_chip(op.n, hw, options)
        work.append(_pointwise(op, producer, hw, options, float_activations, model.activation_bits, on_chip))
    return Lowered(workload, tuple(work), quality)
