"""End to end: a grid sweep (100,000 or 1,000,000 points) on PostgreSQL + Redis with 2 `dse worker` processes.

Prints the wall time from creation to `done`, points/s stored, chunking, the peak memory of the workers and the
database's size per stored point. Targets on a 2-core machine: 100,000 points under 3 minutes; 1,000,000 points
under 5 minutes (issue 17).

    .venv/bin/python benchmarks/sweep_throughput.py [--points 1000000] [--workers 2] [--keep]

`--keep` leaves the database for benchmarks/results_query.py (its URL and the sweep id are printed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from backend.core.broker import create_celery, ping_workers
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.settings import Settings
from backend.models import Sweep
from backend.sweeps import jobs
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from benchmarks._bench_db import drop_database, scratch_database

# 2 scenarios x 25 rows x 25 cols x 10 scratchpads x 8 DRAM bandwidths = 100,000 points; --points 1000000 adds
# 10 clock frequencies.
SPEC = {
    "name": "benchmark-100k", "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
    "accelerator": "gemmini-default",
    "axes": {"rows": {"start": 4, "stop": 100, "step": 4}, "cols": {"start": 4, "stop": 100, "step": 4},
             "scratchpad_kib": [32, 64, 96, 128, 192, 256, 384, 512, 768, 1024],
             "dram_bytes_per_cycle": [4, 8, 12, 16, 24, 32, 48, 64]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}


def _tree_rss(process: psutil.Process) -> tuple[int, int]:
    """(RSS of the worker and its pool processes together, largest single process RSS)."""
    try:
        members = [process, *process.children(recursive=True)]
        sizes = [member.memory_info().rss for member in members]
    except psutil.Error:
        return 0, 0
    return sum(sizes), max(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--points", type=int, choices=(100_000, 1_000_000), default=100_000)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--keep", action="store_true", help="keep the database for results_query.py")
    args = parser.parse_args()

    database_url = scratch_database()
    queue = f"dse-bench-{os.getpid()}"
    settings = Settings(database_url=database_url, broker_url=args.broker, queue=queue, demo_sweep=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSE_")}
    env.update({"DSE_DATABASE_URL": database_url, "DSE_BROKER_URL": args.broker, "DSE_QUEUE": queue})
    dse = str(Path(sys.executable).parent / "dse")
    logs = Path("var") / "benchmarks"
    logs.mkdir(parents=True, exist_ok=True)
    workers = [subprocess.Popen([dse, "worker", "--concurrency", "1"], env=env,
                                stdout=(logs / f"worker-{i}.log").open("wb"), stderr=subprocess.STDOUT)
               for i in range(args.workers)]
    celery = create_celery(settings)
    try:
        deadline = time.monotonic() + 60
        while len(ping_workers(celery, 0.5)) < args.workers:
            if time.monotonic() > deadline:
                raise SystemExit("workers did not start; see var/benchmarks/worker-*.log")
        factory = jobs.install(make_session_factory(make_engine(database_url)), celery, queue)
        axes = SPEC["axes"] if args.points == 100_000 else {
            **SPEC["axes"], "clock_ghz": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.6, 2.0]}
        spec = SweepSpec.model_validate({**SPEC, "name": f"benchmark-{args.points // 1000}k", "axes": axes})
        started = time.perf_counter()
        with transaction(factory) as session:
            sweep = create_sweep(session, spec, settings)  # its chunks are queued as this commits
        queued_s = time.perf_counter() - started
        peak_total = peak_single = 0
        handles = [psutil.Process(w.pid) for w in workers]
        while True:
            for handle in handles:
                total, single = _tree_rss(handle)
                peak_total, peak_single = max(peak_total, total), max(peak_single, single)
            with factory() as session:
                state = session.get(Sweep, sweep.id)
            if state.status in ("done", "failed", "cancelled"):
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        stored = state.done_points
        with factory() as session:
            database_bytes = session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            table_bytes = session.execute(text("SELECT pg_total_relation_size('design_points')")).scalar_one()
        print(f"sweep:            {state.total_points:,} points, grid, bert-base, PostgreSQL + Redis")
        print(f"workers:          {args.workers} `dse worker` processes (concurrency 1 each)")
        print(f"chunks:           {state.chunk_count} of {state.chunk_size} points (queued in {queued_s:.2f} s)")
        print(f"status:           {state.status} ({state.done_points:,} stored, {state.failed_points:,} failed)")
        target = 180 if args.points == 100_000 else 300
        print(f"wall time:        {elapsed:.1f} s (target < {target} s)")
        print(f"points/s stored:  {stored / elapsed:,.0f}")
        print(f"evaluation:       {state.compute_s:.1f} s summed over chunks ({stored / state.compute_s:,.0f} points/s "
              "per process while evaluating)")
        print(f"peak worker RSS:  {peak_single / 2**20:.0f} MiB per process, {peak_total / 2**20:.0f} MiB per worker "
              "(main + pool process)")
        print(f"database:         {database_bytes / 2**20:,.0f} MiB; design_points with indexes "
              f"{table_bytes / 2**20:,.0f} MiB = {table_bytes / max(stored, 1):,.0f} B per stored point "
              "(before VACUUM)")
        if args.keep:
            print(f"kept database:    {database_url}  sweep id {sweep.id}")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        if not args.keep:
            drop_database(database_url)


if __name__ == "__main__":
    main()
