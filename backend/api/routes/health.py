"""Health: `/api/health` says the process answers (no round trip to anything); `/api/ready` says whether the
database, the broker and at least one worker answer.

Readiness is bounded and shared: each probe runs on its own connection (never the pools that requests and job
publishing use) with a short timeout; one probe runs at a time, and its answer serves every caller for a few
seconds, so a burst of load-balancer checks costs one probe and can never tie up the request threads. Answers name
no host, port, database or worker: they go to anyone.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

import redis
from celery import Celery
from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from backend.core.broker import ping_workers
from backend.core.settings import Settings

router = APIRouter(tags=["health"])
PROBE_TIMEOUT_S = 2.0
FRESH_S = 3.0


class Live(BaseModel):
    status: str = Field(description="`ok`: the API process answers.")


class PartHealth(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: str = Field(description="`ok` when every part is up, else `degraded`.")
    database: PartHealth
    broker: PartHealth
    workers: PartHealth
    checked_s_ago: float = Field(description="Age of this answer (probes are shared for a few seconds).")


@dataclass
class _Answer:
    database: PartHealth
    broker: PartHealth
    workers: PartHealth
    at: float


def _redis_client(url: str) -> redis.Redis:
    options = {"socket_timeout": PROBE_TIMEOUT_S / 2, "socket_connect_timeout": PROBE_TIMEOUT_S / 2}
    if url.startswith("redis+socket://"):
        return redis.Redis(unix_socket_path=url.removeprefix("redis+socket://"), **options)
    return redis.Redis.from_url(url, **options)


def _probe_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"timeout": PROBE_TIMEOUT_S / 2}, pool_size=1, max_overflow=0)
    return create_engine(url, pool_size=1, max_overflow=0, pool_timeout=PROBE_TIMEOUT_S / 2, pool_pre_ping=True,
                         connect_args={"connect_timeout": 1, "options": "-c statement_timeout=1000"})


class ReadinessProbe:
    """The last readiness answer, refreshed by one probe at a time in a daemon thread."""

    def __init__(self, settings: Settings, celery: Celery) -> None:
        self.settings, self.celery = settings, celery
        self.engine = _probe_engine(settings.sqlalchemy_url)
        self._lock = threading.Lock()
        self._answer: _Answer | None = None
        self._running: threading.Thread | None = None

    def _database(self) -> PartHealth:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1")).scalar_one()
            return PartHealth(ok=True, detail=self.engine.dialect.name)
        except Exception:  # noqa: BLE001 - any failure means the part is down; its text may name hosts
            return PartHealth(ok=False, detail="unreachable")

    def _broker(self) -> PartHealth:
        client = _redis_client(self.settings.celery_broker_url)
        try:
            client.ping()
            return PartHealth(ok=True, detail="redis")
        except (redis.RedisError, OSError):
            return PartHealth(ok=False, detail="unreachable")
        finally:
            client.close()

    def _workers(self) -> PartHealth:
        try:
            with self.celery.connection_for_read() as connection:  # its own connection, not the producer pool
                names = ping_workers(self.celery, timeout_s=0.5, connection=connection)
        except Exception:  # noqa: BLE001 - a broker that fails mid-ping: no worker is known to answer
            return PartHealth(ok=False, detail="no answer")
        if not names:
            return PartHealth(ok=False, detail="no worker answered a ping; start one with `dse worker`")
        return PartHealth(ok=True, detail=f"{len(names)} worker(s) answering")

    def _probe(self) -> None:
        database, broker = self._database(), self._broker()
        workers = self._workers() if broker.ok else PartHealth(ok=False, detail="broker is down")
        with self._lock:
            self._answer = _Answer(database, broker, workers, time.monotonic())
            self._running = None

    def current(self) -> tuple[_Answer | None, threading.Thread | None]:
        """The last answer, and the probe refreshing it when it is stale (None when it is fresh)."""
        with self._lock:
            answer = self._answer
            if answer is not None and time.monotonic() - answer.at < FRESH_S:
                return answer, None
            if self._running is None:
                self._running = threading.Thread(target=self._probe, name="readiness", daemon=True)
                self._running.start()
            return answer, self._running

    def settled(self, previous: _Answer | None) -> _Answer:
        """After waiting for a probe: its answer, else the previous one, else 'timed out'."""
        with self._lock:
            if self._answer is not None and self._answer is not previous:
                return self._answer
        slow = PartHealth(ok=False, detail="probe timed out")
        return previous if previous is not None else _Answer(slow, slow, slow, time.monotonic())

    async def answer(self) -> _Answer:
        """Waits for a running probe on the event loop (polling), so no request thread is ever held by it."""
        answer, running = self.current()
        if running is None and answer is not None:
            return answer
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while running is not None and running.is_alive() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.settled(answer)


@router.get("/api/health", response_model=Live, summary="Liveness: the API process answers (no probes)")
async def health() -> Live:
    return Live(status="ok")


@router.get("/api/ready", response_model=Health, summary="Readiness: the database, the broker and a worker answer",
            description="Probes are bounded (about 2 s) and shared: an answer serves every caller for 3 s.")
async def ready(request: Request, response: Response) -> Health:
    probe: ReadinessProbe = request.app.state.readiness
    answer = await probe.answer()
    all_ok = answer.database.ok and answer.broker.ok and answer.workers.ok
    if not all_ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="ok" if all_ok else "degraded", database=answer.database, broker=answer.broker,
                  workers=answer.workers, checked_s_ago=round(time.monotonic() - answer.at, 3))
