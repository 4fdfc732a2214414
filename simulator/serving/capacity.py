"""The largest batch a design serves: the one place that asks, so the serving curve and the arrival-driven run agree.

While the report carries no `max_batch` of its own, it is the largest batch `evaluate` accepts (a ValueError means
the batch does not fit); once the report gives `max_batch`, that is read instead.
"""

from __future__ import annotations

from simulator.evaluate import evaluate
from simulator.hardware.spec import AcceleratorSpec
from simulator.options import Options
from simulator.workload import Workload


def _with_batch(workload: Workload, batch: int) -> Workload:
    return Workload(model=workload.model, scenario=workload.scenario.model_copy(update={"batch": batch}))


def _fits(workload: Workload, accelerator: AcceleratorSpec, options: Options, batch: int) -> bool:
    try:
        evaluate(_with_batch(workload, batch), accelerator, options)
    except ValueError:
        return False
    return True


def max_batch(workload: Workload, accelerator: AcceleratorSpec, options: Options, limit: int = 256) -> int:
    """The largest batch <= `limit` whose state fits at the workload's lengths.

    Batch 1 that does not fit raises evaluate's own error (it names what is missing); above it, a ValueError from
    `evaluate` means "does not fit" and the largest fitting batch is found by bisection (fitting is monotone in the
    batch: every sequence adds its KV cache and activations)."""
    report = evaluate(_with_batch(workload, 1), accelerator, options)
    reported = getattr(report, "max_batch", None)
    if reported is not None:
        return max(0, min(int(reported), limit))
    if _fits(workload, accelerator, options, limit):
        return limit
    low, high = 1, limit  # low fits, high does not
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _fits(workload, accelerator, options, middle) else (low, middle)
    return low

