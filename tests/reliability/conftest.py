"""Fixtures of the fault tests (defined in support.py with the helpers they share)."""

from tests.reliability.support import db, pg_settings, private_redis, processes  # noqa: F401
