"""The latency's error band through the service (issue 27, item 7): a stored sweep's rows carry `pricing`,
`latency_low_s` and `latency_high_s` (empty where no op is priced by the measured model), a point's JSON its band and
`validation`, and POST /api/simulate the same as the stored point."""

from __future__ import annotations

import csv
import io

import pytest

from backend.sweeps.chunks import run_chunk

pytestmark = pytest.mark.redis
SPEC = {"name": "bands", "models": ["resnet-18"], "scenarios": [{}], "accelerator": "gemmini-firesim",
        "axes": {"pricing": ["analytic", "gemmini-measured"], "cols": [16, 32]},
        "option_axes": {"mapper": ["gemmini"], "gemm_output": ["accumulator"]}, "strategy": "grid",
        "objectives": ["latency_s", "energy_j"]}


def test_stored_points_carry_the_band_and_the_simulate_route_agrees(client, session_factory) -> None:
    created = client.post("/api/sweeps", json=SPEC)
    assert created.status_code == 201, created.text
    sweep_id = created.json()["id"]
    run_chunk(session_factory, sweep_id, 0)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/sweeps/{sweep_id}/results",
                                                      params={"format": "csv"}).text)))
    by = {(row["pricing"], row["cols"]): row for row in rows}
    assert set(by) == {("analytic", "16"), ("analytic", "32"), ("gemmini-measured", "16"),
                       ("gemmini-measured", "32")}
    measured = by[("gemmini-measured", "16")]
    assert float(measured["latency_low_s"]) < float(measured["latency_s"]) < float(measured["latency_high_s"])
    assert by[("analytic", "16")]["latency_low_s"] == "" and by[("analytic", "32")]["error"] == ""
    # a non-square array under the measured model fails with the one-line error naming the field
    assert "set pricing: analytic" in by[("gemmini-measured", "32")]["error"]

    page = client.get(f"/api/sweeps/{sweep_id}/results", params={"columns": "id,pricing,latency_high_s"}).json()
    point_id = next(i for i, p in zip(page["columns"]["id"], page["columns"]["pricing"], strict=True)
                    if p == "gemmini-measured")
    point = client.get(f"/api/points/{point_id}").json()
    assert point["metrics"]["latency_high_s"] == pytest.approx(float(measured["latency_high_s"]), rel=1e-9)
    assert point["report"]["validation"].startswith("measured model on ")
    assert {op["pricing"] for op in point["report"]["ops"]} == {"gemmini-measured", "analytic"}

    simulated = client.post("/api/simulate", json={
        "model": "resnet-18", "accelerator": "gemmini-firesim", "overrides": {"pricing": "gemmini-measured"},
        "options": {"mapper": "gemmini", "gemm_output": "accumulator"}})
    assert simulated.status_code == 200, simulated.text
    body = simulated.json()
    assert body["metrics"]["latency_low_s"] == pytest.approx(float(measured["latency_low_s"]), rel=1e-9)
    assert body["report"]["validation"] == point["report"]["validation"]
    conv = next(op for op in body["report"]["ops"] if op["name"] == "conv1")
    assert conv["cycles_low"] < conv["cycles"] < conv["cycles_high"]
