"""Batch evaluation: the scalar metrics and per-class/per-phase breakdowns of many design points, as arrays.

`evaluate` (simulator/evaluate.py) is the reference: one point, a full `Report` with its operator rows. A sweep needs
only the columns it stores, for thousands of points, so this module takes the same model in bulk:

- points sharing a workload and options are lowered once per *lowering key* (the accelerator fields the lowering
  reads: number formats, placements, memory sizes, array, dataflow, timing, L2), so their operator work is identical;
- each GEMM is priced once per distinct hardware key through the mapping cache (`gemm_cost`), and gathered;
- every non-GEMM op is priced for all points at once with the formulas of simulator/cost/nonlinear.py and
  cnn_fusion.py written over arrays of the fields that vary within the group (bandwidths, latencies, lanes, passes,
  host costs, node, clock);
- totals, bounds, area, static energy and the serving metrics are array expressions of simulator/aggregate.py's.

No per-point pydantic object and no operator row is built. `tests/simulator/test_batch.py` asserts that every metric
and breakdown agrees with `evaluate` on random points of every model family and option.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.catalog import METRICS, OP_CLASSES, PHASES
from simulator.cost.area import area
from simulator.hardware.spec import FUSABLE, AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.lower import GemmWork, Lowered, PointwiseWork, lower
from simulator.mapping.gemm import MappingError, gemm_cost
from simulator.options import Options
from simulator.workload import Workload

BOUNDS = ("compute", "memory", "non-linear")  # the report's order: the first of equal bounds is the bottleneck
QUANTITIES = ("cycles", "energy_j", "dram_bytes")  # the breakdown's quantities (backend/sweeps/breakdown.py)
_CLASS = {name: i for i, name in enumerate(OP_CLASSES)}
_PHASE = {name: len(OP_CLASSES) + i for i, name in enumerate(PHASES)}
_J_PER_PJ = 1e-12


@dataclass
class BatchResult:
    """Per point: every metric of `Report` (catalog order; None where it does not apply or the point failed), the
    breakdown (points, quantities, classes + phases) and the error that stopped a point."""

    metrics: dict[str, list[Any]]
    breakdown: np.ndarray
    errors: list[Exception | None]

    def row(self, i: int) -> dict[str, Any]:
        return {name: values[i] for name, values in self.metrics.items()}


def lowering_key(hw: AcceleratorSpec) -> tuple:
    """The accelerator fields `lower` reads (formats, placements, memories, array and timing): points that share it
    share their operator work."""
    return (hw.array_format, hw.input_bits, hw.weight_bits, hw.accumulator_bits, hw.softmax_on, hw.normalization_on,
            hw.activation_on, hw.residual_on, hw.quantization_on, hw.l2_kib, hw.sparse_support, hw.rows, hw.cols,
            hw.dataflow, hw.timing, hw.scratchpad_kib, hw.accumulator_kib)


@dataclass
class _Links:
    """The fields that vary within a lowering group, one array entry per point."""

    specs: list[AcceleratorSpec]
    dram_bw: np.ndarray = field(init=False)
    local_bw: np.ndarray = field(init=False)
    local_latency: np.ndarray = field(init=False)
    memory_bw: np.ndarray = field(init=False)
    memory_latency: np.ndarray = field(init=False)
    dram_link_bw: np.ndarray = field(init=False)
    lanes: np.ndarray = field(init=False)
    passes: np.ndarray = field(init=False)
    clock_hz: np.ndarray = field(init=False)
    techs: list[Technology] = field(init=False)

    def __post_init__(self) -> None:
        specs = self.specs
        self.dram_bw = np.array([hw.dram_bytes_per_cycle for hw in specs])
        self.local_bw, self.local_latency = (np.array(x, dtype=float) for x in zip(*(hw.local_link for hw in specs),
                                                                                  strict=True))
        self.memory_bw, self.memory_latency = (np.array(x, dtype=float) for x in zip(*(hw.memory_link for hw in specs),
                                                                                    strict=True))
        self.dram_link_bw = np.array([hw.dram_link_bytes_per_cycle for hw in specs])
        self.lanes = np.array([hw.nonlinear_elements_per_cycle for hw in specs])
        self.passes = np.array([hw.nonlinear_passes for hw in specs])
        self.clock_hz = np.array([hw.clock_ghz * 1e9 for hw in specs])
        self.techs = [Technology.at(hw.technology_nm) for hw in specs]
        self.peak = np.array([hw.peak_macs_per_cycle for hw in specs], dtype=float)
        # points with one hardware key share every GEMM's mapping: price each key once
        keys = [hw.hardware_key() for hw in specs]
        first: dict[tuple, int] = {}
        self.key_index = np.array([first.setdefault(key, len(first)) for key in keys])
        self.key_specs = [specs[keys.index(key)] for key in first]
        self._memo: dict[tuple[str, Any], np.ndarray] = {}

    def _memoised(self, key: tuple[str, Any], make: Any) -> np.ndarray:
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = make()
        return found

    def tech(self, name: str) -> np.ndarray:
        return self._memoised(("tech", name), lambda: np.array([getattr(t, name) for t in self.techs]))

    def sram(self, kib: float) -> np.ndarray:
        return self._memoised(("sram", kib), lambda: np.array([t.sram_pj_per_byte(kib) for t in self.techs]))

    def host(self, op_class: str) -> np.ndarray:
        return self._memoised(("host", op_class),
                              lambda: np.array([hw.host_cycles_per_element(op_class) for hw in self.specs]))


@dataclass
class _Rows:
    """Per-op quantities of the group's points, summed as they arrive: totals, bounds, breakdown, decode phase."""

    points: int
    cycles: np.ndarray = field(init=False)
    macs: np.ndarray = field(init=False)
    dram: np.ndarray = field(init=False)
    compulsory: np.ndarray = field(init=False)
    energy: dict[str, np.ndarray] = field(init=False)  # mac, sram, dram, nonlinear (J)
    by_bound: np.ndarray = field(init=False)
    breakdown: np.ndarray = field(init=False)
    decode_cycles: np.ndarray = field(init=False)
    decode_energy: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        zeros = lambda: np.zeros(self.points)  # noqa: E731
        self.cycles, self.macs, self.dram, self.compulsory = zeros(), zeros(), zeros(), zeros()
        self.energy = {part: zeros() for part in ("mac", "sram", "dram", "nonlinear")}
        self.by_bound = np.zeros((len(BOUNDS), self.points))
        self.breakdown = np.zeros((self.points, len(QUANTITIES), len(OP_CLASSES) + len(PHASES)))
        self.decode_cycles, self.decode_energy = zeros(), zeros()

    def add(self, op_class: str, phase: str, cycles: np.ndarray, macs: Any, dram: np.ndarray, compulsory: np.ndarray,
            energy: dict[str, Any], bound: np.ndarray) -> None:
        """One report row for every point (`bound`: index into BOUNDS per point)."""
        self.cycles += cycles
        self.macs += macs
        self.dram += dram
        self.compulsory += compulsory
        total_energy = 0.0
        for part, value in energy.items():
            self.energy[part] += value
            total_energy = total_energy + value
        for b in range(len(BOUNDS)):
            self.by_bound[b] += np.where(bound == b, cycles, 0.0)
        for q, value in enumerate((cycles, total_energy, dram)):
            self.breakdown[:, q, _CLASS[op_class]] += value
            self.breakdown[:, q, _PHASE[phase]] += value
        if phase == "decode":
            self.decode_cycles += cycles
            self.decode_energy += total_energy


