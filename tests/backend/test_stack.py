"""`dse serve` end to end: a real uvicorn, a real Celery worker subprocess and a real broker and database."""

from __future__ import annotations

import signal
import stat
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.support import BIN, clean_env, free_port, wait_for_health

pytestmark = pytest.mark.slow


def _stop_and_assert_no_orphans(stack) -> None:
    parent = psutil.Process(stack.process.pid)
    children = parent.children(recursive=True)
    assert children, "dse serve should run a worker (and an embedded broker) as child processes"
    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=30) == 0, stack.log()
    gone, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, f"orphans left behind: {[p.cmdline() for p in alive]}"


def test_embedded_default_reports_every_part_up(start_stack, tmp_path: Path) -> None:
    stack = start_stack()
    health = wait_for_health(stack.base_url)
    assert health["status"] == "ok"
    assert health["database"] == {"ok": True, "detail": "sqlite"}
    assert health["broker"]["ok"] is True
    assert health["workers"]["ok"] is True
    assert (tmp_path / "var" / "dse.sqlite3").exists(), "state belongs under ./var of the working directory"
    assert (tmp_path / "var" / "redis.sock").exists()
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700  # results and accounts: the owner's only
    assert stat.S_IMODE((tmp_path / "var" / "dse.sqlite3").stat().st_mode) == 0o600
    _stop_and_assert_no_orphans(stack)


def test_single_user_mode_refuses_to_bind_beyond_loopback(tmp_path: Path) -> None:
    """Without sign-in everyone who reaches the server is admin: `dse serve --host 0.0.0.0` says so and stops."""
    done = subprocess.run([str(BIN / "dse"), "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "refusing to serve single-user mode" in done.stderr and "DSE_AUTH=required" in done.stderr
    assert not (tmp_path / "var").exists()  # nothing started, nothing created


@pytest.mark.postgres
@pytest.mark.redis
def test_team_deployment_on_postgres_and_redis(start_stack, postgres_url: str, redis_url: str,
                                               queue_name: str) -> None:
    stack = start_stack({"DSE_DATABASE_URL": postgres_url, "DSE_BROKER_URL": redis_url, "DSE_QUEUE": queue_name})
    health = wait_for_health(stack.base_url)
    assert health["database"] == {"ok": True, "detail": "postgresql"}
    assert health["workers"]["ok"] is True
    assert not (stack.state_dir / "redis.sock").exists(), "no embedded broker when DSE_BROKER_URL is set"
    _stop_and_assert_no_orphans(stack)


def test_health_says_which_part_is_down(start_stack, tmp_path: Path) -> None:
    """With the worker killed, the API still answers and names the missing part (503, not a crash)."""
    import httpx

    stack = start_stack()
    wait_for_health(stack.base_url)
    worker = next(p for p in psutil.Process(stack.process.pid).children()
                  if "worker" in " ".join(p.cmdline()))
    for process in [*worker.children(recursive=True), worker]:
        process.kill()
    psutil.wait_procs([worker], timeout=10)
    deadline = time.monotonic() + 15  # an answer serves callers for 3 s; the next probe sees the worker gone
    while (response := httpx.get(f"{stack.base_url}/api/ready", timeout=10)).status_code != 503:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.5)
    assert httpx.get(f"{stack.base_url}/api/health", timeout=10).json() == {"status": "ok"}  # still alive
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert body["workers"]["ok"] is False and "dse worker" in body["workers"]["detail"]
