"""The pipeline: lower the workload onto the accelerator (simulator/lower.py), cost each op
(simulator/cost/operators.py), aggregate the report (simulator/aggregate.py)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from simulator.aggregate import Priced, priced, report
from simulator.cost.operators import cost
from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.lower import lower
from simulator.mapping import cache_clear as mapping_cache_clear
from simulator.options import Options
from simulator.report import Report
from simulator.workload import Workload


@lru_cache(maxsize=1024)  # a sweep revisits points (a search, the warm benchmark)
def _priced(workload: Workload, accelerator: AcceleratorSpec, options: Options) -> Priced:
    lowered = lower(workload, accelerator, options)
    tech = Technology.at(accelerator.technology_nm)
    return priced(lowered, [row for work in lowered.work
                            for row in cost(work, accelerator, tech, options.mapping_objective)])


def evaluate(workload: Workload, accelerator: AcceleratorSpec, options: Options | None = None) -> Report:
    """Evaluate one design point (a ValueError names what the accelerator cannot run)."""
    point = _priced(workload, accelerator, options or Options())
    return report(point, accelerator, Technology.at(accelerator.technology_nm))


def cache_clear() -> None:
    """Forget every cached evaluation, mapping and tiling (the speed benchmark measures cold evaluation)."""
    _priced.cache_clear()
    mapping_cache_clear()


def evaluate_batch(items: Sequence[tuple[Workload, AcceleratorSpec, Options]]) -> list[Report]:
    """Evaluate many design points; they share the operator-graph and GEMM-mapping caches, so a sweep that
    varies one axis re-searches only the GEMM shapes whose hardware key changed."""
    return [evaluate(workload, accelerator, options) for workload, accelerator, options in items]
