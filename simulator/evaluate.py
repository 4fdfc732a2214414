"""The pipeline: workload -> operator graph -> per-op cost (GEMM mapping search or non-linear cost) -> Report.

Ops run one after another (the host and the accelerator do not overlap, as in the survey's Gemmini baseline);
an op's latency is its cost times its `layer_count`. Energy adds static power (leakage x area) over the latency.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from simulator.cost.area import area
from simulator.cost.cnn_fusion import cnn_fused_cost
from simulator.cost.nonlinear import FUSABLE, nonlinear_cost
from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.mapping.gemm import gemm_cost
from simulator.options import PRECISIONS, Options
from simulator.quality import published_quality
from simulator.report import OpReport, Report
from simulator.workload import Operator, Workload, build_graph

_PJ = 1e-12


@lru_cache(maxsize=512)
def _ops(workload: Workload, kv_cache: bool = True) -> tuple[Operator, ...]:
    return build_graph(workload, kv_cache=kv_cache).ops


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


def _apply_precision(workload: Workload, options: Options) -> Workload:
    if options.weight_precision is None and options.activation_precision is None:
        return workload
    model = workload.model
    update = {}
    if options.weight_precision is not None:
        update["weight_bits"] = PRECISIONS[options.weight_precision][0]
    if options.activation_precision is not None:
        update["activation_bits"] = PRECISIONS[options.activation_precision][0]
    return workload.model_copy(update={"model": model.model_copy(update=update)})


def _im2col_fraction(op: Operator, weight_bits: int) -> float:
    """Share of the im2col matrix (M x K) that is distinct input-map data.

    Gemmini lowers a convolution on chip (its im2col path expands the input feature map as it feeds the
    array), so the DMA moves the input map, not the k^2-times larger im2col matrix. Charging the A operand
    at this fraction of its width makes both its DRAM traffic and its scratchpad footprint those of the real
    input map; strided 1x1 convolutions touch only part of the map, so the fraction never exceeds 1.
    """
    input_bytes = op.bytes_read - -(-op.k * op.n * weight_bits // 8)
    im2col_bytes = op.m * op.k * (op.bytes_written / max(op.m * op.n, 1))
    return min(1.0, max(input_bytes, 1) / max(im2col_bytes, 1))


def _scores_fit(op: Operator, hw: AcceleratorSpec, options: Options) -> bool:
    """Q.K^T scores stay on chip when `rows` full rows of them fit the accumulator and softmax is on-chip."""
    return (options.keep_scores_on_chip and hw.softmax_on == "accelerator"
            and hw.rows * op.n * hw.accumulator_bits / 8 <= hw.accumulator_bytes)


def evaluate(workload: Workload, accelerator: AcceleratorSpec, options: Options | None = None) -> Report:
    """Evaluate one design point."""
    options = options or Options()
    hw = accelerator
    check_support(hw, options, workload.model.weight_bits, workload.model.activation_bits)
    quality = published_quality(workload.model.name, (
        _format(options.weight_precision, workload.model.weight_bits)[2],
        _format(options.activation_precision, workload.model.activation_bits)[2], options.sparsity))
    workload = _apply_precision(workload, options)
    tech = Technology.at(hw.technology_nm)
    model = workload.model
    act_bits, act_bytes = model.activation_bits, model.activation_bits / 8
    float_activations = _format(options.activation_precision, act_bits)[1] == "float"
    # N:M weight sparsity runs compressed only on a sparse array: K shrinks to K·N/M, each kept weight carries a
    # log2(M)-bit index, and the activations are still read in full (bits scaled by M/N over the shorter K).
    nm = options.sparsity_nm if hw.sparse_support else None
    rows: list[OpReport] = []
    totals = {"cycles": 0.0, "mac": 0.0, "sram": 0.0, "dram": 0.0, "nl": 0.0, "dram_bytes": 0.0, "macs": 0.0}
    by_bound = {"compute": 0.0, "memory": 0.0, "non-linear": 0.0}
    by_class: dict[str, float] = {}
    scores_on_chip = False
    for op in _ops(workload, options.kv_cache):
        count = op.layer_count
        if op.kind == "gemm":
            is_qk, is_av = op.name.endswith("qk_matmul"), op.name.endswith("av_matmul")
            if is_qk:
                scores_on_chip = _scores_fit(op, hw, options)
            k, a_bits, b_bits = op.k, act_bits, model.weight_bits if op.b_is_weight else act_bits
            if op.op_class == "convolution":
                a_bits = act_bits * _im2col_fraction(op, model.weight_bits)
            if nm and op.b_is_weight:
                kept, group = nm
                k = -(-op.k * kept // group)
                a_bits = act_bits * op.k / k
                b_bits = model.weight_bits + max(1, (group - 1).bit_length())
            cost = gemm_cost(op.m, k, op.n, hw, objective=options.mapping_objective, a_bits=a_bits,
                             b_bits=b_bits, out_bits=act_bits,
                             a_from_dram=not (is_av and scores_on_chip), c_to_dram=not (is_qk and scores_on_chip))
            times = count * op.instances
            cycles = cost.cycles * times
            dram = cost.dram_bytes * times
            energy = cost.energy_pj * times
            totals["mac"] += cost.energy_mac_pj * times
            totals["sram"] += cost.energy_sram_pj * times
            totals["dram"] += cost.energy_dram_pj * times
            totals["macs"] += cost.macs * times
            bound = "memory" if cost.stall_cycles > cost.compute_cycles else "compute"
            rows.append(OpReport(
                name=op.name, kind=op.kind, op_class=op.op_class, phase=op.phase, count=count,
                shape=f"{op.m}x{op.k}x{op.n}" + (f" x{op.instances}" if op.instances > 1 else ""),
                flops=float(op.flops * count) * k / op.k, dram_bytes=dram, cycles=cycles,  # sparse: kept K only
                compute_cycles=cost.compute_cycles * times,
                energy_j=energy * _PJ, utilization=cost.utilization, where="accelerator",
                mapping=cost.mapping.describe(), bound=bound))
            _add(totals, by_bound, by_class, op.op_class, bound, cycles, dram)
            continue
        fused = options.fuse_nonlinear and op.op_class in FUSABLE
        on_chip = scores_on_chip and op.op_class == "softmax"
        operands = max(1, round(op.bytes_read / max(op.bytes_written, 1)))
        parts = ([cnn_fused_cost(op.op_class, op.fusion, op.elements, act_bytes, hw, tech)]  # CNN: see cnn_fusion
                 if op.fusion and options.fuse_nonlinear else
                 nonlinear_cost(op.op_class, op.elements, op.bytes_read, op.bytes_written, operands, act_bytes,
                                hw, tech, fused=fused, scores_on_chip=on_chip, float_activations=float_activations))
        for part in parts:
            cycles, dram = part.cycles * count, part.dram_bytes * count
            energy = (part.energy_nonlinear_pj + part.energy_sram_pj + part.energy_dram_pj) * count
            totals["nl"] += part.energy_nonlinear_pj * count
            totals["sram"] += part.energy_sram_pj * count
            totals["dram"] += part.energy_dram_pj * count
            quant = part.op_class == "quantization"
            rows.append(OpReport(
                name=f"{op.name}.requantize" if quant else op.name, kind=op.kind, op_class=part.op_class,
                phase=op.phase, count=count, shape=f"{op.m}x{op.n}", flops=0.0 if quant else float(op.flops * count),
                dram_bytes=dram, cycles=cycles, compute_cycles=part.compute_cycles * count, energy_j=energy * _PJ,
                utilization=0.0, where=part.where, mapping="", bound=part.bound))
            _add(totals, by_bound, by_class, part.op_class, part.bound, cycles, dram)

    latency_cycles = totals["cycles"]
    latency_s = latency_cycles / (hw.clock_ghz * 1e9)
    area_parts = area(hw, tech)
    area_mm2 = area_parts.total_mm2
    static_j = area_mm2 * tech.static_w_per_mm2 * latency_s
    dynamic_j = (totals["mac"] + totals["sram"] + totals["dram"] + totals["nl"]) * _PJ
    energy_j = dynamic_j + static_j
    return Report(
        model=model.name, accelerator=hw.name, latency_cycles=latency_cycles, latency_s=latency_s,
        throughput_per_s=workload.scenario.batch / latency_s if latency_s else 0.0,
        energy_j=energy_j, energy_mac_j=totals["mac"] * _PJ, energy_sram_j=totals["sram"] * _PJ,
        energy_dram_j=totals["dram"] * _PJ, energy_nonlinear_j=totals["nl"] * _PJ, energy_static_j=static_j,
        edp_j_s=energy_j * latency_s, area_mm2=area_mm2, power_w=energy_j / latency_s if latency_s else 0.0,
        utilization=totals["macs"] / (latency_cycles * hw.peak_macs_per_cycle) if latency_cycles else 0.0,
        dram_bytes=totals["dram_bytes"], macs=totals["macs"], bottleneck=max(by_bound, key=by_bound.__getitem__),
        cycles_by_class=by_class,
        area_breakdown_mm2={"pe_array": area_parts.pe_array_mm2, "scratchpad": area_parts.scratchpad_mm2,
                            "accumulator": area_parts.accumulator_mm2, "nonlinear": area_parts.nonlinear_mm2,
                            "fixed": area_parts.fixed_mm2},
        ops=rows, quality_loss=quality.loss if quality else None, quality_source=quality.source if quality else None)


def _add(totals: dict[str, float], by_bound: dict[str, float], by_class: dict[str, float], op_class: str,
         bound: str, cycles: float, dram: float) -> None:
    totals["cycles"] += cycles
    totals["dram_bytes"] += dram
    by_bound[bound] += cycles
    by_class[op_class] = by_class.get(op_class, 0.0) + cycles


def evaluate_batch(items: Sequence[tuple[Workload, AcceleratorSpec, Options]]) -> list[Report]:
    """Evaluate many design points; they share the operator-graph and GEMM-mapping caches, so a sweep that
    varies one axis re-searches only the GEMM shapes whose hardware key changed."""
    return [evaluate(workload, accelerator, options) for workload, accelerator, options in items]