def _bound(compute: np.ndarray, memory: np.ndarray, on_array: bool) -> np.ndarray:
    """simulator/cost/operators.py `bound`, as an index into BOUNDS."""
    return np.where(memory > compute, 1, 0 if on_array else 2)


def _memory_cycles(links: _Links, timing: str, l2: bool, local: np.ndarray | float, dram: np.ndarray | float,
                   dma: bool = True) -> np.ndarray:
    """simulator/cost/nonlinear.py `memory_cycles` over the points."""
    local = np.broadcast_to(np.asarray(local, dtype=float), links.dram_bw.shape)
    bandwidth, latency = (links.local_bw, links.local_latency) if dma else (links.memory_bw, links.memory_latency)
    time = local / bandwidth
    if l2:
        time = np.maximum(time, dram / (links.dram_link_bw if dma else links.dram_bw))
    if timing != "analytic":
        time = time + latency
    return np.where(local > 0, time, 0.0)


def _gemm(rows: _Rows, work: GemmWork, links: _Links, options: Options, errors: list[Exception | None]) -> None:
    op, times = work.op, work.repeats
    costs: list[Any] = []
    for hw in links.key_specs:
        try:
            costs.append(gemm_cost(op.m, work.k, op.n, hw, objective=options.mapping_objective, a_bits=work.a_bits,
                                   b_bits=work.b_bits, out_bits=work.out_bits, a_source=work.a_source,
                                   b_source=work.b_source, c_dest=work.c_dest, tiling=options.tiling,
                                   mapper=options.mapper, whole_rows=work.whole_rows))
        except MappingError as error:
            costs.append(error)
    failed = [isinstance(c, MappingError) for c in costs]
    for i, key in enumerate(links.key_index):
        if failed[key]:
            errors[i] = errors[i] or costs[key]
    if all(failed):
        return
    macs = next(c for c in costs if not isinstance(c, MappingError)).macs

    def pick(name: str) -> np.ndarray:
        values = np.array([0.0 if bad else getattr(c, name) for c, bad in zip(costs, failed, strict=True)])
        return values[links.key_index]

    dram = pick("dram_bytes")
    rows.add(op.op_class, op.phase, pick("cycles") * times, macs * times, dram * times,
             pick("compulsory_dram_bytes") * times,
             {"mac": pick("energy_mac_pj") * times * _J_PER_PJ, "sram": pick("energy_sram_pj") * times * _J_PER_PJ,
              "dram": pick("energy_dram_pj") * times * _J_PER_PJ},
             _bound(macs / links.peak, dram / links.dram_bw, True))


