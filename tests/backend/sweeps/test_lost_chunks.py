"""Chunks the broker lost (queued in the database, nowhere in Redis) are queued again, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.core.broker import create_celery, waiting_tasks
from backend.core.db import transaction
from backend.models import Sweep, utcnow
from backend.sweeps.chunks import run_chunk
from backend.sweeps.lost_chunks import requeue_lost_chunks
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from tests.sweeps_support import DEMO_SPEC

pytestmark = pytest.mark.redis


def test_only_a_stalled_sweeps_queued_chunks_are_queued_again(session_factory, settings) -> None:
    celery = create_celery(settings)
    stall = settings.visibility_timeout_s

    def check() -> int:
        return requeue_lost_chunks(session_factory, waiting_tasks(celery, settings.queue), stall)

    with transaction(session_factory) as session:
        sweep_id = create_sweep(session, SweepSpec.model_validate(DEMO_SPEC), settings).id
    assert waiting_tasks(celery, settings.queue) == 4  # its chunks were queued once it committed
    with celery.connection_for_write() as connection:  # the broker loses every task
        connection.default_channel.client.delete(settings.queue)
    run_chunk(session_factory, sweep_id, 0)  # one chunk done: 3 of 4 still queued in the database
    try:
        assert check() == 0  # it made progress just now
        with transaction(session_factory) as session:
            session.execute(update(Sweep).where(Sweep.id == sweep_id).values(
                updated_at=utcnow() - timedelta(seconds=stall + 1)))
        assert check() == 3
        assert waiting_tasks(celery, settings.queue) == 3
        # Now the queue holds work and the sweep was touched: nothing is queued twice.
        assert check() == 0
        for chunk in (1, 2, 3):  # what a worker does with the requeued tasks
            run_chunk(session_factory, sweep_id, chunk)
        with session_factory() as session:
            sweep = session.get(Sweep, sweep_id)
            assert (sweep.status, sweep.done_points) == ("done", 36)
    finally:
        with celery.connection_for_write() as connection:
            connection.default_channel.client.delete(settings.queue)
