"""Real sweeps for the browser tests and the dashboard benchmark: simulator results stored by the service's code.

Small sweeps go through the API (`POST /api/sweeps`) and the stack's own worker. Large ones (tens of thousands
of points) are seeded in-process with the worker's own chunk code (`backend.sweeps.chunks.run_chunk`: the simulator's
batch evaluation and the bulk insert) against the database the stack serves: the same rows a worker would
write, without waiting for a single-process queue.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import httpx

from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.settings import Settings
from backend.sweeps import jobs
from backend.sweeps.chunks import run_chunk
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec

# One workload, 6 x 6 arrays x 3 scratchpads x 4 DRAM bandwidths = 432 points in a few seconds; its latency/energy
# front has several points (bigger arrays are faster but not free).
MEDIUM_SPEC: dict[str, Any] = {
    "name": "bert-base-arrays", "owner": "alice", "models": ["bert-base"], "scenarios": [{"seq_len": 512}],
    "accelerator": "gemmini-default",
    "axes": {"rows": [4, 8, 16, 32, 64, 128], "cols": [4, 8, 16, 32, 64, 128], "scratchpad_kib": [64, 256, 1024],
             "dram_bytes_per_cycle": [8, 16, 32, 64]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}

# 2 models x 3 sequence lengths x 3 x 3 arrays x 31 clocks x 6 nodes x 4 bandwidths = 40,176 points: above the
# dashboard's display limit (40,000), so it thins. Clock, node and bandwidth reuse the GEMM mappings (fast).
LARGE_SPEC: dict[str, Any] = {
    "name": "clock-node-bandwidth", "owner": "bob", "models": ["bert-base", "gpt2"],
    "scenarios": [{"seq_len": 128}, {"seq_len": 256}, {"seq_len": 512}], "accelerator": "gemmini-default",
    "axes": {"rows": [8, 16, 32], "cols": [8, 16, 32], "clock_ghz": {"start": 0.5, "stop": 2.0, "step": 0.05},
             "technology_nm": [7, 16, 22, 28, 45, 65], "dram_bytes_per_cycle": [8, 16, 32, 64]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}


def submit(base_url: str, spec: dict[str, Any]) -> int:
    """Create and queue a sweep through the API; returns its id."""
    response = httpx.post(f"{base_url}/api/sweeps", json=spec, timeout=30)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def wait_done(base_url: str, sweep_id: int, timeout_s: float = 180.0, failures: bool = False) -> dict[str, Any]:
    """The sweep once finished; it must be `done` and, unless `failures`, have no failed point (with `failures`,
    `failed` too: every point failed)."""
    deadline = time.monotonic() + timeout_s
    sweep: dict[str, Any] = {}
    while time.monotonic() < deadline:
        sweep = httpx.get(f"{base_url}/api/sweeps/{sweep_id}", timeout=30).json()
        if sweep["status"] in ("done", "failed", "cancelled"):
            assert (sweep["status"] in ("done", "failed")) if failures else (
                sweep["status"] == "done" and not sweep["failed_points"]), sweep
            return sweep
        time.sleep(0.3)
    raise AssertionError(f"sweep {sweep_id} not finished after {timeout_s} s: {sweep}")


def results(base_url: str, sweep_id: int, columns: str) -> dict[str, list[Any]]:
    """The sweep's results as the dashboard gets them (columnar JSON, point order)."""
    response = httpx.get(f"{base_url}/api/sweeps/{sweep_id}/results",
                         params={"columns": columns, "limit": 100_000}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()["columns"]


def _run_chunks(database_url: str, sweep_id: int, chunk_indices: list[int]) -> int:
    factory = make_session_factory(make_engine(database_url))
    done = 0
    for index in chunk_indices:
        result = run_chunk(factory, sweep_id, index)
        assert result.status == "done", result
        done += result.points_ok
    factory.kw["bind"].dispose()
    return done


def seed(database_url: str, spec: dict[str, Any], processes: int = 2, chunk_size: int = 1000) -> int:
    """Create a sweep in the stack's database and evaluate every chunk with the worker's code, in `processes`
    processes. The sweep ends `done` exactly as if the queue had run it; returns its id."""
    settings = Settings(database_url=database_url, chunk_size=chunk_size, demo_sweep=False)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    queued = jobs.collect(factory)  # the chunk jobs its creation queues, run here instead of by the stack's worker
    with transaction(factory) as session:
        sweep = create_sweep(session, SweepSpec.model_validate(spec), settings)
        sweep_id, chunk_count = sweep.id, sweep.chunk_count
    engine.dispose()
    # every chunk, whether its creation queued the chunk jobs or (above 32 chunks) one job that queues them
    assert queued, "creating a sweep queues its work"
    chunks = list(range(chunk_count))
    shares = [chunks[start::processes] for start in range(processes)]
    if processes == 1:
        _run_chunks(database_url, sweep_id, shares[0])
    else:
        with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
            list(pool.map(_run_chunks, [database_url] * processes, [sweep_id] * processes, shares))
    return sweep_id
