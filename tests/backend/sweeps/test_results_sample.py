"""A first view of a large sweep: `results?sample=N` answers about N points (runs of consecutive indices) and every
point of the fronts it is asked to keep, each front taken over every point; `total` still counts them all."""

from __future__ import annotations

import pytest

from backend.sweeps.chunks import run_chunk
from simulator.pareto import pareto_mask

pytestmark = pytest.mark.redis

SPEC = {"name": "sampled", "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 256}],
        "accelerator": "gemmini-default",
        "axes": {"rows": {"start": 4, "stop": 64, "step": 4}, "cols": {"start": 4, "stop": 64, "step": 4},
                 "dram_bytes_per_cycle": [4, 8, 16, 32, 64]},
        "strategy": "grid", "objectives": ["latency_s", "energy_j"]}  # 2 x 16 x 16 x 5 = 2,560 points


@pytest.fixture
def sweep_id(client, session_factory, settings) -> int:
    settings.chunk_size = 1000
    sweep = client.post("/api/sweeps", json=SPEC).json()
    for index in range(sweep["chunk_count"]):
        assert run_chunk(session_factory, sweep["id"], index).status == "done"
    return sweep["id"]


def test_a_sample_keeps_every_front_point_and_counts_every_point(client, sweep_id: int) -> None:
    columns = "id,point_index,seq_len,latency_s,energy_j"
    every = client.get(f"/api/sweeps/{sweep_id}/results", params={"columns": columns, "limit": 5000}).json()
    sample = client.get(f"/api/sweeps/{sweep_id}/results", params={
        "columns": columns, "sample": 1000, "keep_front": "latency_s,energy_j", "keep_front_group_by": "seq_len",
        "limit": 5000}).json()
    assert every["total"] == sample["total"] == 2560
    assert 800 <= sample["count"] <= 1000  # one run of 64 in every 3 (896 points), and the fronts
    kept = set(sample["columns"]["id"])
    for seq_len in (128, 256):  # each workload's front over every point is in the sample
        rows = [i for i, s in enumerate(every["columns"]["seq_len"]) if s == seq_len]
        values = [[every["columns"]["latency_s"][i], every["columns"]["energy_j"][i]] for i in rows]
        front = {every["columns"]["id"][rows[j]] for j, on in enumerate(pareto_mask(values, [False, False])) if on}
        assert front and front <= kept
    indices = sorted(sample["columns"]["point_index"])
    assert indices[:64] == list(range(64))  # whole runs of consecutive points


def test_a_sample_is_a_first_view_only(client, sweep_id: int) -> None:
    base = f"/api/sweeps/{sweep_id}/results"
    assert client.get(base, params={"sample": 1000, "offset": 10}).status_code == 422
    assert client.get(base, params={"sample": 1000, "format": "csv"}).status_code == 422
    assert client.get(base, params={"sample": 10}).status_code == 422  # at least 1,000
    small = client.get(base, params={"sample": 5000, "limit": 5000, "columns": "id"}).json()
    assert small["count"] == small["total"] == 2560  # fewer points than the sample: every one
