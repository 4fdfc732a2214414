"""Batch evaluation: the scalar metrics and per-class/per-phase breakdowns of many design points, as arrays.

The cost model's formulas are written once over arrays of the accelerators' fields (simulator/cost/columns.py):
`evaluate` (simulator/evaluate.py) runs them on one point and also builds the report's operator rows;
`evaluate_batch` runs them on many points, and this module only groups and gathers:

- points sharing a workload and options are lowered once per *lowering key* (the accelerator fields the lowering
  reads: number formats, placements, memory sizes, array, dataflow, timing, L2), so their operator work is identical;
- each GEMM is priced once per distinct (lowering, hardware key) pair through the mapping cache (`gemm_cost`), and
  each point's mapping gathered into one row (simulator/cost/operators.py `gemm_row`);
- every other op is priced for all points of the group at once (`pointwise_rows`), each point reading its own
  lowering's decisions; the rows are summed and aggregated (simulator/aggregate.py `Sums`, `metrics`).

No per-point pydantic object and no operator row is built. `tests/simulator/test_batch.py` asserts that every metric
and breakdown agrees with `evaluate` on random points drawn over every accelerator, option and scenario field.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.aggregate import QUANTITIES, Facts, Sums, capacity_error, metrics
from simulator.catalog import METRICS, OP_CLASSES, PHASES
from simulator.cost.columns import Columns
from simulator.cost.operators import Band, OpCost, gemm_row, pointwise_rows
from simulator.hardware.spec import AcceleratorSpec, HardwareKey
from simulator.lower import GemmWork, Lowered, PointwiseWork, gemm_requests, lower
from simulator.mapping.gemm import GemmCost, MappingError, gemm_costs
from simulator.measured import measured_bands
from simulator.options import Options
from simulator.workload import Workload

__all__ = ["QUANTITIES", "BatchResult", "evaluate_batch", "lowered_cache_clear", "lowering_key"]


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


@dataclass(frozen=True, slots=True)
class _Mappings:
    """Per point of a group, which distinct hardware key it has: points with one key share every GEMM's mapping."""

    index: np.ndarray
    keys: list[HardwareKey]

    @classmethod
    def of(cls, specs: list[AcceleratorSpec]) -> _Mappings:
        first: dict[HardwareKey, int] = {}
        index = np.array([first.setdefault(hw.hardware_key(), len(first)) for hw in specs])
        return cls(index, list(first))


