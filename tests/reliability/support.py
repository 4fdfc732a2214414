"""Fault-test helpers: real `dse worker` and API processes on this run's PostgreSQL database, a broker that may be
the shared Redis (on a private queue) or a private redis-server the test may restart.

Every count a test checks is also written to test-artifacts/reliability-counts.json (the issue asks for them).
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backend.core.broker import create_celery
from backend.core.db import make_engine, make_session_factory
from backend.core.settings import Settings
from backend.migrate import upgrade
from backend.models import DesignPoint, Sweep, SweepChunk
from tests.support import BIN, clean_env, free_port, launch_worker
from tests.sweeps_support import wait_for_worker

COUNTS_FILE = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability-counts.json"
# Chunks of this test take well under a second; a task held by a killed worker comes back after this long.
VISIBILITY_TIMEOUT_S = 8

# 2 sequence lengths x 16 x 16 arrays of BERT-large: ~5 to 15 s of work on one process, chunks of 8 points.
FAULT_SPEC: dict[str, Any] = {
    "name": "faults", "models": ["bert-large"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
    "accelerator": "gemmini-default",
    "axes": {"rows": {"start": 4, "stop": 64, "step": 4}, "cols": {"start": 4, "stop": 64, "step": 4}},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}
FAULT_SPEC_POINTS = 2 * 16 * 16


def record_counts(test: str, counts: dict[str, Any]) -> None:
    COUNTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    recorded = json.loads(COUNTS_FILE.read_text()) if COUNTS_FILE.exists() else {}
    recorded[test] = counts
    COUNTS_FILE.write_text(json.dumps(recorded, indent=2, sort_keys=True))
    print(f"{test}: {counts}")


def kill_tree(pid: int) -> int:
    """SIGKILL a process and all its descendants at once (no chance to ack, clean up or say goodbye)."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return 0
    victims = [root, *root.children(recursive=True)]
    for victim in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            victim.send_signal(signal.SIGKILL)
    psutil.wait_procs(victims, timeout=10)
    return len(victims)


class PrivateRedis:
    """A redis-server of this test alone on a free loopback port: persistent (appendfsync always) so a restart keeps
    its queue, or not (a restart empties it, as the shared default `--save "" --appendonly no` does)."""

    def __init__(self, directory: Path, persistent: bool = True) -> None:
        self.directory = directory
        self.persistent = persistent
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
             *(["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]),
             "--save", "", "--daemonize", "no",
             "--logfile", str(self.directory / "redis.log")])
        deadline = time.monotonic() + 15
        while True:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except (redis.RedisError, OSError):
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, "private redis-server did not start"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop(signal.SIGKILL)


@pytest.fixture
def volatile_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "volatile-redis", persistent=False)
    server.start()
    yield server
    server.stop(signal.SIGKILL)


class DatabaseOutage:
    """A TCP relay between the worker and PostgreSQL that the test can cut: while cut, every open connection is
    closed and new ones are refused, exactly what the worker sees when the database server goes away."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.restore()

    def url(self, database_url: str) -> str:
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            victims, self._sockets = [*self._sockets, self._listener], []
            self._listener = None
        for sock in victims:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                alive = self._listener is listener  # a cut between accept() and here must not leave this one open
                if alive:
                    self._sockets += [client, server]
            if not alive:
                for sock in (client, server):
                    sock.close()
                return
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def database_outage(postgres_url: str) -> Iterator[DatabaseOutage]:
    relay = DatabaseOutage(make_url(postgres_url).port or 5432)
    yield relay
    relay.cut()


@pytest.fixture
def pg_settings(postgres_url: str, redis_url: str, queue_name: str, tmp_path: Path) -> Settings:
    upgrade(postgres_url)
    return Settings(state_dir=tmp_path / "var", database_url=postgres_url, broker_url=redis_url, queue=queue_name,
                    demo_sweep=False, chunk_size=8, visibility_timeout_s=VISIBILITY_TIMEOUT_S)


def process_env(settings: Settings) -> dict[str, str]:
    env = clean_env()
    env.update({"DSE_DATABASE_URL": settings.sqlalchemy_url, "DSE_BROKER_URL": settings.celery_broker_url,
                "DSE_QUEUE": settings.queue, "DSE_STATE_DIR": str(settings.resolved_state_dir),
                "DSE_CHUNK_SIZE": str(settings.chunk_size), "DSE_DEMO_SWEEP": "false",
                "DSE_VISIBILITY_TIMEOUT_S": str(settings.visibility_timeout_s), "DSE_AUTH": "off"})
    return env


class Processes:
    """Workers and API servers started by one test; whatever is still alive is stopped at its end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def _spawn(self, args: list[str], settings: Settings, log_name: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.tmp_path / f"{log_name}-{len(self.started)}.log"
        process = subprocess.Popen(args, env=process_env(settings), cwd=self.tmp_path, stdout=log.open("wb"),
                                   stderr=subprocess.STDOUT)
        self.started.append(process)
        return process, log

    def worker(self, settings: Settings, concurrency: int = 1) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"worker-{len(self.started)}.log"
        process = launch_worker(self.tmp_path, process_env(settings), log, concurrency)
        self.started.append(process)
        wait_for_worker(create_celery(settings), process, log)
        return process

    def api(self, settings: Settings, port: int) -> subprocess.Popen[bytes]:
        process, log = self._spawn([str(BIN / "uvicorn"), "backend.asgi:app", "--host", "127.0.0.1", "--port",
                                    str(port), "--log-level", "warning"], settings, "api")
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_tree(process.pid)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    yield started
    started.stop_all()


@pytest.fixture
def db(pg_settings: Settings):
    engine = make_engine(pg_settings.sqlalchemy_url)
    yield make_session_factory(engine)
    engine.dispose()


def stored_counts(factory, sweep_id: int) -> dict[str, int]:
    """What the database holds for a sweep: rows, distinct point indices, its counters and its chunks."""
    with factory() as session:
        rows, distinct = session.execute(select(func.count(), func.count(DesignPoint.point_index.distinct())).where(
            DesignPoint.sweep_id == sweep_id)).one()
        sweep = session.get(Sweep, sweep_id)
        attempts = session.execute(select(func.sum(SweepChunk.attempts)).where(
            SweepChunk.sweep_id == sweep_id)).scalar_one()
        assert sweep is not None
        return {"status": sweep.status, "total_points": sweep.total_points, "stored_rows": int(rows),
                "distinct_point_indices": int(distinct), "done_points": sweep.done_points,
                "failed_points": sweep.failed_points, "chunks": sweep.chunk_count, "chunks_done": sweep.chunks_done,
                "chunks_failed": sweep.chunks_failed,
                "chunk_attempts": int(attempts or 0)}


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(0.1)
