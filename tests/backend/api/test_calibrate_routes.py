"""`POST /api/calibrate` on a real app and database: measurements as CSV text or JSON rows give the fit and a preset
definition that POST /api/accelerators takes; bad input is 422 naming the line; a calibrated preset or library
accelerator carries its `calibration` in the presets, the library, a point and a simulation."""

from __future__ import annotations

import pytest

from backend.sweeps.chunks import run_chunk
from tests.simulator.test_calibrate import ALTERED_HOST, CONFIGURATIONS, measured, measured_csv
from tests.sweeps_support import make_client

pytestmark = pytest.mark.redis
CSV = {"content-type": "text/csv"}
ONE_ROW = "model,seq_len,accelerator,op_class,cycles\nbert-base,128,gemmini-default,softmax,2e8\n"


def test_csv_measurements_give_a_preset_the_library_takes(client) -> None:
    answer = client.post("/api/calibrate", content=measured_csv("gemmini-default", ALTERED_HOST, CONFIGURATIONS[:2]),
                         headers=CSV, params={"preset": "gemmini-default", "file": "chip.csv", "name": "my-chip"})
    assert answer.status_code == 200, answer.text
    fit = answer.json()
    after = {c["field"]: c["after"] for c in fit["constants"]}
    for field, value in ALTERED_HOST.items():
        assert after[field] == pytest.approx(value, rel=0.05)
    softmax = next(c for c in fit["constants"] if c["field"] == "host_cycles_per_element_softmax")
    assert (softmax["label"], softmax["unit"], softmax["before"]) == ("Host softmax cost", "cycles/element", 40)
    assert fit["rms_log_error"] < 0.01 and fit["leave_one_out"]["rows_predicted"] == len(fit["rows"])
    assert fit["rows"][0]["where"] == "line 3"  # the comment line and the header come first
    assert fit["calibration"]["label"].startswith("calibrated to chip.csv, ")
    preset = fit["preset"]
    assert preset["name"] == "my-chip" and preset["calibration"]["file"] == "chip.csv"

    added = client.post("/api/accelerators", json={"name": "my-chip", "definition": preset})
    assert added.status_code == 201, added.text
    entry = client.get("/api/accelerators").json()["items"][0]
    assert entry["calibration"]["label"] == fit["calibration"]["label"]
    assert entry["summary"]["host_cycles_per_element_softmax"] == after["host_cycles_per_element_softmax"]
    simulated = client.post("/api/simulate", json={"model": "bert-base", "scenario": {"seq_len": 128},
                                                   "accelerator": "my-chip"}).json()
    assert simulated["calibration"]["label"] == fit["calibration"]["label"]
    # a fitted constant given another value is no longer what was calibrated
    changed = client.post("/api/accelerators", json={"name": "changed", "preset": "gemmini-default-calibrated",
                                                     "overrides": {"host_cycles_per_element_softmax": 50}})
    kept = client.post("/api/accelerators", json={"name": "wider", "preset": "gemmini-default-calibrated",
                                                  "overrides": {"rows": 32}})
    assert changed.json()["calibration"] is None
    assert kept.json()["calibration"]["base_preset"] == "gemmini-default"


def test_json_rows_fit_the_same_as_the_csv(client) -> None:
    rows = measured("gemmini-default", ALTERED_HOST, CONFIGURATIONS[:1])
    as_json = client.post("/api/calibrate", json={"preset": "gemmini-default", "rows": rows,
                                                  "fit": list(ALTERED_HOST)})
    assert as_json.status_code == 200, as_json.text
    assert [c["field"] for c in as_json.json()["constants"]] == list(ALTERED_HOST)
    assert as_json.json()["rows"][0]["where"] == "row 1"
    as_text = client.post("/api/calibrate", json={"preset": "gemmini-default", "fit": list(ALTERED_HOST),
                                                  "csv": measured_csv("gemmini-default", ALTERED_HOST,
                                                                      CONFIGURATIONS[:1])})
    assert [c["after"] for c in as_json.json()["constants"]] == [c["after"] for c in as_text.json()["constants"]]