def _pointwise(rows: _Rows, work: PointwiseWork, hw0: AcceleratorSpec, links: _Links) -> None:
    """simulator/cost/nonlinear.py and cnn_fusion.py, one report row (or two: a host op's de/quantization)."""
    op, count = work.op, work.op.layer_count
    l2, timing = hw0.l2_kib > 0, hw0.timing
    dram_pj = links.tech("dram_pj_per_byte")
    sram = links.sram
    on_array = False
    if work.cnn_fused:
        if op.fusion == "folded":
            zero = np.zeros(len(links.specs))
            rows.add(op.op_class, op.phase, zero, 0.0, zero, zero, {}, _bound(zero, zero, True))
            return
        if op.fusion == "output_path":
            zero = np.zeros(len(links.specs))
            nl = op.elements * links.tech("nonlinear_pj_per_element_pass")
            rows.add(op.op_class, op.phase, zero, 0.0, zero, zero, {"nonlinear": nl * count * _J_PER_PJ},
                     _bound(zero, zero, True))
            return
        moved = op.elements * work.act_bytes
        dram = moved * work.dram_share
        memory = _memory_cycles(links, timing, l2, moved, dram)
        compute = np.full(len(links.specs), op.elements / hw0.cols)
        cycles = np.maximum(compute, memory)
        parts = {"sram": op.elements * hw0.accumulator_bits / 8 * 2 * sram(hw0.accumulator_kib),
                 "dram": dram * dram_pj, "nonlinear": 0.0}
        dram_arr, on_array, nl_rows = np.full(len(links.specs), dram), True, None
    elif op.op_class not in FUSABLE:
        moved = float(work.bytes_read + op.bytes_written)
        dram = moved * work.dram_share
        cycles = _memory_cycles(links, timing, l2, moved, dram)
        compute = np.zeros(len(links.specs))
        parts = {"sram": moved * sram(hw0.scratchpad_kib), "dram": dram * dram_pj, "nonlinear": 0.0}
        dram_arr, nl_rows = np.full(len(links.specs), dram), None
    elif hw0.placement(op.op_class) == "accelerator":
        passes = np.where(links.passes > 0, links.passes, links.techs[0].nonlinear_passes[op.op_class])
        if work.fused or work.scores_on_chip:
            compute = op.elements * (passes - 1) / links.lanes
            moved = float(op.elements * work.act_bytes) if op.op_class == "residual" else 0.0
        else:
            compute = op.elements * passes / links.lanes
            moved = float(work.bytes_read + op.bytes_written)
        dram = moved * work.dram_share
        cycles = np.maximum(compute, _memory_cycles(links, timing, l2, moved, dram))
        parts = {"nonlinear": op.elements * passes * links.tech("nonlinear_pj_per_element_pass"),
                 "sram": op.elements * passes * work.act_bytes * 2 * sram(hw0.accumulator_kib), "dram": dram * dram_pj}
        dram_arr, nl_rows = np.full(len(links.specs), dram), None
    else:  # the host CPU
        moved = float(work.bytes_read + op.bytes_written)
        dram = moved * work.dram_share
        compute = op.elements * links.host(op.op_class)
        cycles = np.maximum(compute, _memory_cycles(links, timing, l2, moved, dram, dma=False))
        host_pj = links.tech("host_pj_per_cycle")
        parts = {"nonlinear": compute * host_pj, "sram": 0.0, "dram": dram * dram_pj}
        dram_arr = np.full(len(links.specs), dram)
        nl_rows = None
        if hw0.quantization_on == "host_cpu" and not work.float_activations:
            quant = op.elements * (op.operands + 1) * links.host("quantization")
            nl_rows = (quant, quant * host_pj)
    memory = dram_arr / links.dram_bw
    rows.add(op.op_class, op.phase, cycles * count, 0.0, dram_arr * count, dram_arr * count,
             {part: np.asarray(value) * count * _J_PER_PJ for part, value in parts.items()},
             _bound(compute, memory, on_array))
    if nl_rows is not None:
        quant, quant_pj = nl_rows
        zero = np.zeros(len(links.specs))
        rows.add("quantization", op.phase, quant * count, 0.0, zero, zero, {"nonlinear": quant_pj * count * _J_PER_PJ},
                 _bound(quant, zero, False))


