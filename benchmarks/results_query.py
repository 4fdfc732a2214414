"""Query latency on a 1,000,000-row sweep in PostgreSQL: Pareto fronts and filtered pages, through the API.

The rows come from a real evaluated sweep: `benchmarks/sweep_throughput.py --points 1000000 --keep` stores 10^6
distinct points (pass its sweep with --built), or a 100,000-point one is copied 10 times under new point indices into
one new sweep (the query work is the same as for 10^6 distinct points; copies of a front point are all on the front).
Targets: Pareto of two objectives under 1 s, a filtered page of 1,000 rows under 200 ms.

    .venv/bin/python benchmarks/results_query.py --database-url URL --built ID [--drop]
    .venv/bin/python benchmarks/results_query.py --database-url URL --sweep ID [--drop]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.app import create_app
from backend.columns import METRICS, PARAMETERS
from backend.core.db import make_engine
from backend.core.settings import Settings
from backend.sweeps.pareto import forget_fronts
from benchmarks._bench_db import drop_database


def build_million(engine, source_id: int, copies: int) -> int:
    columns = ", ".join(["error", *PARAMETERS, *METRICS, "breakdown"])
    with engine.begin() as connection:
        total = connection.execute(text("SELECT count(*) FROM design_points WHERE sweep_id = :s"),
                                   {"s": source_id}).scalar_one()
        new_id = connection.execute(text(
            "INSERT INTO sweeps (name, owner, spec, status, total_points, done_points, failed_points, chunk_size,"
            " chunk_count, chunks_done, chunks_failed, compute_s, created_at, started_at, finished_at, updated_at)"
            " SELECT name || ' x' || :copies, owner, spec, 'done', total_points * :copies, done_points * :copies, 0,"
            " chunk_size, chunk_count * :copies, chunk_count * :copies, 0, compute_s * :copies, now(), now(), now(),"
            " now() FROM sweeps WHERE id = :s RETURNING id"), {"s": source_id, "copies": copies}).scalar_one()
        connection.execute(text(
            f"INSERT INTO design_points (sweep_id, point_index, {columns})"
            f" SELECT :new, point_index + k * :n, {columns}"
            " FROM design_points CROSS JOIN generate_series(0, :last) AS k WHERE sweep_id = :s"),
            {"new": new_id, "n": total, "last": copies - 1, "s": source_id})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE design_points"))
    return new_id


def timed(client: TestClient, path: str, params: dict, runs: int = 5) -> tuple[list[float], dict]:
    """Each run computes its answer: PostgreSQL's buffers are warm, the API's front cache is emptied."""
    times, body = [], {}
    client.get(path, params=params)  # warm PostgreSQL's buffers once
    for _ in range(runs):
        forget_fronts()
        started = time.perf_counter()
        response = client.get(path, params=params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        body = response.json()
    return times, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sweep", type=int, help="an evaluated sweep to copy --copies times")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--built", type=int, help="the id of a 10^6-row sweep built by an earlier run")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args()

    engine = make_engine(args.database_url)
    started = time.perf_counter()
    if not (args.built or args.sweep):
        parser.error("give --built (a 10^6-point sweep) or --sweep (one to copy)")
    sweep_id = args.built or build_million(engine, args.sweep, args.copies)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE design_points"))  # as autovacuum leaves a table in normal use
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*) FROM design_points WHERE sweep_id = :s"),
                                  {"s": sweep_id}).scalar_one()
        size = connection.execute(text("SELECT pg_size_pretty(pg_total_relation_size('design_points'))")).scalar()
        energy_median = connection.execute(text(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY energy_j) FROM design_points WHERE sweep_id = :s"),
            {"s": sweep_id}).scalar()
    print(f"sweep {sweep_id}: {rows:,} rows built in {time.perf_counter() - started:.1f} s; design_points {size}")

    # Single-user mode: the queries are measured, not the sign-in (a PostgreSQL URL turns team mode on).
    settings = Settings(database_url=args.database_url, broker_url="redis://127.0.0.1:6379/0", demo_sweep=False,
                        auth="off")
    client = TestClient(create_app(settings), base_url="http://127.0.0.1")  # single-user mode checks Host
    base = f"/api/sweeps/{sweep_id}"
    cases = [
        ("Pareto latency_s x energy_j (target < 1 s)", f"{base}/pareto",
         {"objectives": "latency_s,energy_j", "columns": "rows,cols,scratchpad_kib,dram_bytes_per_cycle,seq_len"}),
        ("Pareto latency_s x energy_j x area_mm2", f"{base}/pareto",
         {"objectives": "latency_s,energy_j,area_mm2", "columns": "rows,cols"}),
        ("Pareto throughput_per_s (max) x power_w", f"{base}/pareto", {"objectives": "throughput_per_s,power_w"}),
        ("filtered page of 1,000 rows + total (target < 200 ms)", f"{base}/results",
         {"filter": ["rows:16:64", f"energy_j::{energy_median}"], "sort": "latency_s", "limit": 1000,
          "columns": "id,rows,cols,scratchpad_kib,dram_bytes_per_cycle,latency_s,energy_j"}),
        ("filtered page of 1,000 rows + estimated total", f"{base}/results",
         {"filter": ["rows:16:64", f"energy_j::{energy_median}"], "sort": "latency_s", "limit": 1000,
          "columns": "id,rows,cols,scratchpad_kib,dram_bytes_per_cycle,latency_s,energy_j", "total": "estimate"}),
        ("page of 1,000 rows, all columns, sorted by -throughput", f"{base}/results",
         {"sort": "-throughput_per_s", "limit": 1000}),
        ("filtered page, parameter equality + objective range", f"{base}/results",
         {"filter": ["scratchpad_kib=256", f"energy_j::{energy_median}"], "limit": 1000, "sort": "energy_j"}),
    ]
    for label, path, params in cases:
        times, body = timed(client, path, params)
        extra = (f"front {body['front_size']:,} of {body['compared']:,}" if "front_size" in body
                 else f"{body['count']:,} rows of {body['total']:,} matching"
                 + ("" if body.get("total_exact", True) else " (estimated)"))
        print(f"{label:58s} median {statistics.median(times) * 1000:7.0f} ms  min {min(times) * 1000:7.0f} ms  "
              f"({extra})")
        if "front_size" in body:  # the same front again, from this API process's cache
            started = time.perf_counter()
            client.get(path, params=params)
            print(f"{'  ... repeated (front cache)':58s} {(time.perf_counter() - started) * 1000:7.1f} ms")
    started = time.perf_counter()
    with client.stream("GET", f"{base}/results", params={"format": "parquet"}) as response:
        size_bytes = sum(len(block) for block in response.iter_bytes())
    print(f"{'Parquet export of every row (streamed)':58s} {time.perf_counter() - started:7.1f} s   "
          f"({size_bytes / 2**20:.0f} MiB)")
    engine.dispose()
    client.app.state.engine.dispose()
    if args.drop:
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
