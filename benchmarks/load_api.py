"""Load on a running stack over loopback: N concurrent users read the Pareto front and results pages of a
1,000,000-row sweep while another sweep runs on a worker. Prints p50/p95/p99 latency and errors per request kind.
Target: p99 under 500 ms, zero errors.

The big sweep is built in SQL from a small evaluated one (`--seed-points` real simulator points, copied with
jittered metrics under new point indices): the query work is that of 10^6 distinct points. The stack is a
scratch PostgreSQL database, the test Redis on a private queue, `uvicorn backend.asgi:app` and one `dse worker`.
The load starts once the worker is evaluating the running sweep (large enough to last the whole run; cancelled
at the end), users join over `--ramp-s` seconds as in locust's spawn rate, and the table covers the requests
after the ramp; a timeline of 3-second buckets shows the whole run, ramp included.

    .venv/bin/python benchmarks/load_api.py [--rows 1000000] [--users 50] [--duration-s 30] [--think-s 1]
        [--ramp-s 5] [--api-workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import text

from backend.accounts import service as accounts
from backend.columns import METRICS, PARAMETERS
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.settings import Settings
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from benchmarks._bench_db import DEFAULT_SERVER, drop_database, scratch_database

BIN = Path(sys.executable).parent
SEED_SPEC = {"name": "load-seed", "models": ["bert-base", "gpt2"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
             "accelerator": "gemmini-default",
             "axes": {"rows": [8, 16, 32, 64], "cols": [8, 16, 32, 64], "scratchpad_kib": [64, 128, 256, 512]},
             "strategy": "random", "n_points": 500, "seed": 1, "objectives": ["latency_s", "energy_j"]}
RUNNING_SPEC = {**SEED_SPEC, "name": "load-running", "n_points": 100_000, "seed": 2}
JITTERED = ("latency_s", "latency_cycles", "energy_j", "edp_j_s", "area_mm2", "power_w", "throughput_per_s")


def build(url: str, rows: int, seed_points: int) -> tuple[int, dict[str, str]]:
    """An evaluated seed sweep, then one sweep of `rows` rows: seed points copied with metrics jittered by ±20%."""
    from backend.sweeps.chunks import run_chunk

    engine = make_engine(url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=url, broker_url="redis://127.0.0.1:6379/0", chunk_size=seed_points,
                        max_sweep_points=10**7)
    with transaction(factory) as session:
        seed_id = create_sweep(session, SweepSpec.model_validate({**SEED_SPEC, "n_points": seed_points}), settings).id
    run_chunk(factory, seed_id, 0)
    copies = -(-rows // seed_points)
    columns = [c for c in ("error", *PARAMETERS, *METRICS, "params") if c not in JITTERED]
    jittered = ", ".join(f"{name} * (0.8 + 0.4 * random())" for name in JITTERED)
    with engine.begin() as connection:
        big_id = connection.execute(text(
            "INSERT INTO sweeps (name, owner, spec, status, total_points, done_points, failed_points, chunk_size,"
            " chunk_count, chunks_done, chunks_failed, compute_s, created_at, started_at, finished_at, updated_at)"
            " SELECT 'load-1M', owner, spec, 'done', :rows, :rows, 0, chunk_size, 1, 1, 0, compute_s, now(), now(),"
            " now(), now() FROM sweeps WHERE id = :s RETURNING id"), {"s": seed_id, "rows": rows}).scalar_one()
        connection.execute(text(
            f"INSERT INTO design_points (sweep_id, point_index, {', '.join(columns)}, {', '.join(JITTERED)})"
            f" SELECT :new, point_index + k * :n, {', '.join(columns)}, {jittered}"
            " FROM design_points CROSS JOIN generate_series(0, :last) AS k"
            " WHERE sweep_id = :s AND point_index + k * :n < :rows"),
            {"new": big_id, "n": seed_points, "last": copies - 1, "s": seed_id, "rows": rows})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE design_points"))
    with transaction(factory) as session:  # team mode on PostgreSQL: the readers sign in with a viewer's token
        accounts.add_user(session, "reader", "viewer")
        accounts.add_user(session, "runner", "member")
        tokens = {name: accounts.create_token(session, name)[1] for name in ("reader", "runner")}
    engine.dispose()
    return big_id, tokens


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


# One request: (start, seconds, kind, status code or 0 for a transport error).
Sample = tuple[float, float, str, int]


async def user(client: httpx.AsyncClient, sweep_id: int, stop_at: float, samples: list[Sample],
               rng: random.Random, think_s: float, delay_s: float) -> None:
    base = f"/api/sweeps/{sweep_id}"
    kinds = [
        ("pareto latency x energy", f"{base}/pareto", {"objectives": "latency_s,energy_j", "columns": "rows,cols"}),
        ("results page sorted", f"{base}/results", {"sort": "latency_s", "limit": 100,
                                                    "columns": "id,rows,cols,latency_s,energy_j"}),
        ("results page filtered", f"{base}/results", {"filter": ["rows:16:32", "energy_j::0.05"], "sort": "-energy_j",
                                                      "limit": 100, "total": "estimate",
                                                      "columns": "id,rows,cols,latency_s,energy_j"}),
        ("sweep status", base, {}),
        ("sweep list", "/api/sweeps", {"limit": 20}),
    ]
    await asyncio.sleep(delay_s)
    while time.monotonic() < stop_at:
        name, path, params = rng.choice(kinds)
        started = time.perf_counter()
        try:
            status = (await client.get(path, params=params)).status_code
        except httpx.HTTPError:
            status = 0
        samples.append((started, time.perf_counter() - started, name, status))
        if think_s:  # a person looks at the answer before the next click (0: back to back, a stress test)
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def load(base_url: str, sweep_id: int, users: int, duration_s: float, headers: dict[str, str],
               think_s: float, ramp_s: float) -> tuple[list[Sample], float]:
    samples: list[Sample] = []
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits, headers=headers) as client:
        started = time.perf_counter()
        stop_at = time.monotonic() + duration_s
        await asyncio.gather(*(user(client, sweep_id, stop_at, samples, random.Random(i), think_s, ramp_s * i / users)
                               for i in range(users)))
        return samples, started


def report(samples: list[Sample], started: float, ramp_s: float) -> bool:
    """Prints the timeline and the table of the requests after the ramp; True when the target is met."""
    buckets: dict[int, list[float]] = {}
    for at, seconds, _, _ in samples:
        buckets.setdefault(int((at - started) // 3), []).append(seconds)
    print("timeline (3 s buckets, all requests):")
    for bucket, values in sorted(buckets.items()):
        print(f"  t={bucket * 3:3d} s  {len(values):5d} requests  p50 {statistics.median(values) * 1000:6.0f} ms  "
              f"p99 {percentile(values, 99) * 1000:6.0f} ms")
    steady = [sample for sample in samples if sample[0] - started >= ramp_s]
    by_kind: dict[str, list[Sample]] = {}
    for sample in steady:
        by_kind.setdefault(sample[2], []).append(sample)
    print(f"after the {ramp_s:g} s ramp:")
    print(f"{'request':28s} {'count':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} errors")
    for name, group in [*sorted(by_kind.items()), ("ALL", steady)]:
        values = [seconds for _, seconds, _, _ in group]
        failed = sorted({status for *_, status in group if status != 200})
        print(f"{name:28s} {len(values):7d} {statistics.median(values) * 1000:8.0f} "
              f"{percentile(values, 95) * 1000:8.0f} {percentile(values, 99) * 1000:8.0f} "
              f"{max(values) * 1000:8.0f} {sum(1 for *_, status in group if status != 200)}"
              + (f" (status {failed})" if failed else ""))
    errors = sum(1 for *_, status in samples if status != 200)
    print(f"errors over the whole run, ramp included: {errors}")
    return percentile([seconds for _, seconds, _, _ in steady], 99) < 0.5 and not errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default=DEFAULT_SERVER, help="PostgreSQL server for the scratch database")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed-points", type=int, default=500)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration-s", type=float, default=30.0)
    parser.add_argument("--think-s", type=float, default=1.0,
                        help="mean pause of each user between requests (0: back to back, a stress test)")
    parser.add_argument("--ramp-s", type=float, default=5.0, help="users join evenly over this many seconds")
    parser.add_argument("--api-workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url = scratch_database(args.server_url, prefix="dse_load")
    log_dir = Path("var") / "load_api"
    log_dir.mkdir(parents=True, exist_ok=True)
    queue = f"dse-load-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSE_")}
    env.update({"DSE_DATABASE_URL": url, "DSE_BROKER_URL": args.redis_url, "DSE_QUEUE": queue,
                "DSE_DEMO_SWEEP": "false", "DSE_CHUNK_SIZE": "100", "DSE_SWEEPS_PER_MINUTE": "1000"})
    processes: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        sweep_id, tokens = build(url, args.rows, args.seed_points)
        print(f"sweep {sweep_id}: {args.rows:,} rows built in {time.perf_counter() - started:.0f} s")
        processes.append(spawn([str(BIN / "uvicorn"), "backend.asgi:app", "--host", "127.0.0.1", "--port",
                                str(args.port), "--workers", str(args.api_workers), "--log-level", "warning"],
                               env, log_dir / "api.log"))
        processes.append(spawn([str(BIN / "dse"), "worker", "--concurrency", "1"], env, log_dir / "worker.log"))
        base_url = f"http://127.0.0.1:{args.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/api/sweeps", timeout=2, headers=_bearer(tokens["reader"])).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"API did not start; see {log_dir / 'api.log'}")
            time.sleep(0.3)
        running = httpx.post(f"{base_url}/api/sweeps", json=RUNNING_SPEC, timeout=30,
                             headers=_bearer(tokens["runner"])).json()
        while httpx.get(f"{base_url}/api/sweeps/{running['id']}", timeout=30,
                        headers=_bearer(tokens["reader"])).json()["done_points"] == 0:
            time.sleep(0.2)  # the worker is up and evaluating: the load meets a running sweep from its start
        samples, started = asyncio.run(load(base_url, sweep_id, args.users, args.duration_s,
                                            _bearer(tokens["reader"]), args.think_s, args.ramp_s))
        during = httpx.get(f"{base_url}/api/sweeps/{running['id']}", timeout=30,
                           headers=_bearer(tokens["reader"])).json()
        httpx.post(f"{base_url}/api/sweeps/{running['id']}/cancel", timeout=30, headers=_bearer(tokens["runner"]))
        print(f"{args.users} users (think {args.think_s} s, ramp {args.ramp_s} s) for {args.duration_s:.0f} s on "
              f"{args.rows:,} rows, {args.api_workers} API process(es); {len(samples) / args.duration_s:.0f} "
              f"requests/s; meanwhile sweep {running['id']} stored {during['done_points']:,} of "
              f"{during['total_points']:,} points ({during['status']}, cancelled after the run)")
        met = report(samples, started, args.ramp_s)
        print(f"target p99 < 500 ms and zero errors: {'met' if met else 'NOT met'}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        import redis

        redis.Redis.from_url(args.redis_url).delete(queue)
        if not args.keep:
            drop_database(url, args.server_url)


if __name__ == "__main__":
    main()
