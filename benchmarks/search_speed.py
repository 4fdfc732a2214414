"""A search's points/s against the equivalent grid's, both through real `dse worker` processes on SQLite + Redis.

The search is issue 28's: NSGA-II over rows/cols 4..128 step 4 x scratchpad {64,128,256,512} x two sequence lengths
of BERT-Base, budget 1,000 points; the grid is the full product of that space (8,192 points). Prints each one's wall
time (creation to `done`) and points/s, and the ratio; target: the search at no less than a third of the grid.

    .venv/bin/python benchmarks/search_speed.py [--budget 1000] [--workers 2] [--batch-size N]

Measured on the 2-core development machine (shared, so +-20 %): before issue 28, grid 117 points/s, search
2 points/s (ratio 0.02, 997 points in 508 s: driver steps of 3-14 s, 96 % of them in Optuna's RDB storage);
after, grid 193 points/s, search 76 points/s (ratio 0.39, 1,000 points in 13 s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.core.broker import create_celery, ping_workers
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.settings import Settings
from backend.migrate import upgrade
from backend.models import Sweep
from backend.sweeps import jobs
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec

SPACE: dict[str, Any] = {
    "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}], "accelerator": "gemmini-default",
    "axes": {"rows": {"min": 4, "max": 128, "step": 4}, "cols": {"min": 4, "max": 128, "step": 4},
             "scratchpad_kib": [64, 128, 256, 512]},
    "objectives": ["latency_s", "energy_j"],
}


def _run(factory: Any, settings: Settings, spec: SweepSpec) -> tuple[float, Sweep]:
    """Wall time from creation to a final status, and the sweep's row then."""
    started = time.perf_counter()
    with transaction(factory) as session:
        sweep_id = create_sweep(session, spec, settings).id
    while True:
        with factory() as session:
            state = session.get(Sweep, sweep_id)
            assert state is not None
            if state.status in ("done", "failed", "cancelled"):
                return time.perf_counter() - started, state
        time.sleep(0.1)


def _start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    dse = str(Path(sys.executable).parent / "dse")
    return [subprocess.Popen([dse, "worker", "--concurrency", "1"], env=env,
                             stdout=(logs / f"search-speed-worker-{i}.log").open("wb"), stderr=subprocess.STDOUT)
            for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=None, help="points per search batch (default: the spec's)")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="dse-search-speed-"))
    database_url = f"sqlite:///{directory / 'dse.sqlite3'}"
    upgrade(database_url)
    queue = f"dse-search-speed-{os.getpid()}"
    settings = Settings(database_url=database_url, broker_url=args.broker, queue=queue, demo_sweep=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSE_")}
    env.update({"DSE_DATABASE_URL": database_url, "DSE_BROKER_URL": args.broker, "DSE_QUEUE": queue})
    logs = Path("var") / "benchmarks"
    logs.mkdir(parents=True, exist_ok=True)
    workers = _start_workers(args.workers, env, logs)
    celery = create_celery(settings)
    try:
        deadline = time.monotonic() + 60
        while len(ping_workers(celery, 0.5)) < args.workers:
            if time.monotonic() > deadline:
                raise SystemExit("workers did not start; see var/benchmarks/search-speed-worker-*.log")
        factory = jobs.install(make_session_factory(make_engine(database_url)), celery, queue)
        grid_s, grid = _run(factory, settings, SweepSpec.model_validate(
            {**SPACE, "name": "speed-grid", "strategy": "grid"}))
        search_spec = {**SPACE, "name": "speed-search", "strategy": "search", "budget": args.budget}
        if args.batch_size:
            search_spec["batch_size"] = args.batch_size
        search_s, search = _run(factory, settings, SweepSpec.model_validate(search_spec))
        grid_rate = (grid.done_points + grid.failed_points) / grid_s
        search_rate = (search.done_points + search.failed_points) / search_s
        print(f"workers:  {args.workers} `dse worker` processes (concurrency 1 each), SQLite + Redis")
        print(f"grid:     {grid.done_points + grid.failed_points:,} points ({grid.status}) in {grid_s:.1f} s = "
              f"{grid_rate:,.0f} points/s, {grid.chunk_count} chunks of {grid.chunk_size}")
        print(f"search:   {search.done_points + search.failed_points:,} points ({search.status}) in {search_s:.1f} s "
              f"= {search_rate:,.0f} points/s, {search.chunk_count} chunks of up to {search.chunk_size}")
        print(f"ratio:    search / grid = {search_rate / grid_rate:.2f} (target >= 0.33)")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


if __name__ == "__main__":
    main()