def _pairs(u_index: np.ndarray, mappings: _Mappings) -> tuple[list[tuple[int, HardwareKey]], np.ndarray]:
    """The distinct (lowering, hardware key) pairs of a group, and each point's pair: each GEMM is searched once
    per pair."""
    keys = len(mappings.keys)
    unique, inverse = np.unique(u_index * keys + mappings.index, return_inverse=True)
    return [(code // keys, mappings.keys[code % keys]) for code in unique.tolist()], inverse


def _found(found: list[GemmCost | MappingError], pairs: list[tuple[int, HardwareKey]], works: list[GemmWork],
           options: Options, inverse: np.ndarray,
           errors: list[Exception | None]) -> tuple[list[GemmCost | None], list[Band | None]]:
    """The pairs' mappings (None where a pair has none: its points fail with the search's error) and their cycles and
    band on the measured model where the rule says so (simulator/measured.py)."""
    costs: list[GemmCost | None] = []
    bands: list[Band | None] = []
    measured = measured_bands([(works[u], key) for u, key in pairs], options.mapper)
    for pair, (cost, band) in enumerate(zip(found, measured, strict=True)):
        failed: Exception | None = cost if isinstance(cost, MappingError) else None
        if isinstance(band, ValueError):  # as `evaluate`: after its mapping's error, if any
            failed, band = failed or band, None
        if failed is not None:
            for i in np.flatnonzero(inverse == pair):
                errors[i] = errors[i] or failed
        costs.append(None if isinstance(cost, MappingError) else cost)
        bands.append(band)
    return costs, bands


def _rows(lowerings: list[Lowered], options: Options, hw: Columns, u_index: np.ndarray,
          errors: list[Exception | None]) -> Iterator[OpCost]:
    """Every op's row at every point of a group, as it is priced (the rows of many points are not all held). The
    mappings of all the group's GEMMs are asked of the search at once: it prices those sharing everything but their
    shape, array size, links and node in one vectorized pass; GEMMs that ask the same at every lowering (a layer's
    projections of one shape) are asked once."""
    pairs, pick = _pairs(u_index, _Mappings.of(hw.specs))
    works = [[lowered.work[position] for lowered in lowerings] for position in range(len(lowerings[0].work))]
    gemms = {position: [w for w in at if isinstance(w, GemmWork)] for position, at in enumerate(works)
             if isinstance(at[0], GemmWork)}
    asks = {position: tuple(work.asked() for work in at) for position, at in gemms.items()}
    distinct = {ask: gemms[position] for position, ask in asks.items()}  # works asking alike: any stands for all
    starts = {ask: j * len(pairs) for j, ask in enumerate(distinct)}
    found = gemm_costs([request for at in distinct.values() for request in gemm_requests(at, pairs, options)])
    for position, at in enumerate(works):
        if position in gemms:
            start = starts[asks[position]]
            costs, bands = _found(found[start:start + len(pairs)], pairs, gemms[position], options, pick, errors)
            yield gemm_row(gemms[position][0], costs, pick, hw, bands)
            continue
        yield from (row for _, row in pointwise_rows([w for w in at if isinstance(w, PointwiseWork)], u_index, hw))


def _group(lowerings: list[Lowered], options: Options, specs: list[AcceleratorSpec], u_index: np.ndarray,
           errors: list[Exception | None]) -> tuple[dict[str, Any], np.ndarray]:
    """The metrics and breakdowns of the points sharing a workload and options (their lowerings may differ)."""
    hw = Columns(specs)
    sums = Sums.of(_rows(lowerings, options, hw, u_index, errors), len(specs))
    quality = lowerings[0].quality
    return {**metrics(sums, hw, Facts.of(lowerings[0])).columns(),
            "fused_groups": [lowerings[u].fused_groups for u in u_index],
            "quality_loss": [quality.loss if quality else None] * len(specs)}, sums.breakdown


@contextmanager
def _no_cyclic_collection() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while a batch runs. Why: a batch allocates hundreds of thousands of
    small records (mapping results, rows) that form no reference cycles, and every full collection rescans all the
    cached ones (~12% of a cold serving grid). Reference counting still frees everything at once; the collector is
    back on (if it was) when the batch ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def evaluate_batch(items: Sequence[tuple[Workload, AcceleratorSpec, Options]]) -> BatchResult:
    """The metrics and breakdowns of many design points (see the module's docstring); a point that cannot run has
    its error and no metrics, as `evaluate` would raise it."""
    with _no_cyclic_collection():
        return _evaluate_batch(items)


def _evaluate_batch(items: Sequence[tuple[Workload, AcceleratorSpec, Options]]) -> BatchResult:
    total = len(items)
    names = [entry.name for entry in METRICS]
    columns: dict[str, list[Any]] = {name: [None] * total for name in names}
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
            too_big = capacity_error(lowerings[by_key[key]], hw.memory_gib)
            if too_big:  # as `evaluate`: what does not fit is not priced
                errors[i] = ValueError(too_big)
                continue
            kept.append(i)
            u_index.append(by_key[key])
        if not kept:
            continue
        mine: list[Exception | None] = [None] * len(kept)
        values, parts = _group(lowerings, options, [items[i][1] for i in kept], np.array(u_index), mine)
        _place(values, parts, kept, mine, BatchResult(columns, breakdown, errors))
    return BatchResult(columns, breakdown, errors)


def _place(values: dict[str, Any], parts: np.ndarray, kept: list[int], mine: list[Exception | None],
           result: BatchResult) -> None:
    """A group's metrics and breakdowns (or errors) at its points' places in the batch's result."""
    done = []
    for j, i in enumerate(kept):
        if mine[j] is not None:
            result.errors[i] = mine[j]
        else:
            done.append((j, i))
    for name, column in result.metrics.items():
        plain = _plain_values(values[name])
        for j, i in done:
            column[i] = plain[j]
    if done:
        picked, placed = (list(part) for part in zip(*done, strict=True))
        result.breakdown[placed] = parts[picked]


def _plain_values(values: Any) -> list[Any]:
    """A metric's values at a group's points as Python values (numpy scalars as their Python equals)."""
    if isinstance(values, np.ndarray) and values.dtype != object:
        return values.tolist()
    return [value.item() if isinstance(value, np.generic) else value for value in values]
