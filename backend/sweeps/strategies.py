"""Sweep strategies behind one interface: how a chunk's points are made, and what a finished chunk moves on.

The chunk task (`chunks.run_chunk`) and the point page (`recompute`) know no strategy. A chunk task claims its chunk,
asks the sweep's strategy for the points, evaluates and stores them, and hands the finished chunk back to the
strategy in the transaction that stores it. Grid and random points are a pure function of their index, so their
sweep is done once every chunk is counted; a search's points are the trials its driver asked (search_store), and
the chunk that completes a batch queues the driver's next step. A new strategy is a class here and a name in
`STRATEGIES`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from backend.models import ACTIVE_STATUSES, Sweep, SweepChunk, SweepStatus, utcnow
from backend.sweeps import jobs, search_store
from backend.sweeps.spec import SweepSpec
from simulator.design_point import PointInputs


class Strategy(Protocol):
    def chunk_points(self, session: Session, spec: SweepSpec, sweep_id: int, start: int,
                     stop: int) -> list[tuple[int, PointInputs]]:
        """The points at positions [start, stop) of the sweep, each with the index it is stored under."""
        ...

    def stored_point(self, session: Session, spec: SweepSpec, sweep_id: int,
                     index: int) -> tuple[int, PointInputs] | None:
        """(position in the sweep's sequence, inputs) of the point stored under `index`; None when there is none."""
        ...

    def chunk_finished(self, session: Session, sweep_id: int, chunk: SweepChunk) -> None:
        """Runs once per chunk, in the transaction that records its final status and counts it on the sweep."""
        ...

    def chunk_redelivered(self, session: Session, sweep_id: int) -> None:
        """A chunk already stored is delivered again: queue again what its first run queued, had the broker lost
        it (the work must be safe to queue twice)."""
        ...

    def chunks_at_creation(self, spec: SweepSpec, total: int, size: int) -> tuple[int, int]:
        """(points per chunk, chunks) the sweep is created with."""
        ...

    def start(self, sweep_id: int, chunk_count: int) -> list[jobs.Job]:
        """The jobs a created sweep sends once its transaction commits."""
        ...

    @property
    def has_driver(self) -> bool:
        """Its work is handed on by a driver step (which the broker can lose while no chunk is queued)."""
        ...

    def forget(self, session: Session, sweep_id: int) -> None:
        """Removes what the strategy keeps beside the sweep's rows, before the sweep is deleted."""
        ...


class GridStrategy:
    """Point i is the i-th of the axes' product; chunks are fixed at creation, so the last one counted (done or
    failed) finishes the sweep: failed if every chunk failed."""

    def chunk_points(self, session: Session, spec: SweepSpec, sweep_id: int, start: int,
                     stop: int) -> list[tuple[int, PointInputs]]:
        return list(zip(range(start, stop), spec.points(start, stop), strict=True))

    def stored_point(self, session: Session, spec: SweepSpec, sweep_id: int,
                     index: int) -> tuple[int, PointInputs] | None:
        return index, spec.point(index)

    def chunk_finished(self, session: Session, sweep_id: int, chunk: SweepChunk) -> None:
        session.execute(
            update(Sweep)
            .where(Sweep.id == sweep_id, Sweep.status.in_(ACTIVE_STATUSES),
                   Sweep.chunks_done + Sweep.chunks_failed >= Sweep.chunk_count)
            .values(status=case((Sweep.chunks_failed >= Sweep.chunk_count, SweepStatus.FAILED.value),
                                else_=SweepStatus.DONE.value), finished_at=utcnow()))

    def chunk_redelivered(self, session: Session, sweep_id: int) -> None:
        """A grid chunk queues nothing, so nothing can be lost."""

    def chunks_at_creation(self, spec: SweepSpec, total: int, size: int) -> tuple[int, int]:
        return size, max(1, math.ceil(total / size))

    def start(self, sweep_id: int, chunk_count: int) -> list[jobs.Job]:
        return jobs.start_chunks(sweep_id, chunk_count)

    has_driver = False

    def forget(self, session: Session, sweep_id: int) -> None:
        """Nothing beside the sweep's rows."""


class RandomStrategy(GridStrategy):
    """Point i is a seeded draw for index i (`spec.points` draws instead of enumerating), so the rest is a grid's."""


class SearchStrategy:
    """Points are the trials of the driver's batches (stored under their trial numbers); the chunk that completes
    a batch queues the driver's next step, which tells the batch and asks the next one."""

    def chunk_points(self, session: Session, spec: SweepSpec, sweep_id: int, start: int,
                     stop: int) -> list[tuple[int, PointInputs]]:
        return search_store.chunk_points(session, spec, sweep_id, start, stop)

    def stored_point(self, session: Session, spec: SweepSpec, sweep_id: int,
                     index: int) -> tuple[int, PointInputs] | None:
        return search_store.trial(session, spec, sweep_id, index)

    def chunk_finished(self, session: Session, sweep_id: int, chunk: SweepChunk) -> None:
        if search_store.chunk_finished(session, sweep_id, chunk.start_index):
            jobs.queue(session, jobs.search_step(sweep_id))

    def chunk_redelivered(self, session: Session, sweep_id: int) -> None:
        if search_store.batch_complete(session, sweep_id):  # the step this chunk's first run queued was lost
            jobs.queue(session, jobs.search_step(sweep_id))

    def chunks_at_creation(self, spec: SweepSpec, total: int, size: int) -> tuple[int, int]:
        """None yet: the driver creates a batch's chunks when it asks the batch."""
        return spec.search_batch_size(), 0

    def start(self, sweep_id: int, chunk_count: int) -> list[jobs.Job]:
        """The driver's first step, which asks the first batch."""
        return [jobs.search_step(sweep_id)]

    has_driver = True

    def forget(self, session: Session, sweep_id: int) -> None:
        search_store.delete_study(session, sweep_id)


STRATEGIES: dict[str, Strategy] = {"grid": GridStrategy(), "random": RandomStrategy(), "search": SearchStrategy()}


def strategy_of(spec: SweepSpec | Mapping[str, Any]) -> Strategy:
    """The strategy of a sweep's spec (validated, or as stored)."""
    return STRATEGIES[spec.strategy if isinstance(spec, SweepSpec) else spec.get("strategy", "grid")]
