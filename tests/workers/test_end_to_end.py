"""Real sweeps through real processes: `dse worker` on Redis, the CLI, a killed worker, and `dse serve`."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pyarrow.parquet as pq
import pytest
import yaml

from tests.support import clean_env, wait_for_health
from tests.sweeps_support import DEMO_SPEC, wait_for_sweep, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.redis]
DSE = str(Path(sys.executable).parent / "dse")


def _dse(args: list[str], env: dict[str, str], cwd: Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DSE, *args], env=clean_env(env), cwd=cwd, capture_output=True, text=True, timeout=timeout_s,
                          check=False)


def test_cli_submits_waits_and_exports_in_process(settings, start_worker, tmp_path: Path) -> None:
    start_worker(concurrency=2)
    env = {**worker_env(settings), "DSE_CHUNK_SIZE": "7", "COLUMNS": "200"}
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(DEMO_SPEC))
    assert "36 points" in _dse(["sweep", "estimate", str(spec_path)], env, tmp_path).stdout
    submitted = _dse(["sweep", "submit", str(spec_path), "--wait", "--poll-s", "0.3"], env, tmp_path)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "36 points in 6 chunks" in submitted.stdout
    assert "done — 36 of 36 points evaluated (" in submitted.stdout and "failed" not in submitted.stdout
    sweep_id = submitted.stdout.split()[2]
    # the end of --wait: a front per workload, the best point of each objective, the dashboard URL
    for seq_len in (128, 512):
        assert re.search(rf"front of model bert-base, seq_len {seq_len} tokens: \d+ designs? \(of 18 points\)",
                         submitted.stdout), submitted.stdout
    assert re.search(r"best latency_s: [\d.]+ [mµ]?s at point \d+ \(cols \d+ PEs, rows \d+ PEs, scratchpad_kib \d+ "
                     r"KiB\)", submitted.stdout), submitted.stdout  # the spec file's order (safe_dump sorts keys)
    assert submitted.stdout.count("best energy_j: ") == 2
    assert f"dashboard: http://127.0.0.1:8000/#/sweeps/{sweep_id}" in submitted.stdout
    shown = _dse(["sweep", "show", sweep_id], env, tmp_path)
    assert shown.stdout.count("best latency_s") == 2 and "dashboard: " in shown.stdout
    long_name = "a-sweep-name-longer-than-any-column-would-be-" * 2
    assert _dse(["sweep", "rename", sweep_id, long_name], env, tmp_path).returncode == 0
    assert "tags: memory, paper:fig7" in _dse(["sweep", "tag", sweep_id, "memory", "Paper:Fig7"], env, tmp_path).stdout
    assert "notes: why 256 KiB" in _dse(["sweep", "note", sweep_id, "why 256 KiB"], env, tmp_path).stdout
    listed = _dse(["sweep", "list", "--tag", "memory"], env, tmp_path)
    assert long_name in listed.stdout and "done" in listed.stdout, listed.stdout  # never cut
    assert long_name not in _dse(["sweep", "list", "--tag", "other"], env, tmp_path).stdout
    assert long_name in _dse(["sweep", "list", "--search", "256 kib"], env, tmp_path).stdout
    output = tmp_path / "demo.parquet"
    exported = _dse(["export", sweep_id, "--format", "parquet", "-o", str(output)], env, tmp_path)
    assert exported.returncode == 0, exported.stderr
    table = pq.read_table(output)
    assert table.num_rows == 36 and sorted(table.column("point_index").to_pylist()) == list(range(36))
    missing = _dse(["sweep", "show", "999999"], env, tmp_path)
    assert missing.returncode == 2 and "sweep 999999 does not exist" in missing.stderr
    assert _dse(["sweep", "cancel", sweep_id], env, tmp_path).returncode == 2  # already done: says so


def test_the_cli_exits_non_zero_when_every_point_failed(settings, start_worker, tmp_path: Path) -> None:
    start_worker()
    env = {**worker_env(settings), "COLUMNS": "200"}
    spec_path = tmp_path / "spec.yaml"  # 7 heads never divide d_model 768: every point fails in the worker
    spec_path.write_text(yaml.safe_dump({**DEMO_SPEC, "axes": {"rows": [8, 16]}, "model_axes": {"num_heads": [7]}}))
    submitted = _dse(["sweep", "submit", str(spec_path), "--wait", "--poll-s", "0.3"], env, tmp_path)
    assert submitted.returncode == 1, submitted.stdout + submitted.stderr
    assert "0 of 4 points evaluated, 4 failed" in submitted.stdout and "every point failed" in submitted.stdout


def test_a_killed_worker_process_loses_no_chunk(client, settings, start_worker) -> None:
    """acks_late + reject_on_worker_lost: the chunk of a killed pool process is redelivered and stored once."""
    worker = start_worker(concurrency=1)
    spec = {**DEMO_SPEC, "name": "kill", "models": ["bert-large"],
            "axes": {"rows": {"start": 4, "stop": 64, "step": 4}, "cols": {"start": 4, "stop": 64, "step": 4}}}
    settings_spec_size = 2 * 16 * 16
    sweep_id = client.post("/api/sweeps", json=spec).json()["id"]  # 512 points in chunks of 10
    deadline = time.monotonic() + 60
    while client.get(f"/api/sweeps/{sweep_id}").json()["done_points"] < 20:
        assert time.monotonic() < deadline, "the sweep did not start"
        time.sleep(0.1)
    # `dse worker` supervises the Celery main process, whose pool processes run the chunks: kill those.
    (celery_main,) = psutil.Process(worker.pid).children()
    for child in celery_main.children(recursive=True):
        child.kill()  # the pool process dies mid-chunk; the main worker process starts a new one
    sweep = wait_for_sweep(client, sweep_id, timeout_s=240)
    assert sweep["status"] == "done", sweep
    assert sweep["done_points"] == settings_spec_size == sweep["total_points"]
    results = client.get(f"/api/sweeps/{sweep_id}/results", params={"columns": "point_index", "limit": 1000}).json()
    assert sorted(results["columns"]["point_index"]) == list(range(settings_spec_size))


def test_dse_serve_runs_the_demo_sweep_on_the_embedded_default(start_stack, tmp_path: Path) -> None:
    stack = start_stack()
    wait_for_health(stack.base_url)
    deadline = time.monotonic() + 120
    while True:
        sweeps = httpx.get(f"{stack.base_url}/api/sweeps", timeout=10).json()["items"]
        if sweeps and sweeps[0]["status"] in ("done", "failed", "cancelled"):
            break
        assert time.monotonic() < deadline, f"demo sweep not finished: {sweeps}\n{stack.log()}"
        time.sleep(0.5)
    assert len(sweeps) == 1
    demo = sweeps[0]
    assert (demo["name"], demo["status"], demo["done_points"], demo["total_points"]) == ("demo", "done", 36, 36)
    env = {"PATH": str(Path(sys.executable).parent), "COLUMNS": "200"}
    listed = _dse(["sweep", "list", "--server", stack.base_url], env, tmp_path)
    assert "demo" in listed.stdout, listed.stdout + listed.stderr
    output = tmp_path / "demo.csv"
    exported = _dse(["export", str(demo["id"]), "-o", str(output), "--server", stack.base_url], env, tmp_path)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert len(output.read_text().splitlines()) == 37
