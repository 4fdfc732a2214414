"""Celery tasks. Each is a few lines: the work lives in plain functions tests call without a broker."""

from __future__ import annotations

import logging
from functools import cache

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.db import make_engine, make_session_factory
from backend.services.dispatch import RUN_CHUNK_TASK, SEARCH_STEP_TASK, enqueue_chunks, enqueue_search_step
from backend.settings import Settings
from workers.celery_app import app
from workers.chunks import fail_chunk, run_chunk
from workers.search import fail_search, search_step

log = logging.getLogger("dse.tasks")


@cache
def _session_factory(database_url: str) -> sessionmaker[Session]:
    """One engine per worker process (created after the fork, on first use)."""
    return make_session_factory(make_engine(database_url))


def _settings() -> Settings:
    return app.conf.dse_settings


@app.task(bind=True, name=RUN_CHUNK_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_chunk_task(self, sweep_id: int, chunk_index: int) -> str:  # type: ignore[no-untyped-def]
    """Evaluate and store one chunk; database errors retry with exponential backoff up to a cap."""
    settings = _settings()
    factory = _session_factory(settings.sqlalchemy_url)
    try:
        result = run_chunk(factory, sweep_id, chunk_index)
        if result.batch_complete:  # a search sweep: this chunk completed its batch
            enqueue_search_step(app, settings.queue, sweep_id)
        return result.status
    except (OperationalError, DBAPIError) as error:
        if self.request.retries >= settings.db_max_retries:
            log.error("sweep %d chunk %d: giving up after %d retries: %s", sweep_id, chunk_index,
                      self.request.retries, error)
            if fail_chunk(factory, sweep_id, chunk_index, f"database error after {self.request.retries} retries: "
                          f"{type(error.orig or error).__name__}: {error.orig or error}"):
                enqueue_search_step(app, settings.queue, sweep_id)
            return "failed"
        raise self.retry(exc=error, countdown=min(60, 2 ** self.request.retries), max_retries=None) from error
    except Exception as error:  # a bug or bad spec: deterministic, so record it instead of retrying
        log.exception("sweep %d chunk %d failed", sweep_id, chunk_index)
        if fail_chunk(factory, sweep_id, chunk_index, f"{type(error).__name__}: {error}"):
            enqueue_search_step(app, settings.queue, sweep_id)
        return "failed"


@app.task(bind=True, name=SEARCH_STEP_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def search_step_task(self, sweep_id: int) -> str:  # type: ignore[no-untyped-def]
    """One step of a `search` sweep's driver: tell the last batch, ask the next and queue its chunks."""
    settings = _settings()
    factory = _session_factory(settings.sqlalchemy_url)
    try:
        result = search_step(factory, settings.sqlalchemy_url, sweep_id, max_chunk=settings.chunk_size or 5000)
    except (OperationalError, DBAPIError) as error:
        if self.request.retries >= settings.db_max_retries:
            log.error("search sweep %d: step gave up after %d retries: %s", sweep_id, self.request.retries, error)
            raise
        raise self.retry(exc=error, countdown=min(60, 2 ** self.request.retries), max_retries=None) from error
    except Exception as error:  # a bug or bad spec: deterministic, so the sweep fails with the reason
        log.exception("search sweep %d: step failed", sweep_id)
        fail_search(factory, sweep_id, f"search step: {type(error).__name__}: {error}")
        return "failed"
    if result.chunk_indices:
        enqueue_chunks(app, settings.queue, sweep_id, result.chunk_indices)
    return result.status
