"""`dse worker`'s watch for work the broker lost (backend/sweeps/lost_chunks.py), in a daemon thread."""

from __future__ import annotations

import logging
import threading

from backend.core.broker import create_celery, pending_tasks
from backend.core.db import make_engine, make_session_factory
from backend.core.settings import Settings
from backend.sweeps import jobs
from backend.sweeps.lost_chunks import requeue_lost_work

log = logging.getLogger("dse.worker")


def watch(settings: Settings) -> threading.Event:
    """Compares the database with the broker every DSE_LOST_WORK_CHECK_S; set the returned event to stop."""
    stop = threading.Event()
    celery = create_celery(settings)
    factory = jobs.install(make_session_factory(make_engine(settings.sqlalchemy_url)), celery, settings.queue)

    def loop() -> None:
        while not stop.wait(settings.lost_work_check_s):
            try:
                requeue_lost_work(factory, pending_tasks(celery, settings.queue), settings.lost_work_stall_s)
            except Exception:  # the broker or the database may be down: try again next time (logged)
                log.warning("could not check for lost work", exc_info=True)

    threading.Thread(target=loop, name="lost-work", daemon=True).start()
    return stop
