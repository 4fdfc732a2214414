"""The one place that builds the Celery app (broker from settings; no result backend: results live in SQL)."""

from __future__ import annotations

from celery import Celery

from backend.settings import Settings, get_settings

# Redis redelivers an unacknowledged task after this many seconds; it must exceed the longest chunk.
VISIBILITY_TIMEOUT_S = 3600


def create_celery(settings: Settings) -> Celery:
    app = Celery("dse", broker=settings.celery_broker_url, include=["workers.tasks"])
    app.conf.update(
        task_default_queue=settings.queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
    )
    app.conf.dse_settings = settings
    return app


def ping_workers(app: Celery, timeout_s: float = 1.0) -> list[str]:
    """Names of the workers that answered a broadcast ping on this broker."""
    replies = app.control.ping(timeout=timeout_s) or []
    return sorted(name for reply in replies for name in reply)


app = create_celery(get_settings())
