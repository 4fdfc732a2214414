"""GET /api/sweeps/{id}/importance on SQLite and PostgreSQL: which varied parameter drives an objective (Optuna's
fANOVA over the stored points), bounded, and clear about what it cannot answer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from backend.sweeps import importance
from backend.sweeps.chunks import run_chunk
from tests.sweeps_support import DEMO_SPEC

pytestmark = pytest.mark.redis


def _evaluated(client, session_factory, spec: dict[str, Any]) -> int:
    """A sweep created through the API and evaluated by the worker's chunk code in this process."""
    created = client.post("/api/sweeps", json=spec)
    assert created.status_code == 201, created.text
    sweep = created.json()
    for chunk in range(sweep["chunk_count"]):
        run_chunk(session_factory, sweep["id"], chunk)
    return int(sweep["id"])


@pytest.fixture
def demo(client, session_factory) -> int:
    return _evaluated(client, session_factory, DEMO_SPEC)


def _share_explained_by(values: list[float], groups: list[Any]) -> float:
    """Between-group variance / total variance: how much of `values` the grouping alone explains."""
    data = np.asarray(values)
    labels = np.asarray(groups)
    means = {g: data[labels == g].mean() for g in set(groups)}
    between = np.mean([(means[g] - data.mean()) ** 2 for g in groups])
    return float(between / data.var())


def test_shares_over_the_varied_parameters_sum_to_one_and_rank_the_driver_first(client, demo) -> None:
    answer = client.get(f"/api/sweeps/{demo}/importance", params={"objective": "energy_j"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["objective"] == "energy_j" and body["points"] == 36 and body["sampled"] is False
    # the demo varies sequence length, rows, cols and scratchpad; its one model is no parameter it varies
    assert set(body["importance"]) == {"seq_len", "rows", "cols", "scratchpad_kib"}
    assert sum(body["importance"].values()) == pytest.approx(1.0)
    assert all(share >= 0 for share in body["importance"].values())
    assert list(body["importance"].values()) == sorted(body["importance"].values(), reverse=True)
    # a 4x longer sequence moves energy far more than the arrays do: the data says so, and so must the answer
    columns = client.get(f"/api/sweeps/{demo}/results", params={"columns": "seq_len,energy_j"}).json()["columns"]
    assert _share_explained_by(columns["energy_j"], columns["seq_len"]) > 0.9
    assert next(iter(body["importance"])) == "seq_len" and body["importance"]["seq_len"] > 0.8
    assert "fANOVA" in body["method"]


def test_within_one_workload_the_arrays_and_scratchpad_share_it(client, demo) -> None:
    answer = client.get(f"/api/sweeps/{demo}/importance", params={"objective": "area_mm2", "filter": "seq_len=512"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["points"] == 18 and set(body["importance"]) == {"rows", "cols", "scratchpad_kib"}
    assert sum(body["importance"].values()) == pytest.approx(1.0)
    again = client.get(f"/api/sweeps/{demo}/importance", params={"objective": "area_mm2", "filter": "seq_len=512"})
    assert again.json() == body  # a fixed seed (and a kept answer): the same shares every time


def test_a_large_sweep_is_read_as_a_bounded_sample_that_still_varies_every_parameter(
        client, demo, monkeypatch) -> None:
    monkeypatch.setattr(importance, "MAX_POINTS", 12)
    body = client.get(f"/api/sweeps/{demo}/importance", params={"objective": "latency_s"}).json()
    assert body["sampled"] is True and 8 <= body["points"] <= 12, body
    assert set(body["importance"]) == {"seq_len", "rows", "cols", "scratchpad_kib"}, body


def test_an_unknown_objective_is_a_422_that_suggests_one(client, demo) -> None:
    answer = client.get(f"/api/sweeps/{demo}/importance", params={"objective": "energy"})
    assert answer.status_code == 422
    assert "unknown objective 'energy'" in answer.json()["detail"] and "energy_j" in answer.json()["detail"]
    assert client.get(f"/api/sweeps/{demo}/importance").status_code == 422  # the objective is required


def test_an_unknown_sweep_is_a_404(client) -> None:
    answer = client.get("/api/sweeps/999999/importance", params={"objective": "energy_j"})
    assert answer.status_code == 404 and "999999" in answer.json()["detail"]


def test_too_few_points_say_how_many_are_needed(client, session_factory) -> None:
    spec = {**DEMO_SPEC, "name": "four", "scenarios": [{"seq_len": 128}], "axes": {"rows": [8, 16], "cols": [8, 16]}}
    sweep_id = _evaluated(client, session_factory, spec)
    answer = client.get(f"/api/sweeps/{sweep_id}/importance", params={"objective": "energy_j"})
    assert answer.status_code == 422
    assert "at least 8 evaluated points" in answer.json()["detail"] and "has 4" in answer.json()["detail"]


def test_a_sweep_of_one_parameter_has_nothing_to_rank(client, session_factory) -> None:
    spec = {**DEMO_SPEC, "name": "rows-only", "scenarios": [{"seq_len": 128}],
            "axes": {"rows": [4, 8, 16, 32, 64, 128, 256, 512]}}
    sweep_id = _evaluated(client, session_factory, spec)
    answer = client.get(f"/api/sweeps/{sweep_id}/importance", params={"objective": "latency_s"})
    assert answer.status_code == 422
    assert "fewer than two (varied: rows)" in answer.json()["detail"], answer.json()
