"""The largest batch a design serves: the one place that asks, so the serving curve and the arrival-driven run agree
(the report's `max_batch`: device memory over each sequence's KV cache and activations, simulator/aggregate.py)."""

from __future__ import annotations

from simulator.evaluate import evaluate
from simulator.hardware.spec import AcceleratorSpec
from simulator.options import Options
from simulator.workload import Workload


def _with_batch(workload: Workload, batch: int) -> Workload:
    return Workload(model=workload.model, scenario=workload.scenario.model_copy(update={"batch": batch}))


def max_batch(workload: Workload, accelerator: AcceleratorSpec, options: Options, limit: int = 256) -> int:
    """The largest batch <= `limit` whose state fits at the workload's lengths: the report's `max_batch` (None on
    unlimited memory, so `limit`). Batch 1 that does not fit raises evaluate's own error (it names what is missing)."""
    reported = evaluate(_with_batch(workload, 1), accelerator, options).max_batch
    return limit if reported is None else max(0, min(int(reported), limit))
