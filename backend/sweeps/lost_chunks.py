"""Work the broker lost: chunks queued in the database whose task is nowhere in Redis, and search sweeps whose next
step is nowhere. They are queued again.

A Redis restart without persistence empties the queue; kombu's Redis transport can also lose a message a worker
took off the queue as the broker went away, before recording it as unacknowledged. Nothing points at that work any
more, so its sweep would wait forever. The watcher compares the database with what the broker holds — the queue
and the unacknowledged messages (a worker holds those until it acks) — and queues again what is missing, once the
sweep has made no progress for a few seconds (so a task that is being published is not mistaken for a lost one).
Queuing again is always safe: a chunk that turns out to be done is skipped, its points are keyed, a step is
idempotent.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import transaction
from backend.models import ACTIVE_STATUSES, Sweep, SweepChunk, SweepStatus, utcnow
from backend.sweeps import jobs
from backend.sweeps.strategies import strategy_of

log = logging.getLogger("dse.worker")


def requeue_lost_work(factory: sessionmaker[Session], pending: list[tuple[str, list[Any]]], stalled_s: float) -> int:
    """Queues again the queued chunks (and search steps) of sweeps stalled for `stalled_s` whose task the broker
    does not hold (`pending`: its queue and unacknowledged tasks). `factory` must send jobs
    (backend.sweeps.jobs.install); returns the tasks queued again."""
    held_chunks = {(int(args[0]), int(args[1])) for task, args in pending if task == jobs.RUN_CHUNK_TASK}
    held_steps = {int(args[0]) for task, args in pending if task == jobs.SEARCH_STEP_TASK}
    stalled_before = utcnow() - timedelta(seconds=stalled_s)
    stalled = (Sweep.status.in_(ACTIVE_STATUSES), func.coalesce(Sweep.updated_at, Sweep.created_at) < stalled_before)
    lost: dict[int, list[int]] = {}
    steps: list[int] = []
    with transaction(factory) as session:
        rows = session.execute(
            select(SweepChunk.sweep_id, SweepChunk.chunk_index).join(Sweep, Sweep.id == SweepChunk.sweep_id)
            .where(*stalled, SweepChunk.status == SweepStatus.QUEUED)
            .order_by(SweepChunk.sweep_id, SweepChunk.chunk_index)).all()
        for sweep_id, chunk_index in rows:
            if (sweep_id, chunk_index) not in held_chunks:
                lost.setdefault(sweep_id, []).append(chunk_index)
        queued = select(SweepChunk.id).where(SweepChunk.sweep_id == Sweep.id, SweepChunk.status == SweepStatus.QUEUED)
        searches = session.execute(select(Sweep.id, Sweep.spec).where(*stalled, ~queued.exists())).all()
        steps = [sweep_id for sweep_id, spec in searches
                 if strategy_of(spec).has_driver and sweep_id not in held_steps]
        touched = [*lost, *steps]
        if touched:  # the next check waits another stall before it queues these again
            session.execute(update(Sweep).where(Sweep.id.in_(touched)).values(updated_at=utcnow()))
        for sweep_id, indices in lost.items():
            log.warning("sweep %d: %d chunk(s) queued in the database but not in the broker; queued again",
                        sweep_id, len(indices))
            jobs.queue(session, *jobs.run_chunks(sweep_id, indices))
        for sweep_id in steps:
            log.warning("search sweep %d: its next step is not in the broker; queued again", sweep_id)
            jobs.queue(session, jobs.search_step(sweep_id))
    return sum(len(indices) for indices in lost.values()) + len(steps)
