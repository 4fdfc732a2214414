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

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.catalog import METRICS, OP_CLASSES, PHASES
from simulator.cost.area import area
from simulator.hardware.spec import FUSABLE, AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.lower import GemmWork, Lowered, PointwiseWork, lower
from simulator.mapping.gemm import MappingError
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


_LOWERED: OrderedDict[tuple, Lowered] = OrderedDict()
_LOWERED_MAX = 4096
_LOWERED_LOCK = threading.Lock()


def _lowered(workload: Workload, options: Options, key: tuple, hw: AcceleratorSpec) -> Lowered:
    """`lower` once per (workload, options, lowering key), least recently used out: any accelerator with that key
    stands for the rest (errors are not cached, so a failing point's message names its own accelerator)."""
    cache_key = (workload, options, key)
    with _LOWERED_LOCK:
        found = _LOWERED.get(cache_key)
        if found is not None:
            _LOWERED.move_to_end(cache_key)
            return found
    found = lower(workload, hw, options)
    with _LOWERED_LOCK:
        _LOWERED[cache_key] = found
        while len(_LOWERED) > _LOWERED_MAX:
            _LOWERED.popitem(last=False)
    return found


def lowered_cache_clear() -> None:
    with _LOWERED_LOCK:
        _LOWERED.clear()


def lowering_key(hw: AcceleratorSpec) -> tuple:
    """The accelerator fields `lower` reads (formats, placements, memories, array and timing): points that share it
    share their operator work."""
    return hw.lowering_key()


