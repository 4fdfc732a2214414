"""One chunk of a sweep: expand its points, evaluate them in one batch, insert them in one transaction.

Idempotent by construction: the points are a pure function of (spec, indices); the insert skips rows
whose (sweep_id, point_index) exists (ON CONFLICT DO NOTHING on PostgreSQL and SQLite); and the chunk's
row moves from `queued` to `done`/`failed` once, so progress counters never count a chunk twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from backend.db import transaction
from backend.models import DesignPoint, Sweep, SweepChunk, utcnow
from backend.sweep_spec import SweepSpec, points
from workers import search

log = logging.getLogger("dse.chunks")


@dataclass(frozen=True)
class ChunkResult:
    status: str  # done | failed | skipped
    inserted: int = 0
    points_ok: int = 0
    points_failed: int = 0
    elapsed_s: float = 0.0
    reason: str = ""
    batch_complete: bool = False  # a `search` sweep: this chunk completed its batch, the next step is due


def _start(session: Session, sweep_id: int, chunk_index: int) -> tuple[dict[str, Any], SweepChunk] | str:
    """Claims the chunk for this attempt; returns why not when it has nothing to do."""
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        return "sweep deleted"
    if sweep.status not in ("queued", "running"):
        return f"sweep {sweep.status}"
    chunk = session.execute(select(SweepChunk).where(SweepChunk.sweep_id == sweep_id,
                                                     SweepChunk.chunk_index == chunk_index)).scalar_one_or_none()
    if chunk is None:
        return "no such chunk"
    if chunk.status != "queued":
        return f"chunk already {chunk.status}"
    now = utcnow()
    session.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status == "queued")
                    .values(status="running", started_at=now, updated_at=now))
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
    from sqlalchemy import func

    low = min(row["point_index"] for row in rows)
    high = max(row["point_index"] for row in rows)
    return int(session.execute(select(func.count()).select_from(DesignPoint).where(
        DesignPoint.sweep_id == sweep_id, DesignPoint.point_index.between(low, high))).scalar_one())


def _finish(session: Session, sweep_id: int, chunk_id: int, status: str, points_ok: int, points_failed: int,
            elapsed_s: float, error: str | None, search: bool = False) -> bool:
    """Moves the chunk to its final status once and adds it to the sweep's counters; finishes the sweep
    (a `search` sweep is finished by its driver, `workers.search.search_step`, instead)."""
    now = utcnow()
    moved = session.execute(update(SweepChunk).where(SweepChunk.id == chunk_id, SweepChunk.status == "queued")
                            .values(status=status, points_ok=points_ok, points_failed=points_failed,
                                    elapsed_s=elapsed_s, error=error, finished_at=now)).rowcount
    if moved != 1:
        return False
    failed = 1 if status == "failed" else 0
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
    if search:
        return True
    session.execute(
        update(Sweep)
        .where(Sweep.id == sweep_id, Sweep.status.in_(("queued", "running")),
               Sweep.chunks_done + Sweep.chunks_failed >= Sweep.chunk_count)
        .values(status=case((Sweep.chunks_failed >= Sweep.chunk_count, "failed"), else_="done"), finished_at=now))
    return True


def run_chunk(factory: sessionmaker[Session], sweep_id: int, chunk_index: int) -> ChunkResult:
    """Evaluates one chunk and stores it; safe to run any number of times."""
    from backend.simulation import evaluate_points  # the simulator is imported where it is used

    with transaction(factory) as session:
        claimed = _start(session, sweep_id, chunk_index)
        if isinstance(claimed, str):
            due = claimed == "chunk already done" and search.batch_complete(session, sweep_id)
            return ChunkResult("skipped", reason=claimed, batch_complete=due)
        spec_data, chunk = claimed
        chunk_id, start, stop = chunk.id, chunk.start_index, chunk.stop_index
        spec = SweepSpec.model_validate(spec_data)
        is_search = spec.strategy == "search"
        chunk_points = search.chunk_points(session, spec, sweep_id, start, stop) if is_search else None

    started = time.perf_counter()
    outcomes = evaluate_points(chunk_points if chunk_points is not None else points(spec, start, stop))
    elapsed = time.perf_counter() - started

    rows = [{"sweep_id": sweep_id, "point_index": outcome.index, "error": outcome.error, **outcome.columns,
             "params": outcome.params, "report": outcome.report} for outcome in outcomes]
    points_failed = sum(1 for outcome in outcomes if outcome.error)
    points_ok = len(outcomes) - points_failed
    first_error = next((f"point {o.index}: {o.error}" for o in outcomes if o.error), None)
    status = "failed" if points_ok == 0 and outcomes else "done"
    with transaction(factory) as session:
        if session.get(Sweep, sweep_id) is None:
            return ChunkResult("skipped", reason="sweep deleted")
        inserted = insert_points(session, sweep_id, rows)
        moved = _finish(session, sweep_id, chunk_id, status, points_ok, points_failed, elapsed, first_error,
                        search=is_search)
        complete = is_search and moved and search.chunk_finished(session, sweep_id, start)
    log.info("sweep %d chunk %d: %d ok, %d failed, %d inserted in %.2f s", sweep_id, chunk_index, points_ok,
             points_failed, inserted, elapsed)
    return ChunkResult(status, inserted, points_ok, points_failed, elapsed, batch_complete=complete)


def fail_chunk(factory: sessionmaker[Session], sweep_id: int, chunk_index: int, error: str) -> bool:
    """Records a chunk that could not run (e.g. database retries exhausted); the sweep goes on.
    Returns True when this completed a `search` batch (the next step is due)."""
    with transaction(factory) as session:
        chunk = session.execute(select(SweepChunk).where(SweepChunk.sweep_id == sweep_id,
                                                         SweepChunk.chunk_index == chunk_index)).scalar_one_or_none()
        sweep = session.get(Sweep, sweep_id)
        if chunk is None or sweep is None:
            return False
        is_search = sweep.spec.get("strategy") == "search"
        points_failed = chunk.stop_index - chunk.start_index
        moved = _finish(session, sweep_id, chunk.id, "failed", 0, points_failed, 0.0, f"chunk {chunk_index}: {error}",
                        search=is_search)
        return is_search and moved and search.chunk_finished(session, sweep_id, chunk.start_index)