def _group(workload: Workload, options: Options, specs: list[AcceleratorSpec], lowered: Lowered,
           errors: list[Exception | None]) -> tuple[dict[str, np.ndarray | list[Any]], np.ndarray]:
    """The metrics and breakdowns of points sharing a workload, options and lowering key."""
    points = len(specs)
    links, rows = _Links(specs), _Rows(points)
    for work in lowered.work:
        if isinstance(work, GemmWork):
            _gemm(rows, work, links, options, errors)
        else:
            _pointwise(rows, work, specs[0], links)
    latency_s = rows.cycles / links.clock_hz
    parts = [area(hw, tech) for hw, tech in zip(specs, links.techs, strict=True)]
    area_mm2 = np.array([p.total_mm2 for p in parts])
    static_w = area_mm2 * links.tech("static_w_per_mm2")
    static_j = static_w * latency_s
    dynamic = rows.energy["mac"] + rows.energy["sram"] + rows.energy["dram"] + rows.energy["nonlinear"]
    energy_j = dynamic + static_j
    safe = np.where(latency_s > 0, latency_s, 1.0)
    peak = links.peak
    out: dict[str, np.ndarray | list[Any]] = {
        "latency_cycles": rows.cycles, "latency_s": latency_s,
        "throughput_per_s": np.where(latency_s > 0, workload.scenario.batch / safe, 0.0), "energy_j": energy_j,
        "energy_mac_j": rows.energy["mac"], "energy_sram_j": rows.energy["sram"],
        "energy_dram_j": rows.energy["dram"], "energy_nonlinear_j": rows.energy["nonlinear"],
        "energy_static_j": static_j, "edp_j_s": energy_j * latency_s, "area_mm2": area_mm2,
        "power_w": np.where(latency_s > 0, energy_j / safe, 0.0),
        "utilization": np.where(rows.cycles > 0, rows.macs / (np.where(rows.cycles > 0, rows.cycles, 1.0) * peak), 0.0),
        "dram_bytes": rows.dram, "compulsory_dram_bytes": rows.compulsory, "macs": rows.macs,
        "bottleneck": [BOUNDS[i] for i in np.argmax(rows.by_bound, axis=0)],
        "fused_groups": [lowered.fused_groups] * points,
        "quality_loss": [lowered.quality.loss if lowered.quality else None] * points,
    }
    out.update(_serving(workload, rows, links.clock_hz, static_w, points))
    return out, rows.breakdown


