"""`dse worker`'s watch for chunks the broker lost (backend/sweeps/lost_chunks.py), in a daemon thread."""

from __future__ import annotations

import logging
import threading

from backend.core.broker import create_celery, waiting_tasks
from backend.core.db import make_engine, make_session_factory
from backend.core.settings import Settings
from backend.sweeps import jobs
from backend.sweeps.lost_chunks import requeue_lost_chunks

log = logging.getLogger("dse.worker")


def watch(settings: Settings) -> threading.Event:
    """Checks for lost chunks every half visibility timeout; set the returned event to stop."""
    stop = threading.Event()
    celery = create_celery(settings)
    factory = jobs.install(make_session_factory(make_engine(settings.sqlalchemy_url)), celery, settings.queue)

    def loop() -> None:
        while not stop.wait(max(1.0, settings.visibility_timeout_s / 2)):
            try:
                requeue_lost_chunks(factory, waiting_tasks(celery, settings.queue), settings.visibility_timeout_s)
            except Exception:  # the broker or the database may be down: try again next time (logged)
                log.warning("could not check for lost chunks", exc_info=True)

    threading.Thread(target=loop, name="lost-chunks", daemon=True).start()
    return stop
