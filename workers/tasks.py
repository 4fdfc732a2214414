"""Celery tasks. Each is a few lines: the work lives in plain functions tests call without a broker."""

from __future__ import annotations
