"""One design point: simulated synchronously (POST /api/simulate), with a 422 for bad input."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.redis


def test_simulate_one_point(client) -> None:
    response = client.post("/api/simulate", json={"model": "bert-base", "scenario": {"seq_len": 128},
                                                  "accelerator": "gemmini-default", "overrides": {"rows": 32}})
    assert response.status_code == 200, response.text
    point = response.json()
    assert point["id"] is None and point["parameters"]["rows"] == 32 and point["accelerator"]["cols"] == 16
    assert point["metrics"]["latency_s"] > 0 and point["metrics"]["bottleneck"] in ("compute", "memory", "non-linear")
    assert point["inputs"]["overrides"] == {"rows": 32}
    assert len(point["report"]["ops"]) > 5 and "cycles_by_class" in point["report"]


@pytest.mark.parametrize(("body", "words"), [
    ({"model": "bert-bsae", "scenario": {"seq_len": 128}}, ["bert-base"]),
    ({"model": "bert-base", "scenario": {"seq_len": 128}, "accelerator": "nope"}, ["gemmini-default"]),
    ({"model": "bert-base", "scenario": {"seq_len": 128}, "overrides": {"rows": 0}}, ["rows"]),
    ({"model": "bert-base", "scenario": {}}, ["seq_len"]),
    ({"model": "bert-base", "scenario": {"seq_len": 128}, "options": {"fuse": True}}, ["fuse"]),
])
def test_bad_points_are_422_naming_the_problem(client, body, words) -> None:
    response = client.post("/api/simulate", json=body)
    assert response.status_code == 422, response.text
    assert all(word in response.json()["detail"] for word in words), response.json()
