"""Celery tasks. Each is a few lines: the work lives in plain functions (backend/sweeps) tests call without a broker.

One retry policy for both: a database error retries with exponential backoff up to DSE_DB_MAX_RETRIES, then the
chunk (or the search) is recorded as failed; any other error is deterministic and recorded at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from celery import Task
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import make_engine, make_session_factory
from backend.sweeps import jobs
from backend.sweeps.chunks import dispatch, fail_chunk, run_chunk
from backend.sweeps.search_store import fail_search, search_step
from workers.celery_app import app

log = logging.getLogger("dse.tasks")


@cache
def _session_factory(database_url: str) -> sessionmaker[Session]:
    """One engine per worker process (created after the fork, on first use); its sessions send queued jobs."""
    settings = app.conf.dse_settings
    return jobs.install(make_session_factory(make_engine(database_url)), app, settings.queue)


def _run(task: Task, what: str, work: Callable[[sessionmaker[Session]], str],
         record_failure: Callable[[sessionmaker[Session], str], None]) -> str:
    settings = app.conf.dse_settings
    factory = _session_factory(settings.sqlalchemy_url)
    try:
        return work(factory)
    except (OperationalError, DBAPIError) as error:
        retries = task.request.retries
        if retries >= settings.db_max_retries:
            log.error("%s: giving up after %d retries: %s", what, retries, error)
            # the driver's text names hosts and ports: it goes to the worker's log, the sweep gets the kind only
            record_failure(factory, f"database error after {retries} retries ({type(error.orig or error).__name__}; "
                                    "the worker's log has the details)")
            return "failed"
        raise task.retry(exc=error, countdown=min(60, 2 ** retries), max_retries=settings.db_max_retries) from error
    except Exception as error:  # a bug or bad spec: deterministic, so record it instead of retrying
        log.exception("%s failed", what)
        record_failure(factory, f"{type(error).__name__}: {error}")
        return "failed"


@app.task(bind=True, name=jobs.RUN_CHUNK_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_chunk_task(self: Task, sweep_id: int, chunk_index: int) -> str:
    """Evaluate and store one chunk."""
    return _run(self, f"sweep {sweep_id} chunk {chunk_index}",
                lambda factory: run_chunk(factory, sweep_id, chunk_index).status,
                lambda factory, error: fail_chunk(factory, sweep_id, chunk_index, error))


@app.task(bind=True, name=jobs.SEARCH_STEP_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def search_step_task(self: Task, sweep_id: int) -> str:
    """One step of a `search` sweep's driver: tell the last batch, ask the next and queue its chunks."""
    settings: Any = app.conf.dse_settings
    return _run(self, f"search sweep {sweep_id} step",
                lambda factory: search_step(factory, settings.sqlalchemy_url, sweep_id,
                                            max_chunk=settings.chunk_size or 5000).status,
                lambda factory, error: fail_search(factory, sweep_id, f"search step: {error}"))


@app.task(bind=True, name=jobs.DISPATCH_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch_sweep_task(self: Task, sweep_id: int) -> str:
    """Publish the chunk tasks of a large sweep (outside the request that created it)."""
    return _run(self, f"sweep {sweep_id} dispatch", lambda factory: f"queued {dispatch(factory, sweep_id)}",
                lambda factory, error: log.error("sweep %d: chunks not dispatched (%s); the lost-work watch will "
                                                 "queue them", sweep_id, error))
