"""Migrated databases (SQLite and PostgreSQL), an app on them, and a real `dse worker` subprocess."""

from tests.sweeps_support import client, database_url, session_factory, settings, start_worker  # noqa: F401
