"""Work the broker lost (queued in the database, nowhere in Redis) is queued again, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.core.broker import create_celery, pending_tasks
from backend.core.db import transaction
from backend.models import Sweep, utcnow
from backend.sweeps import jobs
from backend.sweeps.chunks import dispatch, run_chunk
from backend.sweeps.lost_chunks import requeue_lost_work
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from tests.sweeps_support import DEMO_SPEC, SEARCH_DEMO_SPEC, queued_tasks

pytestmark = pytest.mark.redis
STALL_S = 10


def _stall(session_factory, sweep_id: int) -> None:
    with transaction(session_factory) as session:
        session.execute(update(Sweep).where(Sweep.id == sweep_id).values(
            updated_at=utcnow() - timedelta(seconds=STALL_S + 1)))


def test_only_chunks_the_broker_does_not_hold_are_queued_again(session_factory, settings) -> None:
    celery = create_celery(settings)

    def check() -> int:
        return requeue_lost_work(session_factory, pending_tasks(celery, settings.queue), STALL_S)

    with transaction(session_factory) as session:
        sweep_id = create_sweep(session, SweepSpec.model_validate(DEMO_SPEC), settings).id
    assert len(pending_tasks(celery, settings.queue)) == 4  # its chunks were queued once it committed
    _stall(session_factory, sweep_id)
    assert check() == 0, "every queued chunk's task is in the broker: nothing is lost"
    with celery.connection_for_write() as connection:  # the broker loses every task (a restart, no persistence)
        connection.default_channel.client.delete(settings.queue)
    run_chunk(session_factory, sweep_id, 0)  # one chunk done: 3 of 4 still queued in the database
    assert check() == 0  # it made progress just now
    _stall(session_factory, sweep_id)
    assert check() == 3
    assert sorted(args[1] for _, args in queued_tasks(settings)) == [1, 2, 3]
    _stall(session_factory, sweep_id)
    assert check() == 0, "queued again once, and now held by the broker: nothing twice"
    for chunk in (1, 2, 3):  # what a worker does with the requeued tasks
        run_chunk(session_factory, sweep_id, chunk)
    with session_factory() as session:
        sweep = session.get(Sweep, sweep_id)
        assert (sweep.status, sweep.done_points) == ("done", 36)


def test_a_search_whose_next_step_is_lost_gets_it_again(session_factory, settings) -> None:
    celery = create_celery(settings)
    with transaction(session_factory) as session:
        sweep_id = create_sweep(session, SweepSpec.model_validate({**SEARCH_DEMO_SPEC, "budget": 6}), settings).id
    assert queued_tasks(settings) == [(jobs.SEARCH_STEP_TASK, [sweep_id])]
    with celery.connection_for_write() as connection:
        connection.default_channel.client.delete(settings.queue)
    _stall(session_factory, sweep_id)
    assert requeue_lost_work(session_factory, pending_tasks(celery, settings.queue), STALL_S) == 1
    assert queued_tasks(settings) == [(jobs.SEARCH_STEP_TASK, [sweep_id])]


def test_a_large_sweep_publishes_one_dispatch_job_and_a_worker_queues_its_chunks(session_factory, settings) -> None:
    spec = {**DEMO_SPEC, "axes": {**DEMO_SPEC["axes"], "clock_ghz": {"start": 0.5, "stop": 2.0, "step": 0.05}}}
    with transaction(session_factory) as session:
        sweep = create_sweep(session, SweepSpec.model_validate(spec), settings)  # 1,116 points in chunks of 10
        sweep_id, chunks = sweep.id, sweep.chunk_count
    assert chunks > jobs.INLINE_CHUNKS
    assert queued_tasks(settings) == [(jobs.DISPATCH_TASK, [sweep_id])]
    assert dispatch(session_factory, sweep_id) == chunks
    assert [args[1] for _, args in queued_tasks(settings)[1:]] == list(range(chunks))
