"""The one place that builds the Celery app (broker from settings; no result backend: results live in SQL).

The API and the CLI use it to send tasks by name; `workers/celery_app.py` adds the task modules for the worker.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from celery import Celery
from kombu import Connection

from backend.core.settings import Settings


def create_celery(settings: Settings, include: Sequence[str] = ()) -> Celery:
    app = Celery("dse", broker=settings.celery_broker_url, include=list(include))
    app.conf.update(
        task_default_queue=settings.queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        # Redis redelivers a task left unacknowledged this long (its worker was SIGKILLed mid-chunk): above the
        # longest chunk, and short enough that a sweep does not stall for long. The restore sweep runs often.
        # Every socket op on the broker is bounded: a broker that stops answering is an error, never a hang.
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_s,
                                  "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_s // 4)),
                                  "unacked_restore_throttle": 1, "socket_timeout": 10, "socket_connect_timeout": 5},
        broker_connection_timeout=5,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_serializer="json",
        accept_content=["json"],
    )
    app.conf.dse_settings = settings
    return app


def ping_workers(app: Celery, timeout_s: float = 1.0, connection: Connection | None = None) -> list[str]:
    """Names of the workers that answered a broadcast ping on this broker (on `connection` when given)."""
    replies = app.control.ping(timeout=timeout_s, connection=connection) or []
    return sorted(name for reply in replies for name in reply)


def pending_tasks(app: Celery, queue: str, limit: int = 100_000) -> list[tuple[str, list[Any]]]:
    """(task name, args) of every task of `queue` the broker still holds: waiting in the queue or delivered and not
    yet acknowledged (kombu's Redis transport keeps those in its `unacked` hash until the worker acks)."""
    with app.connection_for_read() as connection:
        client = connection.default_channel.client
        raw = [json.loads(item) for item in client.lrange(queue, 0, limit)]
        for value in client.hvals("unacked")[:limit]:
            message, _exchange, routing_key = json.loads(value)
            if routing_key == queue:
                raw.append(json.loads(message) if isinstance(message, str) else message)
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in raw]


def waiting_tasks(app: Celery, queue: str) -> int:
    """Tasks in the broker's queue (a Redis list named after the queue; no priorities are used)."""
    with app.connection_for_read() as connection:
        return int(connection.default_channel.client.llen(queue))
