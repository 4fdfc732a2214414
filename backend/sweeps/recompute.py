"""Opening a stored point: its inputs follow from (spec, index), its full report is recomputed (and cached), and
what was stored is checked against the recomputation.

A row keeps only its columns and breakdown (backend/models.py DesignPoint). When someone opens it, the simulator runs
again: same fingerprint, same numbers (the simulator is deterministic). Under another simulator (a newer version
deployed since) the page says so, and every metric that moved is named with both values: a stored result is never
silently replaced by a different one.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.columns import METRICS, NUMERIC_METRICS
from backend.models import DesignPoint, Sweep, SweepChunk
from backend.sweeps.evaluation import Outcome, evaluate_point
from backend.sweeps.fingerprint import simulator_fingerprint
from backend.sweeps.spec import SweepSpec
from backend.sweeps.strategies import strategy_of
from simulator.design_point import PointInputs

RELATIVE_TOLERANCE = 1e-9  # the golden reports' tolerance: below it, the same number


@dataclass(frozen=True, slots=True)
class Recomputed:
    inputs: PointInputs
    outcome: Outcome
    stored_by: str | None  # the fingerprint of the simulator that stored the row (None: not recorded)
    current: str
    differences: tuple[str, ...]  # metrics whose recomputed value differs from the stored one


class _Reports:
    """Recomputed outcomes of recently opened points (a report is ~1 kB per operator row), least recent out."""

    def __init__(self, max_points: int = 256) -> None:
        self._items: OrderedDict[tuple[Any, ...], tuple[PointInputs, Outcome]] = OrderedDict()
        self._max = max_points
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[PointInputs, Outcome] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: tuple[PointInputs, Outcome]) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._max:
                self._items.popitem(last=False)


_reports = _Reports()


def _inputs_and_position(session: Session, spec: SweepSpec, sweep: Sweep, index: int) -> tuple[PointInputs, int]:
    """A grid or random point is its index's expansion; a search point is the trial its batch asked."""
    found = strategy_of(spec).stored_point(session, spec, sweep.id, index)
    if found is None:
        raise LookupError(f"sweep {sweep.id} asked no trial {index}")
    position, inputs = found
    return inputs, position


def _stored_by(session: Session, sweep: Sweep, position: int) -> str | None:
    chunk = session.execute(select(SweepChunk.simulator_fingerprint).where(
        SweepChunk.sweep_id == sweep.id, SweepChunk.start_index <= position, SweepChunk.stop_index > position)
        .limit(1)).scalar_one_or_none()
    return chunk or sweep.simulator_fingerprint


def _moved(stored: Any, now: Any) -> bool:
    if isinstance(stored, float) and isinstance(now, float):
        if not (math.isfinite(stored) and math.isfinite(now)):
            return stored != now
        return abs(stored - now) > RELATIVE_TOLERANCE * max(abs(stored), abs(now))
    return stored != now


def differences(point: DesignPoint, outcome: Outcome) -> tuple[str, ...]:
    """Each metric (and the error) whose recomputed value is not the stored one, with both values."""
    out = []
    if (point.error is None) != (outcome.error is None):
        out.append(f"error: stored {point.error or 'none'}, now {outcome.error or 'none'}")
    for name in METRICS:
        stored, now = getattr(point, name), outcome.columns.get(name)
        if _moved(stored, now):
            change = (f" ({now / stored - 1:+.2%})" if name in NUMERIC_METRICS and stored and now is not None
                      else "")
            out.append(f"{name}: stored {stored}, now {now}{change}")
    return tuple(out)


def recompute(session: Session, point: DesignPoint) -> Recomputed:
    """The point's inputs and its recomputed outcome (with the full report), compared with the stored row."""
    sweep = session.get(Sweep, point.sweep_id)
    if sweep is None:
        raise LookupError(f"sweep {point.sweep_id} does not exist")
    current = simulator_fingerprint()
    key = (sweep.id, sweep.created_at, point.point_index, current)
    cached = _reports.get(key)
    spec = SweepSpec.stored(sweep.spec)
    inputs, position = _inputs_and_position(session, spec, sweep, point.point_index)
    if cached is None:
        cached = (inputs, evaluate_point(point.point_index, inputs, spec.definitions()))
        _reports.put(key, cached)
    outcome = cached[1]
    return Recomputed(inputs, outcome, _stored_by(session, sweep, position), current, differences(point, outcome))
