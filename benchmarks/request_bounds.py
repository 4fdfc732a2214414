"""What the hardening (issue 18) costs and bounds, on a real `uvicorn backend.asgi:app` over loopback (a scratch
PostgreSQL database in team mode, the test Redis on a private queue, one `dse worker`):

- the time `POST /api/sweeps` takes for a 10^6-point sweep (its chunks are published by the worker's dispatch job,
  not in the request), and how long until the dispatch job has queued every chunk;
- a burst of 100 concurrent health/readiness checks, then a signed-in read;
- the API process's memory after repeated 300-axis estimates (refused before anything is expanded).

    .venv/bin/python benchmarks/request_bounds.py [--points 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil
from sqlalchemy import func, select

from backend.accounts import service as accounts
from backend.core.broker import create_celery, waiting_tasks
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.settings import Settings
from backend.models import SweepChunk, SweepStatus
from benchmarks._bench_db import drop_database, scratch_database

BIN = Path(sys.executable).parent


def spec_of(points: int) -> dict[str, object]:
    """A grid of `points` points (100 x 100 x points/10^4 arrays and scratchpads)."""
    return {"name": "big", "models": ["bert-base"], "scenarios": [{"seq_len": 128}],
            "axes": {"rows": {"start": 1, "stop": 100, "step": 1}, "cols": {"start": 1, "stop": 100, "step": 1},
                     "scratchpad_kib": {"start": 1, "stop": max(1, points // 10_000), "step": 1}}}


def wait_up(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the stack at {url} did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    url = scratch_database()
    queue = f"dse-bounds-{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=url, broker_url="redis://127.0.0.1:6379/0", queue=queue, demo_sweep=False)
    factory = make_session_factory(make_engine(url))
    with transaction(factory) as session:
        accounts.add_user(session, "ada", "member")
        token = accounts.create_token(session, "ada")[1]
    headers = {"Authorization": f"Bearer {token}"}
    env = {**os.environ, "DSE_DATABASE_URL": url, "DSE_BROKER_URL": settings.celery_broker_url, "DSE_QUEUE": queue,
           "DSE_DEMO_SWEEP": "false"}
    port = 8700 + os.getpid() % 200
    base = f"http://127.0.0.1:{port}"
    api = subprocess.Popen([str(BIN / "uvicorn"), "backend.asgi:app", "--port", str(port), "--no-access-log",
                            "--log-level", "warning"], env=env)
    # the worker only dispatches here: it would start evaluating chunks too, so it is stopped once they are queued
    worker = subprocess.Popen([str(BIN / "dse"), "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    figures: dict[str, object] = {}
    try:
        wait_up(base)
        server = psutil.Process(api.pid)
        started = time.perf_counter()
        created = httpx.post(f"{base}/api/sweeps", json=spec_of(args.points), headers=headers, timeout=120)
        request_s = time.perf_counter() - started
        assert created.status_code == 201, created.text
        sweep = created.json()
        celery = create_celery(settings)
        while True:
            with factory() as session:
                not_queued = session.execute(select(func.count()).where(
                    SweepChunk.sweep_id == sweep["id"], SweepChunk.status != SweepStatus.QUEUED)).scalar_one()
            if waiting_tasks(celery, queue) + not_queued >= sweep["chunk_count"] or time.perf_counter() - started > 120:
                break
            time.sleep(0.05)
        dispatched_s = time.perf_counter() - started
        worker.terminate()
        httpx.post(f"{base}/api/sweeps/{sweep['id']}/cancel", headers=headers, timeout=30)
        figures["create_sweep"] = {"points": sweep["total_points"], "chunks": sweep["chunk_count"],
                                   "request_s": round(request_s, 3), "all_chunks_queued_s": round(dispatched_s, 2)}

        client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=100))
        time.sleep(3.1)  # the readiness answer is stale again: the burst pays for one probe

        def check(i: int) -> float:
            begun = time.perf_counter()
            client.get(f"{base}/api/{'health' if i % 2 else 'ready'}")
            return time.perf_counter() - begun

        started = time.perf_counter()
        with ThreadPoolExecutor(100) as pool:
            slowest = max(pool.map(check, range(100)))
        burst_s = time.perf_counter() - started
        started = time.perf_counter()
        client.get(f"{base}/api/sweeps", headers=headers)
        figures["health_burst"] = {"checks": 100, "burst_s": round(burst_s, 3), "slowest_s": round(slowest, 3),
                                   "read_after_s": round(time.perf_counter() - started, 3)}

        huge = {"name": "x", "models": ["bert-base"],
                "axes": {f"a{i}": {"start": 0, "stop": 99_999, "step": 1} for i in range(300)}}
        before = server.memory_info().rss
        timings = []
        for _ in range(20):
            begun = time.perf_counter()
            client.post(f"{base}/api/sweeps/estimate", json=huge, headers=headers)
            timings.append(time.perf_counter() - begun)
        figures["estimate_300_axes"] = {"requests": 20, "slowest_s": round(max(timings), 4),
                                        "rss_growth_mb": round((server.memory_info().rss - before) / 2**20, 2)}
    finally:
        for process in (api, worker):
            process.terminate()
            process.wait(timeout=30)
        drop_database(url)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
