"""Stage 1 of the pipeline: the workload as the accelerator runs it.

Precision options rebuild the model at their widths; each GEMM gets the operand widths the array moves (N:M-
compressed weights with their index bits, an im2col convolution's real input map, a 32-bit output an unfused
non-linear op reads) and where each operand lives: weights and a decoder's KV cache in DRAM; an activation in the
L2 when it fits half of it (the previous op left it there; the other half holds what the op writes), else DRAM;
attention scores on chip when the `attention` group keeps them in the accumulator. The fusion groups
(simulator/fusion.py) are decided here, producer by producer: a group applies when its consumers run on the
accelerator and, for a row-wise one, the mapping can hold whole output rows (asked of simulator/mapping, which
enumerates the tiles but prices nothing); its consumers are then fused. Nothing here prices anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from simulator import fusion
from simulator.fusion import FusionGroup
from simulator.hardware.spec import FUSABLE, AcceleratorSpec, HardwareKey
from simulator.mapping.gemm import GemmCost, MappingError, Source, gemm_costs, gemm_request, whole_rows_refusal
from simulator.options import PRECISIONS, Options
from simulator.quality import PublishedQuality, published_quality
from simulator.workload import Operator, Role, Workload, build_graph
from simulator.workload.footprint import Footprint, footprint


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
    whole_rows: bool = False  # a fused row-wise consumer: output tiles span whole rows
    fusion: str = ""  # the fusion group it produces for, if any
    b_transposed: bool = False  # B is stored N x K (Q·Kᵀ reads K token by token: transpose_B)

    @property
    def repeats(self) -> int:
        return self.op.layer_count * self.op.instances

    def cost(self, hw: AcceleratorSpec, options: Options, hardware_key: HardwareKey | None = None) -> GemmCost:
        """One instance's mapping and cost under the options' mapper and objective (`hardware_key`: as gemm_cost)."""
        found = gemm_costs([self.request(hardware_key or hw.hardware_key(), options)])[0]
        if isinstance(found, MappingError):
            raise found
        return found

    def asked(self) -> tuple:
        """What `request` reads of it (kept in step with it): GEMMs (of any op) with equal ones ask the same mappings
        on any hardware."""
        return (self.op.m, self.k, self.op.n, self.a_bits, self.b_bits, self.out_bits, self.a_source, self.b_source,
                self.c_dest, self.whole_rows, self.b_transposed)

    def request(self, hardware_key: HardwareKey, options: Options) -> tuple:
        """Its mapping's `gemm_request` on that hardware: batch evaluation has many searched at once (gemm_costs)."""
        return gemm_request(self.op.m, self.k, self.op.n, hardware_key, objective=options.mapping_objective,
                            a_bits=self.a_bits, b_bits=self.b_bits, out_bits=self.out_bits, a_source=self.a_source,
                            b_source=self.b_source, c_dest=self.c_dest, tiling=options.tiling, mapper=options.mapper,
                            whole_rows=self.whole_rows, b_transposed=self.b_transposed)


def gemm_requests(works: Sequence[GemmWork], pairs: Sequence[tuple[int, HardwareKey]], options: Options) -> list[tuple]:
    """`works[u].request(key, options)` for each (u, key) of `pairs`: each work's request built once, then its
    hardware key swapped in (a batch asks 100,000s), unless a width of 0 makes it read the key's."""
    templates: dict[int, tuple] = {}
    requests = []
    for u, key in pairs:
        template = templates.get(u)
        if template is None:
            work = works[u]
            request = work.request(key, options)
            if work.a_bits and work.b_bits and work.out_bits:
                templates[u] = request
        else:
            request = (*template[:3], key, *template[4:])
        requests.append(request)
    return requests


@dataclass(frozen=True, slots=True)
class PointwiseWork:
    """One non-GEMM op: a non-linear or element-wise op, fused onto its producer or not."""

    op: Operator
    fused: bool  # on the producing GEMM's accumulator read path (a fusion group applied to its producer)
    cnn_fused: bool  # folded into / fused onto its convolution the way a CNN-tuned Gemmini runs it
    scores_on_chip: bool  # attention softmax over scores that stay in the accumulator (the `attention` group)
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
    fused_groups: str  # the fusion groups applied to at least one op ('none' when none was)
    notes: tuple[str, ...]  # why a fusion group was refused where it was asked for
    footprint: Footprint  # what one device holds (simulator/workload/footprint.py)


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


def _place(tensor_bytes: float, hw: AcceleratorSpec) -> Source:
    """An activation lives in the L2 when it fits half of it, else in DRAM."""
    return "l2" if hw.l2_kib and tensor_bytes <= hw.l2_bytes / 2 else "dram"


def gemm_operands(op: Operator, hw: AcceleratorSpec, options: Options, weight_bits: int,
                  act_bits: int) -> tuple[int, float, float]:
    """(k the array runs, A bits, B bits) of a GEMM: A as the input map under im2col, N:M sparse weights compressed
    on a sparse array. Public because a lone layer (`simulator/layer.py`) prices its operands the same way."""
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
    return k, a_bits, b_bits


