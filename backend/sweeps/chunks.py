"""One chunk of a sweep: expand its points, evaluate them in one batch, insert them in one transaction.

Idempotent by construction: the points are a pure function of (spec, indices); the insert skips rows
whose (sweep_id, point_index) exists (ON CONFLICT DO NOTHING on PostgreSQL and SQLite); and the chunk's
row moves from `queued` to `done`/`failed` once, so progress counters never count a chunk twice.
A chunk that completes a `search` batch queues the search's next step in the same transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import transaction
from backend.core.errors import shorten
from backend.models import ACTIVE_STATUSES, DesignPoint, Sweep, SweepChunk, SweepStatus, utcnow
from backend.sweeps import jobs, search_store
from backend.sweeps.evaluation import evaluate_points
from backend.sweeps.spec import SweepSpec

log = logging.getLogger("dse.chunks")


@dataclass(frozen=True)
class ChunkResult:
    status: str  # done | failed | skipped
    inserted: int = 0
    points_ok: int = 0
    points_failed: int = 0
    elapsed_s: float = 0.0
    reason: str = ""


def _start(session: Session, sweep_id: int, chunk_index: int) -> tuple[dict[str, Any], SweepChunk] | str:
    """Claims the chunk for this attempt; returns why not when it has nothing to do."""
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        return "sweep deleted"
    if sweep.status not in ACTIVE_STATUSES:
        return f"sweep {sweep.status}"
    chunk = session.execute(select(SweepChunk).where(SweepChunk.sweep_id == sweep_id,
                                                     SweepChunk.chunk_index == chunk_index)).scalar_one_or_none()
    if chunk is None:
        return "no such chunk"
    if chunk.status != SweepStatus.QUEUED:
        return f"chunk already {chunk.status}"
    now = utcnow()
    session.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status == SweepStatus.QUEUED)
                    .values(status=SweepStatus.RUNNING, started_at=now, updated_at=now))
    chunk.attempts += 1
    return sweep.spec, chunk


def insert_points(session: Session, sweep_id: int, rows: list[dict[str, Any]]) -> int:
    """Bulk insert; rows already stored (a retried chunk) are skipped. Returns rows inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(DesignPoint).on_conflict_do_nothing(index_elements=["sweep_id", "point_index"])
    before = _count(session, sweep_id, rows)
    session.execute(statement, rows)
    return _count(session, sweep_id, rows) - before


def _count(session: Session, sweep_id: int, rows: list[dict[str, Any]]) -> int:
    low = min(row["point_index"] for row in rows)
    high = max(row["point_index"] for row in rows)
    return int(session.execute(select(func.count()).select_from(DesignPoint).where(
        DesignPoint.sweep_id == sweep_id, DesignPoint.point_index.between(low, high))).scalar_one())


def _finish(session: Session, sweep_id: int, chunk: SweepChunk, status: str, points_ok: int, points_failed: int,
            elapsed_s: float, error: str | None, is_search: bool) -> bool:
    """Moves the chunk to its final status once and adds it to the sweep's counters; finishes the sweep (a `search`
    sweep is finished by its driver, which this queues when the chunk completes its batch)."""
    now = utcnow()
    moved = session.execute(update(SweepChunk).where(SweepChunk.id == chunk.id,
                                                     SweepChunk.status == SweepStatus.QUEUED)
                            .values(status=status, points_ok=points_ok, points_failed=points_failed,
                                    elapsed_s=elapsed_s, error=error, finished_at=now)).rowcount
    if moved != 1:
        return False
    failed = 1 if status == SweepStatus.FAILED else 0
    values: dict[str, Any] = {
        "done_points": Sweep.done_points + points_ok,
        "failed_points": Sweep.failed_points + points_failed,
        "chunks_done": Sweep.chunks_done + (1 - failed),
        "chunks_failed": Sweep.chunks_failed + failed,
        "compute_s": Sweep.compute_s + elapsed_s,
        "updated_at": now,
    }
    if error:
        values["error"] = case((Sweep.error.is_(None), error), else_=Sweep.error)
    session.execute(update(Sweep).where(Sweep.id == sweep_id).values(**values))
    if is_search:
        if search_store.chunk_finished(session, sweep_id, chunk.start_index):
            jobs.queue(session, jobs.search_step(sweep_id))
        return True
    session.execute(
        update(Sweep)
        .where(Sweep.id == sweep_id, Sweep.status.in_(ACTIVE_STATUSES),
               Sweep.chunks_done + Sweep.chunks_failed >= Sweep.chunk_count)
        .values(status=case((Sweep.chunks_failed >= Sweep.chunk_count, SweepStatus.FAILED.value),
                            else_=SweepStatus.DONE.value), finished_at=now))
    return True


