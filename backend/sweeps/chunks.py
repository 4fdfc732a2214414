"""One chunk of a sweep: expand its points, evaluate them in one batch, insert them in one transaction.

Idempotent by construction: the points are a pure function of (spec, indices); the insert skips rows
whose (sweep_id, point_index) exists (ON CONFLICT DO NOTHING on PostgreSQL and SQLite); and the chunk's
row moves from `queued` to `done`/`failed` once, so progress counters never count a chunk twice.
The sweep's strategy (strategies.py) makes the chunk's points and says, in the transaction that stores them, what
the finished chunk moves on (a grid's last chunk finishes the sweep; a search batch's last queues the next step).

Bulk ingestion: on PostgreSQL the rows are COPYed into a per-connection temporary staging table and moved with one
INSERT … SELECT … ON CONFLICT DO NOTHING; on SQLite one executemany. The chunk records the simulator fingerprint
that evaluated it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import transaction
from backend.core.errors import shorten
from backend.models import ACTIVE_STATUSES, DesignPoint, Sweep, SweepChunk, SweepStatus, utcnow
from backend.sweeps import jobs
from backend.sweeps.evaluation import evaluate_points
from backend.sweeps.fingerprint import simulator_fingerprint
from backend.sweeps.spec import SweepSpec
from backend.sweeps.strategies import Strategy, strategy_of

log = logging.getLogger("dse.chunks")


@dataclass(frozen=True)
class ChunkResult:
    status: str  # done | failed | skipped
    inserted: int = 0
    points_ok: int = 0
    points_failed: int = 0
    elapsed_s: float = 0.0
    reason: str = ""


def _start(session: Session, sweep_id: int, chunk_index: int) -> tuple[SweepSpec, SweepChunk] | str:
    """Claims the chunk for this attempt; returns why not when it has nothing to do (a chunk already stored lets its
    strategy queue again what its first run queued)."""
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
        if chunk.status == SweepStatus.DONE:
            strategy_of(sweep.spec).chunk_redelivered(session, sweep_id)
        return f"chunk already {chunk.status}"
    now = utcnow()
    session.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status == SweepStatus.QUEUED)
                    .values(status=SweepStatus.RUNNING, started_at=now, updated_at=now))
    chunk.attempts += 1
    return SweepSpec.stored(sweep.spec), chunk


_COLUMNS = tuple(column.name for column in DesignPoint.__table__.columns if column.name != "id")
_STAGING = "design_points_staging"


def insert_points(session: Session, rows: list[dict[str, Any]]) -> int:
    """Bulk insert; rows already stored (a retried chunk) are skipped. Returns rows inserted."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        return _copy_points(session, rows)
    statement = sqlite.insert(DesignPoint.__table__).on_conflict_do_nothing(index_elements=["sweep_id", "point_index"])
    return session.connection().execute(statement, rows).rowcount  # executemany: rows changed, summed


def _copy_points(session: Session, rows: list[dict[str, Any]]) -> int:
    """COPY into the connection's staging table (created once per connection, emptied at commit), then one
    INSERT … SELECT that skips rows already stored."""
    columns = ", ".join(f'"{name}"' for name in _COLUMNS)
    session.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ON COMMIT DELETE ROWS AS "
                         f"SELECT {columns} FROM design_points WITH NO DATA"))
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {_STAGING} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row.get(name) for name in _COLUMNS))
    moved = session.execute(text(
        f"INSERT INTO design_points ({columns}) SELECT {columns} FROM {_STAGING} "
        "ON CONFLICT (sweep_id, point_index) DO NOTHING")).rowcount
    session.execute(text(f"DELETE FROM {_STAGING}"))  # a second chunk in the same transaction starts empty
    return moved


def _finish(session: Session, sweep_id: int, chunk: SweepChunk, status: str, points_ok: int, points_failed: int,
            elapsed_s: float, error: str | None, strategy: Strategy, fingerprint: str | None = None) -> bool:
    """Moves the chunk to its final status once and adds it to the sweep's counters; then its strategy moves the
    sweep on (finishes it, or queues a search's next step)."""
    now = utcnow()
    moved = session.execute(update(SweepChunk).where(SweepChunk.id == chunk.id,
                                                     SweepChunk.status == SweepStatus.QUEUED)
                            .values(status=status, points_ok=points_ok, points_failed=points_failed,
                                    elapsed_s=elapsed_s, error=error, finished_at=now,
                                    simulator_fingerprint=fingerprint)).rowcount
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
    strategy.chunk_finished(session, sweep_id, chunk)
    return True


def run_chunk(factory: sessionmaker[Session], sweep_id: int, chunk_index: int) -> ChunkResult:
    """Evaluates one chunk and stores it; safe to run any number of times."""
    with transaction(factory) as session:
        claimed = _start(session, sweep_id, chunk_index)
        if isinstance(claimed, str):
            return ChunkResult("skipped", reason=claimed)
        spec, chunk = claimed
        strategy = strategy_of(spec)
        points = strategy.chunk_points(session, spec, sweep_id, chunk.start_index, chunk.stop_index)

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
        inserted = insert_points(session, rows)
        _finish(session, sweep_id, chunk, status, points_ok, points_failed, elapsed, first_error, strategy,
                simulator_fingerprint())
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
                shorten(f"chunk {chunk_index}: {error}"), strategy_of(sweep.spec))
