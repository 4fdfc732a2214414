"""Built-in templates (GET /api/templates) and explicit variants; the Gemmini case study runs on a real worker."""

from __future__ import annotations

import pytest

from tests.sweeps_support import SEARCH_DEMO_SPEC, wait_for_sweep

pytestmark = pytest.mark.redis


def test_the_search_demo_spec_is_estimated_as_its_budget(client) -> None:
    estimate = client.post("/api/sweeps/estimate", json=SEARCH_DEMO_SPEC)
    assert estimate.status_code == 200, estimate.text
    body = estimate.json()
    assert body["points"] == 300 and body["strategy"] == "search" and body["space_points"] == 8192
    assert "budget" in body["note"] and body["dimensions"]["axes.rows"] == 32
    bad = client.post("/api/sweeps/estimate", json={**SEARCH_DEMO_SPEC, "budget": None})
    assert bad.status_code == 422 and "needs budget" in bad.text


def test_unknown_variant_fields_are_refused_with_the_valid_names(client) -> None:
    template = client.get("/api/templates").json()[0]
    spec = {**template["spec"], "variants": [{"label": "x", "overrides": {"scratchpad": 64}}]}
    answer = client.post("/api/sweeps/estimate", json=spec)
    assert answer.status_code == 422 and "variant 'x'" in answer.text and "scratchpad_kib" in answer.text


def test_the_gemmini_case_study_template_reproduces_the_steps(client, start_worker) -> None:
    templates = client.get("/api/templates").json()
    template = next(t for t in templates if t["id"] == "gemmini-case-study")
    assert template["name"] == "Gemmini full-stack case study"
    estimate = client.post("/api/sweeps/estimate", json=template["spec"]).json()
    assert estimate["points"] == 8 and estimate["dimensions"]["variant"] == 4
    start_worker(concurrency=1)
    sweep = wait_for_sweep(client, client.post("/api/sweeps", json=template["spec"]).json()["id"], timeout_s=180)
    assert sweep["status"] == "done" and sweep["done_points"] == 8, sweep
    columns = "point_index,seq_len,accelerator,scratchpad_kib,accumulator_kib,fusion,latency_s,energy_j"
    rows = client.get(f"/api/sweeps/{sweep['id']}/results", params={"columns": columns, "sort": "point_index"}).json()
    data = rows["columns"]
    for scenario in (0, 1):  # points 4·s .. 4·s+3 are the four steps of scenario s
        steps = range(4 * scenario, 4 * scenario + 4)
        assert [data["accelerator"][i] for i in steps] == ["gemmini-default", "gemmini-default",
                                                          "gemmini-transformer", "gemmini-transformer"]
        assert [data["scratchpad_kib"][i] for i in steps] == [256, 64, 64, 64]
        assert [data["accumulator_kib"][i] for i in steps] == [64, 256, 256, 256]
        assert [data["fusion"][i] for i in steps] == ["none", "none", "none", "qk_softmax+ffn1_activation"]
        latency = [data["latency_s"][i] for i in steps]
        energy = [data["energy_j"][i] for i in steps]
        assert latency[2] < latency[1] / 3, "integer non-linear units remove the host's share"
        assert latency[3] <= latency[2] and energy[3] < energy[2], "fusion saves DRAM round trips"