def run_chunk(factory: sessionmaker[Session], sweep_id: int, chunk_index: int) -> ChunkResult:
    """Evaluates one chunk and stores it; safe to run any number of times."""
    with transaction(factory) as session:
        claimed = _start(session, sweep_id, chunk_index)
        if isinstance(claimed, str):
            if claimed == "chunk already done" and search_store.batch_complete(session, sweep_id):
                jobs.queue(session, jobs.search_step(sweep_id))  # the step this chunk's first run queued was lost
            return ChunkResult("skipped", reason=claimed)
        spec_data, chunk = claimed
        start, stop = chunk.start_index, chunk.stop_index
        spec = SweepSpec.stored(spec_data)
        is_search = spec.strategy == "search"
        points = (search_store.chunk_points(session, spec, sweep_id, start, stop) if is_search
                  else list(zip(range(start, stop), spec.points(start, stop), strict=True)))

    started = time.perf_counter()
    outcomes = evaluate_points(points, spec.definitions())
    elapsed = time.perf_counter() - started

    rows = [outcome.row(sweep_id) for outcome in outcomes]
    points_failed = sum(1 for outcome in outcomes if outcome.error)
    points_ok = len(outcomes) - points_failed
    first_error = next((shorten(f"point {o.index}: {o.error}") for o in outcomes if o.error), None)
    status = SweepStatus.FAILED if points_ok == 0 and outcomes else SweepStatus.DONE
    with transaction(factory) as session:
        if session.get(Sweep, sweep_id) is None:
            return ChunkResult("skipped", reason="sweep deleted")
        inserted = insert_points(session, sweep_id, rows)
        _finish(session, sweep_id, chunk, status, points_ok, points_failed, elapsed, first_error, is_search)
    log.info("sweep %d chunk %d: %d ok, %d failed, %d inserted in %.2f s", sweep_id, chunk_index, points_ok,
             points_failed, inserted, elapsed)
    return ChunkResult(status, inserted, points_ok, points_failed, elapsed)


def dispatch(factory: sessionmaker[Session], sweep_id: int) -> int:
    """Queues a task for every queued chunk of an active sweep (the dispatch job of a large sweep); returns how
    many. Safe to repeat: a chunk queued twice is skipped the second time."""
    with transaction(factory) as session:
        sweep = session.get(Sweep, sweep_id)
        if sweep is None or sweep.status not in ACTIVE_STATUSES:
            return 0
        indices = list(session.execute(select(SweepChunk.chunk_index).where(
            SweepChunk.sweep_id == sweep_id, SweepChunk.status == SweepStatus.QUEUED)
            .order_by(SweepChunk.chunk_index)).scalars())
        jobs.queue(session, *jobs.run_chunks(sweep_id, indices))
    return len(indices)


def fail_chunk(factory: sessionmaker[Session], sweep_id: int, chunk_index: int, error: str) -> None:
    """Records a chunk that could not run (e.g. database retries exhausted); the sweep goes on."""
    with transaction(factory) as session:
        chunk = session.execute(select(SweepChunk).where(SweepChunk.sweep_id == sweep_id,
                                                         SweepChunk.chunk_index == chunk_index)).scalar_one_or_none()
        sweep = session.get(Sweep, sweep_id)
        if chunk is None or sweep is None:
            return
        points_failed = chunk.stop_index - chunk.start_index
        _finish(session, sweep_id, chunk, SweepStatus.FAILED, 0, points_failed, 0.0,
                shorten(f"chunk {chunk_index}: {error}"), is_search=sweep.spec.get("strategy") == "search")
