"""Fixtures and helpers shared by the API and worker tests: migrated databases, a real worker subprocess."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from backend.app import create_app
from backend.core.broker import create_celery, ping_workers
from backend.core.db import make_engine, make_session_factory
from backend.core.settings import Settings
from backend.migrate import upgrade
from backend.models import Base
from backend.sweeps import jobs
from tests.support import launch_worker, stop_process

DEMO_SPEC: dict[str, Any] = {
    "name": "demo", "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
    "accelerator": "gemmini-default", "axes": {"rows": [8, 16, 32], "cols": [8, 16, 32], "scratchpad_kib": [64, 256]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}
SEARCH_DEMO_SPEC: dict[str, Any] = {  # issue 7's example, as written
    "name": "search-demo", "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
    "accelerator": "gemmini-default",
    "axes": {"rows": {"min": 4, "max": 128, "step": 4}, "cols": {"min": 4, "max": 128, "step": 4},
             "scratchpad_kib": [64, 128, 256, 512]},
    "strategy": "search", "budget": 300, "objectives": ["latency_s", "energy_j"],
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database built by `alembic upgrade head`: a fresh SQLite file, or this run's PostgreSQL database."""
    url = f"sqlite:///{tmp_path / 'dse.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue(
        "postgres_url")
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url: str, redis_url: str, queue_name: str, tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "var", database_url=database_url, broker_url=redis_url, queue=queue_name,
                    auth="off", demo_sweep=False, chunk_size=10)


@pytest.fixture
def session_factory(request: pytest.FixtureRequest, settings: Settings) -> Iterator[sessionmaker[Session]]:
    """The test's sessions; their queued jobs go to the test's private queue.

    On PostgreSQL (one database for the run) an in-process test runs inside one transaction that is rolled back at
    its end, so it sees only its own rows; a test with a worker subprocess (`start_worker`) commits for real, and
    its rows are deleted afterwards. SQLite is a fresh file per test.
    """
    engine = make_engine(settings.sqlalchemy_url)
    celery = create_celery(settings)
    postgres = engine.dialect.name == "postgresql"
    if postgres and "start_worker" not in request.fixturenames:
        connection = engine.connect()
        outer = connection.begin()
        factory = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        yield jobs.install(factory, celery, settings.queue)
        outer.rollback()
        connection.close()
    else:
        yield jobs.install(make_session_factory(engine), celery, settings.queue)
        if postgres:
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {', '.join(Base.metadata.tables)} CASCADE"))
    engine.dispose()


def make_client(settings: Settings, factory: sessionmaker[Session]) -> TestClient:
    """A TestClient on an app for `settings` whose requests use the test's sessions (see `session_factory`)."""
    app = create_app(settings)
    app.state.engine.dispose()
    app.state.session_factory = factory
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    with make_client(settings, session_factory) as test_client:
        yield test_client


def queued_tasks(settings: Settings) -> list[tuple[str, list[Any]]]:
    """(task name, args) of every message waiting in the test's queue, oldest first (Redis list, kombu's JSON)."""
    client = redis.Redis.from_url(settings.celery_broker_url)
    messages = [json.loads(raw) for raw in reversed(client.lrange(settings.queue, 0, -1))]
    client.close()
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


def worker_env(settings: Settings) -> dict[str, str]:
    return {"DSE_DATABASE_URL": settings.sqlalchemy_url, "DSE_BROKER_URL": settings.celery_broker_url,
            "DSE_QUEUE": settings.queue, "DSE_STATE_DIR": str(settings.resolved_state_dir)}


def wait_for_worker(celery: Celery, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"worker exited with {process.returncode}:\n{log.read_text()}")
        if ping_workers(celery, timeout_s=0.5):
            return
        time.sleep(0.2)
    raise AssertionError(f"worker did not answer a ping in {timeout_s} s:\n{log.read_text()}")


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """`dse worker` as a real subprocess on the test's broker, queue and database."""
    started: list[subprocess.Popen[bytes]] = []
    celery = create_celery(settings)

    def start(concurrency: int = 1) -> subprocess.Popen[bytes]:
        log = tmp_path / f"worker-{len(started)}.log"
        process = launch_worker(tmp_path, worker_env(settings), log, concurrency)
        started.append(process)
        wait_for_worker(celery, process, log)
        return process

    yield start
    for process in started:
        stop_process(process)


def wait_for_sweep(client: TestClient, sweep_id: int, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    sweep: dict[str, Any] = {}
    while time.monotonic() < deadline:
        sweep = client.get(f"/api/sweeps/{sweep_id}").json()
        if sweep["status"] in ("done", "failed", "cancelled"):
            return sweep
        time.sleep(0.3)
    raise AssertionError(f"sweep {sweep_id} not finished after {timeout_s} s: {sweep}")