@pytest.mark.parametrize(("request_kwargs", "status", "message"), [
    ({"content": ONE_ROW.replace("2e8", "-2"), "headers": CSV, "params": {"preset": "gemmini-default"}}, 422,
     "line 2: cycles must be a positive number, not -2"),
    ({"content": ONE_ROW, "headers": CSV}, 422, "give the preset to calibrate: POST /api/calibrate?preset=NAME"),
    ({"content": ONE_ROW, "headers": CSV, "params": {"preset": "gemmini-default", "fit": "rows"}}, 422,
     "cannot fit 'rows'"),
    ({"json": {"preset": "gemmini-default", "csv": ONE_ROW, "fit": ["host_cycles_per_element_softmax",
                                                                    "gemm_efficiency"]}}, 422,
     "under-determined: no measured row moves gemm_efficiency"),
    ({"json": {"preset": "gemmini-default", "csv": ONE_ROW, "rows": []}}, 422, "`rows` (objects) or `csv` (text)"),
    ({"json": {"preset": "nope", "csv": ONE_ROW}}, 422, "unknown accelerator preset 'nope'"),
    ({"json": {"preset": "gemmini-default", "rows": [{"model": "bert-base"}] * 501}}, 422, "rows: takes at most 500"),
    ({"json": {"preset": "gemmini-default", "rows": [
        {"model": "bert-base", "seq_len": 8 * (k + 1), "accelerator": "gemmini-default", "op_class": "softmax",
         "cycles": 1} for k in range(17)]}}, 422, "17 configurations (model, scenario, accelerator): at most 16"),
    ({"json": {"preset": "gemmini-default", "csv": ONE_ROW, "options": {"mapper": "greedy"}}}, 422,
     "options: mapper"),
    ({"content": b"\xff\xfe", "headers": CSV, "params": {"preset": "gemmini-default"}}, 422, "not UTF-8"),
    # past the CSRF check (a token, as a script sends), the route names what it takes
    ({"content": "{}", "headers": {"content-type": "application/xml", "authorization": "Bearer x"}}, 415,
     "send the measurements as text/csv or as JSON"),
])
def test_bad_input_is_refused_with_what_to_change(client, request_kwargs: dict, status: int, message: str) -> None:
    answer = client.post("/api/calibrate", **request_kwargs)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["detail"]


def test_calibrated_presets_are_labelled_and_a_point_on_one_says_so(client, session_factory) -> None:
    presets = {p["name"]: p for p in client.get("/api/presets/accelerators").json()}
    assert presets["gemmini-default"]["calibration"] is None
    label = presets["gemmini-default-calibrated"]["calibration"]["label"]
    assert label.startswith("calibrated to survey_baseline_measurements.csv, ")
    created = client.post("/api/sweeps", json={"name": "on-calibrated", "models": ["bert-base"],
                                               "scenarios": [{"seq_len": 128}],
                                               "accelerator": "gemmini-default-calibrated", "axes": {"rows": [16]}})
    assert created.status_code == 201, created.text
    run_chunk(session_factory, created.json()["id"], 0)
    point_id = client.get(f"/api/sweeps/{created.json()['id']}/results", params={"columns": "id"}).json()[
        "columns"]["id"][0]
    point = client.get(f"/api/points/{point_id}").json()
    assert point["calibration"]["label"] == label and point["inputs"]["accelerator"] == "gemmini-default-calibrated"
    plain = client.post("/api/simulate", json={"model": "bert-base", "scenario": {"seq_len": 128}}).json()
    assert plain["calibration"] is None
    one = {"model": "bert-base", "scenario": {"seq_len": 128}, "accelerator": "gemmini-default-calibrated"}
    assert client.post("/api/simulate", json={**one, "overrides": {"rows": 32}}).json()["calibration"]["label"] == label
    refitted = client.post("/api/simulate", json={**one, "overrides": {"dram_latency_cycles": 100}}).json()
    assert refitted["calibration"] is None  # a fitted constant overridden: no longer what was calibrated


def test_it_is_rate_limited_like_simulate(settings, session_factory) -> None:
    with make_client(settings.model_copy(update={"evaluations_per_minute": 1}), session_factory) as client:
        body = {"preset": "gemmini-default", "csv": ONE_ROW}
        assert client.post("/api/calibrate", json=body).status_code == 200
        limited = client.post("/api/calibrate", json=body)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
