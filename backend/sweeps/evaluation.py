"""Evaluating design points for the result store: one row per point, built in one place (`evaluate_point`).

A stored row is the catalog's record of the point (simulator.catalog.record: every parameter and metric column), its
small per-class/per-phase breakdown (backend/sweeps/breakdown.py), or the error that stopped it. Nothing else: the
point's inputs follow from (spec, index) and its full report is recomputed when someone opens it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from backend.columns import METRICS
from backend.core.errors import message
from backend.sweeps import breakdown
from simulator import Report, catalog, evaluate
from simulator.batch import evaluate_batch
from simulator.design_point import NO_DEFINITIONS, Definitions, PointInputs, ResolvedPoint


@dataclass(frozen=True, slots=True)
class Outcome:
    """One evaluated point: its parameter and metric columns and breakdown, or an error; with the full report when
    it was evaluated to be shown (never stored)."""

    index: int
    columns: dict[str, Any]
    breakdown: bytes | None
    error: str | None
    report: Report | None = None

    def row(self, sweep_id: int) -> dict[str, Any]:
        return {"sweep_id": sweep_id, "point_index": self.index, "error": self.error, **self.columns,
                "breakdown": self.breakdown}


def _message(error: Exception) -> str:
    """One line a person can act on; an infeasible combination says which kind of error it is (MappingError: …)."""
    text = message(error)
    return text if isinstance(error, ValidationError | KeyError) else f"{type(error).__name__}: {text}"


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def report_parts(report: Report) -> dict[str, Any]:
    """The report's non-scalar parts (per-operator rows, breakdowns, notes): what the columns do not hold."""
    return {name: value for name, value in report.model_dump(mode="json").items() if name not in METRICS}


def evaluate_point(index: int, inputs: PointInputs, definitions: Definitions = NO_DEFINITIONS) -> Outcome:
    """Evaluate one point; an invalid input or an infeasible combination is recorded on the point, never raised."""
    resolved: ResolvedPoint | None = None
    try:
        resolved = inputs.resolve(definitions)
        report = evaluate(resolved.workload, resolved.accelerator, resolved.options)
    except (ValueError, KeyError, TypeError, ArithmeticError) as error:  # ValidationError, MappingError: ValueErrors
        return Outcome(index, catalog.record(inputs, resolved, None), None, _message(error))
    columns = {name: _finite(value) for name, value in catalog.record(inputs, resolved, report).items()}
    return Outcome(index, columns, breakdown.encode(report.ops), None, report)


def evaluate_points(points: list[tuple[int, PointInputs]], definitions: Definitions = NO_DEFINITIONS) -> list[Outcome]:
    """Evaluate a chunk's design points in one batch (simulator/batch.py: metrics and breakdowns as arrays, no
    report); an invalid input or an infeasible combination is recorded on its point, never raised."""
    outcomes: list[Outcome | None] = [None] * len(points)
    ready: list[tuple[int, int, PointInputs, ResolvedPoint]] = []
    for position, (index, inputs) in enumerate(points):
        try:
            ready.append((position, index, inputs, inputs.resolve(definitions)))
        except (ValueError, KeyError, TypeError, ArithmeticError) as error:
            outcomes[position] = Outcome(index, catalog.record(inputs, None, None), None, _message(error))
    batch = evaluate_batch([(r.workload, r.accelerator, r.options) for _, _, _, r in ready])
    for k, (position, index, inputs, resolved) in enumerate(ready):
        error = batch.errors[k]
        if error is not None:
            outcomes[position] = Outcome(index, catalog.record(inputs, resolved, None), None, _message(error))
            continue
        columns = catalog.record(inputs, resolved, batch.row(k))
        for name in METRICS:  # only a metric can be infinite (a division by a zero-cycle latency)
            columns[name] = _finite(columns[name])
        outcomes[position] = Outcome(index, columns, batch.breakdown[k].astype("<f4").tobytes(), None)
    return [outcome for outcome in outcomes if outcome is not None]