def _gemm(op: Operator, consumer: Operator | None, hw: AcceleratorSpec, options: Options, operands: tuple[int, float,
          float], act_bits: int, group: FusionGroup | None, a_on_chip: bool) -> GemmWork:
    k, a_bits, b_bits = operands
    # A GEMM's output stays 32-bit (`gemm_output: accumulator`) when the next op, a non-linear op not fused onto it,
    # reads it; a fused group's result leaves at the activation width.
    keeps_accumulator = (options.gemm_output == "accumulator" and group is None and consumer is not None
                         and consumer.kind != "gemm" and consumer.op_class in FUSABLE)
    out_bits = hw.accumulator_bits if keeps_accumulator else act_bits
    kv_cache = op.phase == "decode" and op.role in (Role.SCORES, Role.CONTEXT)
    a_source: Source = "chip" if a_on_chip else _place(op.m * k * op.instances * a_bits / 8, hw)
    b_source: Source = ("dram" if op.b_is_weight or kv_cache
                        else _place(k * op.n * op.instances * b_bits / 8, hw))
    c_dest: Source = ("chip" if group is not None and group.scores_on_chip
                      else _place(op.m * op.n * op.instances * out_bits / 8, hw))
    return GemmWork(op, k, a_bits, b_bits, out_bits, a_source, b_source, c_dest,
                    whole_rows=group is not None and group.row_wise, fusion=group.name if group else "",
                    b_transposed=op.role == Role.SCORES)


def _pointwise(op: Operator, producer: GemmWork | None, hw: AcceleratorSpec, conv_epilogue: bool,
               float_activations: bool, act_bits: int, group: FusionGroup | None) -> PointwiseWork:
    act_bytes = act_bits / 8
    bytes_read = float(op.bytes_read)
    if producer is not None and producer.out_bits != act_bits:  # the GEMM before it kept its output 32-bit
        bytes_read += op.elements * (producer.out_bits - act_bits) / 8
    tensors_in_l2 = _place(max(bytes_read, op.bytes_written), hw) == "l2"
    return PointwiseWork(op, fused=group is not None,
                         cnn_fused=bool(op.fusion) and conv_epilogue,
                         scores_on_chip=group is not None and group.scores_on_chip,
                         float_activations=float_activations, act_bytes=act_bytes, bytes_read=bytes_read,
                         dram_share=0.0 if tensors_in_l2 else 1.0)


def _consumers(ops: tuple[Operator, ...], position: int, group: FusionGroup) -> list[Operator]:
    """The ops after a producer that a group fuses onto it (they follow it, up to the next GEMM it does not
    include)."""
    found = []
    for op in ops[position + 1:]:
        if op.role in group.consumers:
            found.append(op)
        elif op.kind in ("gemm", "collective"):  # a tensor-parallel all-reduce comes between: nothing fuses past it
            break
    return found


def _refusal(group: FusionGroup, op: Operator, consumers: list[Operator], hw: AcceleratorSpec, options: Options,
             operands: tuple[int, float, float], act_bits: int) -> tuple[str, bool] | None:
    """Why a group cannot apply to this producer, and whether that is a capacity limit (always reported) rather
    than a placement (reported only when the group was named); None when it applies."""
    for consumer in consumers:
        if consumer.kind != "gemm" and hw.placement(consumer.op_class) != "accelerator":
            return f"{group.name} not applied to {op.name}: {consumer.op_class} runs on the host CPU", False
    if not group.row_wise:
        return None
    k, a_bits, b_bits = operands
    why = whole_rows_refusal(op.m, k, op.n, hw, a_bits=a_bits, b_bits=b_bits, out_bits=act_bits,
                             mapper=options.mapper, tiling=options.tiling)
    return (f"{group.name} not applied to {op.name} ({op.phase}): {why}", True) if why else None


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
    act_bits = model.activation_bits
    float_activations = _format(options.activation_precision, model.activation_bits)[1] == "float"
    requested = options.fusion_groups
    named = options.fusion is not None
    ops = _ops(workload, options.kv_cache)
    work: list[Work] = []
    pending: dict[Role, FusionGroup] = {}  # consumers still to come of the group applied to the last producer
    applied: set[str] = set()
    notes: dict[str, None] = {}
    for position, op in enumerate(ops):
        if op.kind == "collective":
            pending.clear()
        if op.kind != "gemm":
            producer = work[-1] if work and isinstance(work[-1], GemmWork) else None
            work.append(_pointwise(op, producer, hw, fusion.CONV_EPILOGUE in requested, float_activations, act_bits,
                                   pending.pop(op.role, None)))
            continue
        a_on_chip = op.role in pending  # A·V reading probabilities the attention group kept on chip
        pending.clear()
        operands = gemm_operands(op, hw, options, model.weight_bits, act_bits)
        group = None
        for candidate in fusion.for_producer(op.role, requested):
            consumers = _consumers(ops, position, candidate)
            refused = _refusal(candidate, op, consumers, hw, options, operands, act_bits)
            if refused is None:
                group = candidate
                break
            reason, capacity = refused
            if named or capacity:
                notes[reason] = None
        consumer = ops[position + 1] if position + 1 < len(ops) else None
        work.append(_gemm(op, consumer, hw, options, operands, act_bits, group, a_on_chip))
        if group is not None:
            pending = dict.fromkeys(group.consumers, group)
            applied.add(group.name)
    if any(isinstance(w, PointwiseWork) and w.cnn_fused for w in work):
        applied.add(fusion.CONV_EPILOGUE)
    return Lowered(workload, tuple(work), quality, fusion.canonical(frozenset(applied)), tuple(notes),
                   footprint(workload, ops, options.kv_cache))
