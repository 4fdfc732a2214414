"""Jobs for the workers, queued on a database session and sent only after its transaction commits.

`queue(session, job)` keeps the job on the session; the factory's after-commit hook (`install`) sends what the
committed transaction queued, and a rollback drops it. So a worker never looks for a row that is not there yet,
and no call site has to remember the order. Task names are the workers' contract (workers/tasks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import Celery
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

RUN_CHUNK_TASK = "dse.run_chunk"
SEARCH_STEP_TASK = "dse.search_step"
DISPATCH_TASK = "dse.dispatch_sweep"
INLINE_CHUNKS = 32  # a sweep with more chunks has them published by a worker (`dispatch`), not in the request
_PENDING = "dse.pending_jobs"
_SENDER = "dse.job_sender"


@dataclass(frozen=True, slots=True)
class Job:
    task: str
    args: tuple[Any, ...]


def run_chunks(sweep_id: int, chunk_indices: list[int]) -> list[Job]:
    return [Job(RUN_CHUNK_TASK, (sweep_id, index)) for index in chunk_indices]


def search_step(sweep_id: int) -> Job:
    """The driver of a `search` sweep: tells the last batch, asks the next (search_store.search_step)."""
    return Job(SEARCH_STEP_TASK, (sweep_id,))


def start_chunks(sweep_id: int, chunk_count: int) -> list[Job]:
    """A created sweep's chunks: a few directly; many through one dispatch job, so creating a 10^6-point sweep
    publishes one message, not thousands."""
    if chunk_count > INLINE_CHUNKS:
        return [Job(DISPATCH_TASK, (sweep_id,))]
    return run_chunks(sweep_id, list(range(chunk_count)))


def send(celery: Celery, queue_name: str, jobs: list[Job]) -> int:
    """Publish now (for code outside a transaction: the lost-chunk watcher, a task handing on to the next)."""
    if jobs:  # a bounded wait for a pooled producer: a stuck broker is an error, never a hung request thread
        with celery.producer_pool.acquire(block=True, timeout=10) as producer:
            for job in jobs:
                celery.send_task(job.task, args=list(job.args), queue=queue_name, producer=producer)
    return len(jobs)


def queue(session: Session, *jobs: Job) -> None:
    """Send these jobs once the session's transaction commits (never if it rolls back)."""
    if _SENDER not in session.info:
        raise RuntimeError("this session's factory sends no jobs: call backend.sweeps.jobs.install(factory, …)")
    session.info.setdefault(_PENDING, []).extend(jobs)


def _after_commit(session: Session) -> None:
    jobs = session.info.pop(_PENDING, [])
    if jobs:
        session.info[_SENDER](jobs)


def _after_rollback(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def install(factory: sessionmaker[Session], celery: Celery, queue_name: str) -> sessionmaker[Session]:
    """Sessions of `factory` send their queued jobs on `celery` after commit; returns the factory."""
    return _install(factory, lambda committed: send(celery, queue_name, committed))


def collect(factory: sessionmaker[Session]) -> list[Job]:
    """Sessions of `factory` append their committed jobs to the returned list instead of sending them: for code that
    runs a sweep's jobs itself (tests seeding a database, benchmarks)."""
    committed: list[Job] = []
    _install(factory, committed.extend)
    return committed


def _install(factory: sessionmaker[Session], sender: Callable[[list[Job]], object]) -> sessionmaker[Session]:
    factory.kw.setdefault("info", {})[_SENDER] = sender
    if not event.contains(factory, "after_commit", _after_commit):
        event.listen(factory, "after_commit", _after_commit)
        event.listen(factory, "after_rollback", _after_rollback)
        event.listen(factory, "after_soft_rollback", _after_rollback)
    return factory
