"""The pipeline: lower the workload onto the accelerator (simulator/lower.py), cost each op
(simulator/cost/operators.py), aggregate the report (simulator/aggregate.py). One point at a time, with every operator
row: the reference that simulator/batch.py's `evaluate_batch` (many points, columns only) is tested against."""

from __future__ import annotations

import threading
from collections import OrderedDict

from simulator.aggregate import Priced, priced, report
from simulator.batch import lowered_cache_clear
from simulator.cost.operators import cost
from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.lower import lower
from simulator.mapping import cache_clear as mapping_cache_clear
from simulator.options import Options
from simulator.report import Report
from simulator.workload import Workload


class _PricedCache:
    """The operator rows of recently evaluated points, least recently used first out, bounded by the number of rows
    it holds (~1 kB each): a sweep that revisits points (a search, the warm benchmark) re-prices nothing."""

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
        tech = Technology.at(accelerator.technology_nm)
        point = priced(lowered, [row for work in lowered.work
                                 for row in cost(work, accelerator, tech, options)])
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


def evaluate(workload: Workload, accelerator: AcceleratorSpec, options: Options | None = None) -> Report:
    """Evaluate one design point (a ValueError names what the accelerator cannot run)."""
    point = _priced.get(workload, accelerator, options or Options())
    return report(point, accelerator, Technology.at(accelerator.technology_nm))


def cache_clear() -> None:
    """Forget every cached evaluation, lowering, mapping and tiling (the speed benchmark measures cold evaluation)."""
    _priced.clear()
    lowered_cache_clear()
    mapping_cache_clear()
