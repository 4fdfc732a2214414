"""The pipeline: lower the workload onto the accelerator (simulator/lower.py), cost each op
(simulator/cost/operators.py), aggregate the report (simulator/aggregate.py). One point at a time, with every operator
row. The formulas are those `evaluate_batch` (simulator/batch.py) runs on many points, here over arrays of one."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from simulator import fusion
from simulator.aggregate import Priced, Sums, capacity_error, priced, report
from simulator.batch import lowered_cache_clear
from simulator.cost.columns import Columns
from simulator.cost.operators import OpCost, gemm_report_row, gemm_row, pointwise_report_row, pointwise_rows
from simulator.hardware.spec import AcceleratorSpec
from simulator.lower import GemmWork, Lowered, lower
from simulator.mapping import cache_clear as mapping_cache_clear
from simulator.measured import cache_clear as measured_cache_clear
from simulator.measured import measured_band, timed_call
from simulator.options import Options
from simulator.report import OpReport, Report
from simulator.workload import Workload


class _PricedCache:
    """The operator rows and metrics of recently evaluated points, least recently used first out, bounded by the
    number of rows it holds (~1 kB each): a sweep that revisits points (a search, the warm benchmark) re-prices
    nothing."""

    def __init__(self, max_rows: int = 50_000) -> None:
        self._points: OrderedDict[tuple[Workload, AcceleratorSpec, Options], Priced] = OrderedDict()
        self._rows, self._max_rows = 0, max_rows
        self._lock = threading.Lock()

    def get(self, workload: Workload, accelerator: AcceleratorSpec, options: Options) -> Priced:
        key = (workload, accelerator, options)
        with self._lock:
            found = self._points.get(key)
            if found is not None:
                self._points.move_to_end(key)
                return found
        lowered = lower(workload, accelerator, options)
        too_big = capacity_error(lowered, accelerator.memory_gib)
        if too_big:  # before pricing: what does not fit is not priced
            raise ValueError(too_big)
        point = _price(lowered, accelerator, options)
        with self._lock:
            if key not in self._points:
                self._points[key] = point
                self._rows += len(point.ops)
            while self._rows > self._max_rows and len(self._points) > 1:
                self._rows -= len(self._points.popitem(last=False)[1].ops)
        return point

    def clear(self) -> None:
        with self._lock:
            self._points.clear()
            self._rows = 0


_priced = _PricedCache()
_ONE = np.zeros(1, dtype=int)  # the one point's entry of every per-lowering list


def _price(lowered: Lowered, accelerator: AcceleratorSpec, options: Options) -> Priced:
    """Every op's row and the metrics of one point: the cost model's array formulas over one accelerator."""
    hw = Columns([accelerator])
    costs: list[OpCost] = []
    rows: list[OpReport] = []
    key = accelerator.hardware_key()
    for work in lowered.work:
        if isinstance(work, GemmWork):
            mapping = work.cost(accelerator, options, key)
            band = measured_band(work, key, options.mapper)
            costs.append(gemm_row(work, [mapping], _ONE, hw, [band]))
            rows.append(gemm_report_row(work, costs[-1], mapping, timed=timed_call(work, key) if band else ""))
            continue
        for part, row in pointwise_rows([work], _ONE, hw):
            costs.append(row)
            rows.append(pointwise_report_row(work, part, row))
    return priced(lowered, rows, Sums.of(costs, 1), hw, options.mapper)


def evaluate(workload: Workload, accelerator: AcceleratorSpec, options: Options | None = None) -> Report:
    """Evaluate one design point (a ValueError names what the accelerator cannot run)."""
    point = _priced.get(workload, accelerator, options or Options())
    return report(point)


def cache_clear() -> None:
    """Forget every cached evaluation, lowering, mapping and tiling (the speed benchmark measures cold evaluation)."""
    _priced.clear()
    lowered_cache_clear()
    mapping_cache_clear()
    measured_cache_clear()
    fusion.for_producer.cache_clear()
