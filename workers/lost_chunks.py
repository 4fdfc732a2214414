"""Chunks whose task the broker lost: queued in the database, nowhere in Redis. They are queued again.

kombu's Redis transport can lose a message that a worker has taken off the queue when the broker goes away before
the worker records it as unacknowledged (seen when Redis restarts mid-sweep). Nothing points at that chunk any
more, so its sweep would wait forever. A chunk counts as lost when its sweep has made no progress for the
visibility timeout (any unacknowledged message has had its chance to come back by then) and the queue is empty.
Queuing a chunk again is always safe: a chunk that turns out to be done is skipped, and its points are keyed.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import Celery
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.db import make_engine, make_session_factory, transaction
from backend.models import Sweep, SweepChunk, utcnow
from backend.services.dispatch import enqueue_chunks
from backend.settings import Settings

log = logging.getLogger("dse.worker")


def waiting_tasks(celery: Celery, queue: str) -> int:
    """Tasks in the broker's queue (a Redis list named after the queue; no priorities are used)."""
    with celery.connection_for_read() as connection:
        return int(connection.default_channel.client.llen(queue))


def requeue_lost_chunks(factory: sessionmaker[Session], celery: Celery, settings: Settings) -> int:
    """Queues again the queued chunks of sweeps stalled for the visibility timeout while the queue is empty."""
    if waiting_tasks(celery, settings.queue):
        return 0  # work is waiting: the sweeps are not stalled, they are behind other work
    stalled_before = utcnow() - timedelta(seconds=settings.visibility_timeout_s)
    lost: dict[int, list[int]] = {}
    with transaction(factory) as session:
        rows = session.execute(
            select(SweepChunk.sweep_id, SweepChunk.chunk_index).join(Sweep, Sweep.id == SweepChunk.sweep_id)
            .where(Sweep.status.in_(("queued", "running")),
                   func.coalesce(Sweep.updated_at, Sweep.created_at) < stalled_before,
                   SweepChunk.status == "queued").order_by(SweepChunk.sweep_id, SweepChunk.chunk_index)).all()
        for sweep_id, chunk_index in rows:
            lost.setdefault(sweep_id, []).append(chunk_index)
        if lost:  # the next check waits another visibility timeout before it queues these again
            session.execute(update(Sweep).where(Sweep.id.in_(lost)).values(updated_at=utcnow()))
    for sweep_id, indices in lost.items():
        log.warning("sweep %d: %d chunk(s) queued in the database but not in the broker; queued again",
                    sweep_id, len(indices))
        enqueue_chunks(celery, settings.queue, sweep_id, indices)
    return sum(len(indices) for indices in lost.values())


def watch(settings: Settings) -> threading.Event:
    """Checks for lost chunks every half visibility timeout in a daemon thread; set the returned event to stop."""
    from workers.celery_app import create_celery

    stop = threading.Event()
    factory = make_session_factory(make_engine(settings.sqlalchemy_url))
    celery = create_celery(settings)

    def loop() -> None:
        while not stop.wait(max(1.0, settings.visibility_timeout_s / 2)):
            try:
                requeue_lost_chunks(factory, celery, settings)
            except Exception:  # noqa: BLE001 - the broker or the database may be down: try again next time
                log.warning("could not check for lost chunks", exc_info=True)

    threading.Thread(target=loop, name="lost-chunks", daemon=True).start()
    return stop
