"""Bytes per stored design point, indexes included, on SQLite and PostgreSQL (issue 17: target <= 1.5 KB).

Evaluates and stores a grid sweep in process (no workers: the same `run_chunk` the workers call), then measures the
design_points table with its indexes: PostgreSQL `pg_total_relation_size` (heap, TOAST, every index) after VACUUM,
SQLite the pages of the table and its indexes (dbstat) after VACUUM. Also times the chunks (evaluation and insert).

    .venv/bin/python benchmarks/storage_size.py [--points 20000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis

from backend.core.broker import create_celery
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.settings import Settings
from backend.migrate import upgrade
from backend.models import SweepChunk
from backend.sweeps import jobs
from backend.sweeps.chunks import run_chunk
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from benchmarks._bench_db import drop_database, scratch_database

BROKER = "redis://127.0.0.1:6379/0"
SPEC = {  # 2 x 25 x 25 x 8 x N/10,000 clocks: bert-base, every point a success
    "name": "storage", "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
    "accelerator": "gemmini-default",
    "axes": {"rows": {"start": 4, "stop": 100, "step": 4}, "cols": {"start": 4, "stop": 100, "step": 4},
             "dram_bytes_per_cycle": [4, 8, 12, 16, 24, 32, 48, 64]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}


def _fill(database_url: str, points: int) -> tuple[int, float]:
    clocks = max(1, points // 10_000)
    spec = SweepSpec.model_validate({**SPEC, "axes": {**SPEC["axes"], "clock_ghz": [0.5 + 0.1 * i
                                                                                    for i in range(clocks)]}})
    queue = f"dse-storage-bench-{os.getpid()}"  # the chunk tasks go to a queue nobody consumes, dropped after
    settings = Settings(database_url=database_url, broker_url=BROKER, queue=queue, demo_sweep=False, chunk_size=5000)
    factory = jobs.install(make_session_factory(make_engine(database_url)), create_celery(settings), queue)
    with transaction(factory) as session:
        sweep = create_sweep(session, spec, settings)
        sweep_id, chunks = sweep.id, sweep.chunk_count
    redis.Redis.from_url(BROKER).delete(queue)
    started = time.perf_counter()
    for index in range(chunks):
        run_chunk(factory, sweep_id, index)
    elapsed = time.perf_counter() - started
    with factory() as session:
        stored = sum(c.points_ok for c in session.query(SweepChunk).filter(SweepChunk.sweep_id == sweep_id))
    return stored, elapsed


def _postgres(points: int) -> None:
    url = scratch_database()
    try:
        stored, elapsed = _fill(url, points)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE design_points"))
            total = connection.execute(text("SELECT pg_total_relation_size('design_points')")).scalar_one()
            heap = connection.execute(text("SELECT pg_relation_size('design_points')")).scalar_one()
            indexes = connection.execute(text("SELECT pg_indexes_size('design_points')")).scalar_one()
        engine.dispose()
        print(f"PostgreSQL: {stored:,} points, {total / stored:,.0f} B/point with indexes "
              f"(heap {heap / stored:,.0f}, indexes {indexes / stored:,.0f}); "
              f"stored at {stored / elapsed:,.0f} points/s in process (evaluation + insert, one core)")
    finally:
        drop_database(url)


def _sqlite(points: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/dse.sqlite3"
        upgrade(url)
        stored, elapsed = _fill(url, points)
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("VACUUM"))
            size = connection.execute(text(
                "SELECT SUM(pgsize) FROM dbstat WHERE name = 'design_points' OR name IN "
                "(SELECT name FROM sqlite_master WHERE tbl_name = 'design_points' AND type = 'index')")).scalar_one()
        engine.dispose()
        print(f"SQLite:     {stored:,} points, {size / stored:,.0f} B/point with indexes; "
              f"stored at {stored / elapsed:,.0f} points/s in process (evaluation + insert, one core)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000)
    args = parser.parse_args()
    _sqlite(args.points)
    _postgres(args.points)


if __name__ == "__main__":
    main()
