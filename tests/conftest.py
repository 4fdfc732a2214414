"""Shared fixtures: real PostgreSQL and Redis on 127.0.0.1, each test run isolated in its own database/queue.

When a service is unreachable the tests that need it fail loudly with the command that starts it:
a skipped test must never hide missing set-up.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import RunningStack, launch_stack, stop_process
from tests.sweeps_support import client, database_url, session_factory, settings, start_worker  # noqa: F401

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'

RUN_ID = uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("DSE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure: say how to fix it
        pytest.fail(f"PostgreSQL is not reachable at {url} ({error}); start it with: {START_POSTGRES} "
                    "or set DSE_TEST_POSTGRES_URL", pytrace=False)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh database for this test run, dropped at the end (concurrent runs never collide)."""
    name = f"dse_test_{RUN_ID}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("DSE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as error:
        pytest.fail(f"Redis is not reachable at {url} ({error}); start it with: {START_REDIS} "
                    "or set DSE_TEST_REDIS_URL", pytrace=False)
    return url


@pytest.fixture
def queue_name() -> str:
    """A Celery queue private to one test, so parallel runs on one Redis never steal each other's tasks."""
    return f"dse-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def start_stack(tmp_path: Path) -> Iterator[Callable[..., RunningStack]]:
    """Start `dse serve` as a real subprocess (uvicorn + worker + broker); stopped with SIGINT afterwards."""
    started: list[RunningStack] = []

    def start(env: dict[str, str] | None = None, cwd: Path | None = None) -> RunningStack:
        stack = launch_stack(cwd or tmp_path, env)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        stop_process(stack.process, signal.SIGINT)
