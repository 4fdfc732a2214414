"""The worker's Celery app: the service's broker configuration (backend.core.broker) plus the task modules."""

from __future__ import annotations

from backend.core.broker import create_celery
from backend.core.settings import get_settings

app = create_celery(get_settings(), include=["workers.tasks"])
