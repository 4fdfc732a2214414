"""Fixtures of the fault tests (defined in support.py with the helpers they share)."""

from tests.reliability.support import (  # noqa: F401
    database_outage,
    db,
    pg_settings,
    private_redis,
    processes,
    volatile_redis,
)
