"""Chunks whose task the broker lost: queued in the database, nowhere in Redis. They are queued again.

kombu's Redis transport can lose a message that a worker has taken off the queue when the broker goes away before
the worker records it as unacknowledged (seen when Redis restarts mid-sweep). Nothing points at that chunk any
more, so its sweep would wait forever. A chunk counts as lost when its sweep has made no progress for the
visibility timeout (any unacknowledged message has had its chance to come back by then) and the queue is empty.
Queuing a chunk again is always safe: a chunk that turns out to be done is skipped, and its points are keyed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import transaction
from backend.models import ACTIVE_STATUSES, Sweep, SweepChunk, SweepStatus, utcnow
from backend.sweeps import jobs

log = logging.getLogger("dse.worker")


def requeue_lost_chunks(factory: sessionmaker[Session], waiting_tasks: int, stalled_s: float) -> int:
    """Queues again the queued chunks of sweeps stalled for `stalled_s` while the broker's queue holds no task.

    `factory` must send jobs (backend.sweeps.jobs.install); returns the chunks queued again."""
    if waiting_tasks:
        return 0  # work is waiting: the sweeps are not stalled, they are behind other work
    stalled_before = utcnow() - timedelta(seconds=stalled_s)
    lost: dict[int, list[int]] = {}
    with transaction(factory) as session:
        rows = session.execute(
            select(SweepChunk.sweep_id, SweepChunk.chunk_index).join(Sweep, Sweep.id == SweepChunk.sweep_id)
            .where(Sweep.status.in_(ACTIVE_STATUSES),
                   func.coalesce(Sweep.updated_at, Sweep.created_at) < stalled_before,
                   SweepChunk.status == SweepStatus.QUEUED).order_by(SweepChunk.sweep_id, SweepChunk.chunk_index)).all()
        for sweep_id, chunk_index in rows:
            lost.setdefault(sweep_id, []).append(chunk_index)
        if lost:  # the next check waits another stall before it queues these again
            session.execute(update(Sweep).where(Sweep.id.in_(lost)).values(updated_at=utcnow()))
        for sweep_id, indices in lost.items():
            log.warning("sweep %d: %d chunk(s) queued in the database but not in the broker; queued again",
                        sweep_id, len(indices))
            jobs.queue(session, *jobs.run_chunks(sweep_id, indices))
    return sum(len(indices) for indices in lost.values())