def _serving(workload: Workload, rows: _Rows, clock_hz: np.ndarray, static_w: np.ndarray,
             points: int) -> dict[str, list[Any]]:
    """simulator/aggregate.py `Serving` over the points."""
    names = ("ttft_s", "tpot_s", "decode_tokens_per_s", "decode_energy_per_token_j")
    if workload.model.family not in ("decoder", "encoder-decoder"):
        return {name: [None] * points for name in names}
    before_s = (rows.cycles - rows.decode_cycles) / clock_hz
    steps = workload.generate_len
    if not steps:
        return {"ttft_s": list(before_s), **{name: [None] * points for name in names[1:]}}
    decode_s = rows.decode_cycles / clock_hz
    tokens = workload.scenario.batch * steps
    tpot_s = decode_s / steps
    return {"ttft_s": list(np.where(before_s > 0, before_s, tpot_s)), "tpot_s": list(tpot_s),
            "decode_tokens_per_s": [tokens / d if d else None for d in decode_s],
            "decode_energy_per_token_j": list((rows.decode_energy + static_w * decode_s) / tokens)}


def evaluate_batch(items: Sequence[tuple[Workload, AcceleratorSpec, Options]]) -> BatchResult:
    """The metrics and breakdowns of many design points (see the module's docstring); a point that cannot run has
    its error and no metrics, as `evaluate` would raise it."""
    total = len(items)
    names = [entry.name for entry in METRICS]
    metrics: dict[str, list[Any]] = {name: [None] * total for name in names}
    breakdown = np.zeros((total, len(QUANTITIES), len(OP_CLASSES) + len(PHASES)))
    errors: list[Exception | None] = [None] * total
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, (workload, hw, options) in enumerate(items):
        groups[(workload, options, lowering_key(hw))].append(i)
    for (workload, options, _), indices in groups.items():
        try:
            lowered = lower(workload, items[indices[0]][1], options)
        except (ValueError, KeyError, ArithmeticError):
            for i in indices:  # the message names each point's own accelerator
                try:
                    lower(workload, items[i][1], options)
                except (ValueError, KeyError, ArithmeticError) as error:
                    errors[i] = error
            continue
        specs = [items[i][1] for i in indices]
        mine: list[Exception | None] = [None] * len(indices)
        values, parts = _group(lowered.workload, options, specs, lowered, mine)
        for j, i in enumerate(indices):
            if mine[j] is not None:
                errors[i] = mine[j]
                continue
            for name in names:
                value = values[name][j]
                metrics[name][i] = value.item() if isinstance(value, np.generic) else value
            breakdown[i] = parts[j]
    return BatchResult(metrics, breakdown, errors)