@dataclass
class _Links:
    """The accelerator fields of a group's points, one array entry per point."""

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
        self.cols = np.array([hw.cols for hw in specs], dtype=float)
        self.has_l2 = np.array([hw.l2_kib > 0 for hw in specs])
        self.analytic = np.array([hw.timing == "analytic" for hw in specs])
        self.host_quantization = np.array([hw.quantization_on == "host_cpu" for hw in specs])
        # points with one hardware key share every GEMM's mapping: price each key once
        keys = [hw.hardware_key() for hw in specs]
        first: dict[tuple, int] = {}
        self.key_index = np.array([first.setdefault(key, len(first)) for key in keys])
        self.key_specs = [specs[keys.index(key)] for key in first]
        self.unique_keys = list(first)
        self._memo: dict[tuple[str, Any], np.ndarray] = {}

    def _memoised(self, key: tuple[str, Any], make: Any) -> np.ndarray:
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = make()
        return found

    def tech(self, name: str) -> np.ndarray:
        return self._memoised(("tech", name), lambda: np.array([getattr(t, name) for t in self.techs]))

    def sram(self, field_name: str) -> np.ndarray:
        """SRAM energy per byte of each point's scratchpad_kib or accumulator_kib."""
        return self._memoised(("sram", field_name), lambda: np.array(
            [t.sram_pj_per_byte(getattr(hw, field_name)) for t, hw in zip(self.techs, self.specs, strict=True)]))

    def on_accelerator(self, op_class: str) -> np.ndarray:
        return self._memoised(("placement", op_class),
                              lambda: np.array([hw.placement(op_class) == "accelerator" for hw in self.specs]))

    def host(self, op_class: str) -> np.ndarray:
        return self._memoised(("host", op_class),
                              lambda: np.array([hw.host_cycles_per_element(op_class) for hw in self.specs]))

    def of(self, name: str) -> np.ndarray:
        return self._memoised(("field", name), lambda: np.array([getattr(hw, name) for hw in self.specs],
                                                                 dtype=float))


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

    def add(self, op_class: str, phase: str, cycles: np.ndarray, macs: Any, dram: Any, compulsory: Any,
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


def _bound(compute: np.ndarray, memory: np.ndarray, on_array: np.ndarray | bool) -> np.ndarray:
    """simulator/cost/operators.py `bound`, as an index into BOUNDS."""
    return np.where(memory > compute, 1, np.where(on_array, 0, 2))


def _memory_cycles(links: _Links, local: np.ndarray | float, dram: np.ndarray | float,
                   dma: bool | np.ndarray = True) -> np.ndarray:
    """simulator/cost/nonlinear.py `memory_cycles` over the points (`dma`: per point, the DMA moves it)."""
    local = np.broadcast_to(np.asarray(local, dtype=float), links.dram_bw.shape)
    bandwidth = np.where(dma, links.local_bw, links.memory_bw)
    latency = np.where(dma, links.local_latency, links.memory_latency)
    time = local / bandwidth
    time = np.where(links.has_l2, np.maximum(time, dram / np.where(dma, links.dram_link_bw, links.dram_bw)), time)
    time = np.where(links.analytic, time, time + latency)
    return np.where(local > 0, time, 0.0)


def _gemm(rows: _Rows, works: list[GemmWork], u_index: np.ndarray, links: _Links, options: Options,
          errors: list[Exception | None]) -> None:
    """One GEMM for every point: each (lowering, hardware key) pair priced once through the mapping cache."""
    op = works[0].op
    codes = u_index * len(links.key_specs) + links.key_index
    unique, inverse = np.unique(codes, return_inverse=True)
    costs: list[Any] = []
    for code in unique:
        work, key = works[code // len(links.key_specs)], code % len(links.key_specs)
        hw = links.key_specs[key]
        try:
            costs.append(work.cost(hw, options, hardware_key=links.unique_keys[key]))
        except MappingError as error:
            costs.append(error)
    failed = np.array([isinstance(c, MappingError) for c in costs])
    for i in np.flatnonzero(failed[inverse]):
        errors[i] = errors[i] or costs[inverse[i]]

    def pick(name: str) -> np.ndarray:
        return np.array([0.0 if bad else getattr(c, name) for c, bad in zip(costs, failed, strict=True)])[inverse]

    times = op.layer_count * op.instances
    dram, macs = pick("dram_bytes"), pick("macs")
    rows.add(op.op_class, op.phase, pick("cycles") * times, macs * times, dram * times,
             pick("compulsory_dram_bytes") * times,
             {"mac": pick("energy_mac_pj") * times * _J_PER_PJ, "sram": pick("energy_sram_pj") * times * _J_PER_PJ,
              "dram": pick("energy_dram_pj") * times * _J_PER_PJ},
             _bound(macs / links.peak, dram / links.dram_bw, True))


def _pointwise(rows: _Rows, works: list[PointwiseWork], u_index: np.ndarray, links: _Links) -> None:
    """simulator/cost/nonlinear.py and cnn_fusion.py for every point, one report row (and a host op's
    de/quantization row); what the lowering decided per point (fused, scores on chip, bytes read, the share that
    misses the L2) is gathered by each point's lowering."""
    first = works[0]
    op, count, points = first.op, first.op.layer_count, len(links.specs)
    gather = lambda name: np.array([getattr(w, name) for w in works], dtype=float)[u_index]  # noqa: E731
    share, bytes_read = gather("dram_share"), gather("bytes_read")
    dram_pj, zero = links.tech("dram_pj_per_byte"), np.zeros(points)
    if first.cnn_fused:  # the same for every point: the options decide it
        if op.fusion in ("folded", "output_path"):
            nl = op.elements * links.tech("nonlinear_pj_per_element_pass") if op.fusion == "output_path" else zero
            rows.add(op.op_class, op.phase, zero, 0.0, zero, zero, {"nonlinear": nl * count * _J_PER_PJ},
                     _bound(zero, zero, True))
            return
        moved = op.elements * first.act_bytes
        dram = moved * share
        compute = op.elements / links.cols
        cycles = np.maximum(compute, _memory_cycles(links, moved, dram))
        parts = {"sram": op.elements * links.of("accumulator_bits") / 8 * 2 * links.sram("accumulator_kib"),
                 "dram": dram * dram_pj}
        rows.add(op.op_class, op.phase, cycles * count, 0.0, dram * count, dram * count,
                 {part: value * count * _J_PER_PJ for part, value in parts.items()},
                 _bound(compute, dram / links.dram_bw, True))
        return
    unfused_moved = bytes_read + op.bytes_written
    if op.op_class not in FUSABLE:  # data movement: a memory-bound copy
        dram = unfused_moved * share
        rows.add(op.op_class, op.phase, _memory_cycles(links, unfused_moved, dram) * count, 0.0, dram * count,
                 dram * count, {"sram": unfused_moved * links.sram("scratchpad_kib") * count * _J_PER_PJ,
                                "dram": dram * dram_pj * count * _J_PER_PJ},
                 _bound(zero, dram / links.dram_bw, False))
        return
    accelerator = links.on_accelerator(op.op_class)
    # on the accelerator's units
    passes = np.where(links.passes > 0, links.passes, links.techs[0].nonlinear_passes[op.op_class])
    lanes = np.where(accelerator, links.lanes, 1.0)  # a host-placed point's lanes are never read
    on_read_path = gather("fused").astype(bool) | gather("scores_on_chip").astype(bool)
    unit_compute = op.elements * np.where(on_read_path, passes - 1, passes) / lanes
    unit_moved = np.where(on_read_path, float(op.elements * first.act_bytes) if op.op_class == "residual" else 0.0,
                          unfused_moved)
    # on the host
    host_compute = op.elements * links.host(op.op_class)
    moved = np.where(accelerator, unit_moved, unfused_moved)
    dram = moved * share
    compute = np.where(accelerator, unit_compute, host_compute)
    cycles = np.maximum(compute, _memory_cycles(links, moved, dram, dma=accelerator))
    host_pj = links.tech("host_pj_per_cycle")
    parts = {"nonlinear": np.where(accelerator, op.elements * passes * links.tech("nonlinear_pj_per_element_pass"),
                                   host_compute * host_pj),
             "sram": np.where(accelerator, op.elements * passes * first.act_bytes * 2 * links.sram("accumulator_kib"),
                              0.0),
             "dram": dram * dram_pj}
    rows.add(op.op_class, op.phase, cycles * count, 0.0, dram * count, dram * count,
             {part: value * count * _J_PER_PJ for part, value in parts.items()},
             _bound(compute, dram / links.dram_bw, False))
    converts = ~accelerator & links.host_quantization & (not first.float_activations)
    if converts.any():
        quant = np.where(converts, op.elements * (op.operands + 1) * links.host("quantization"), 0.0)
        rows.add("quantization", op.phase, quant * count, 0.0, zero, zero,
                 {"nonlinear": quant * host_pj * count * _J_PER_PJ}, _bound(quant, zero, False))


def _group(workload: Workload, options: Options, specs: list[AcceleratorSpec], lowerings: list[Lowered],
           u_index: np.ndarray, errors: list[Exception | None]) -> tuple[dict[str, Any], np.ndarray]:
    """The metrics and breakdowns of the points sharing a workload and options (their lowerings may differ)."""
    points = len(specs)
    links, rows = _Links(specs), _Rows(points)
    for position in range(len(lowerings[0].work)):
        works = [lowered.work[position] for lowered in lowerings]
        if isinstance(works[0], GemmWork):
            _gemm(rows, works, u_index, links, options, errors)
        else:
            _pointwise(rows, works, u_index, links)
    latency_s = rows.cycles / links.clock_hz
    area_mm2 = np.array([area(hw, tech).total_mm2 for hw, tech in zip(specs, links.techs, strict=True)])
    static_w = area_mm2 * links.tech("static_w_per_mm2")
    static_j = static_w * latency_s
    dynamic = rows.energy["mac"] + rows.energy["sram"] + rows.energy["dram"] + rows.energy["nonlinear"]
    energy_j = dynamic + static_j
    safe = np.where(latency_s > 0, latency_s, 1.0)
    out: dict[str, Any] = {
        "latency_cycles": rows.cycles, "latency_s": latency_s,
        "throughput_per_s": np.where(latency_s > 0, workload.scenario.batch / safe, 0.0), "energy_j": energy_j,
        "energy_mac_j": rows.energy["mac"], "energy_sram_j": rows.energy["sram"],
        "energy_dram_j": rows.energy["dram"], "energy_nonlinear_j": rows.energy["nonlinear"],
        "energy_static_j": static_j, "edp_j_s": energy_j * latency_s, "area_mm2": area_mm2,
        "power_w": np.where(latency_s > 0, energy_j / safe, 0.0),
        "utilization": np.where(rows.cycles > 0,
                                rows.macs / (np.where(rows.cycles > 0, rows.cycles, 1.0) * links.peak), 0.0),
        "dram_bytes": rows.dram, "compulsory_dram_bytes": rows.compulsory, "macs": rows.macs,
        "bottleneck": [BOUNDS[i] for i in np.argmax(rows.by_bound, axis=0)],
        "fused_groups": [lowerings[u].fused_groups for u in u_index],
        "quality_loss": [lowerings[0].quality.loss if lowerings[0].quality else None] * points,
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
    groups: dict[tuple[Workload, Options], list[int]] = defaultdict(list)
    for i, (workload, _, options) in enumerate(items):
        groups[(workload, options)].append(i)
    for (workload, options), indices in groups.items():
        lowerings: list[Lowered] = []
        by_key: dict[tuple, int] = {}
        kept, u_index = [], []
        for i in indices:
            hw = items[i][1]
            key = lowering_key(hw)
            if key not in by_key:
                try:
                    lowerings.append(_lowered(workload, options, key, hw))
                except (ValueError, KeyError, ArithmeticError) as error:
                    errors[i] = error  # not cached: the message names this point's own accelerator
                    continue
                by_key[key] = len(lowerings) - 1
            kept.append(i)
            u_index.append(by_key[key])
        if not kept:
            continue
        mine: list[Exception | None] = [None] * len(kept)
        values, parts = _group(lowerings[0].workload, options, [items[i][1] for i in kept], lowerings,
                               np.array(u_index), mine)
        for j, i in enumerate(kept):
            if mine[j] is not None:
                errors[i] = mine[j]
                continue
            for name in names:
                value = values[name][j]
                metrics[name][i] = value.item() if isinstance(value, np.generic) else value
            breakdown[i] = parts[j]
    return BatchResult(metrics, breakdown, errors)
