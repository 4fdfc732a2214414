"""Sweeps API on SQLite and PostgreSQL, with a real `dse worker` subprocess on Redis running the sweeps."""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow.parquet as pq
import pytest

from backend.sweeps.chunks import run_chunk
from simulator.pareto import pareto_mask
from tests.sweeps_support import DEMO_SPEC, queued_tasks, wait_for_sweep

pytestmark = pytest.mark.redis


def test_the_readme_example_is_accepted_as_written(client) -> None:
    estimate = client.post("/api/sweeps/estimate", json=DEMO_SPEC)
    assert estimate.status_code == 200, estimate.text
    assert estimate.json()["points"] == 36
    assert estimate.json()["dimensions"] == {"model": 1, "scenario": 2, "axes.rows": 3, "axes.cols": 3,
                                             "axes.scratchpad_kib": 2}
    created = client.post("/api/sweeps", json=DEMO_SPEC)
    assert created.status_code == 201, created.text
    sweep = created.json()
    assert (sweep["status"], sweep["total_points"], sweep["done_points"]) == ("queued", 36, 0)
    assert sweep["chunk_count"] == 4  # chunk_size 10 in these tests
    assert client.get(f"/api/sweeps/{sweep['id']}").json()["name"] == "demo"
    listed = client.get("/api/sweeps").json()
    assert sweep["id"] in [item["id"] for item in listed["items"]]


def test_a_sweep_runs_through_a_real_worker(client, start_worker) -> None:
    start_worker()
    sweep_id = client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    sweep = wait_for_sweep(client, sweep_id)
    assert sweep["status"] == "done", sweep
    assert (sweep["done_points"], sweep["failed_points"], sweep["progress"], sweep["eta_s"]) == (36, 0, 1.0, 0.0)
    assert sweep["points_per_s"] > 0 and sweep["chunks_done"] == 4
    assert client.get(f"/api/sweeps/{sweep_id}/results", params={"limit": 100}).json()["total"] == 36


@pytest.fixture
def stored(client, session_factory) -> tuple[int, dict[str, list]]:
    """The demo sweep created through the API and evaluated by the chunk code in this process; its results."""
    sweep_id = client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    for chunk in range(4):
        run_chunk(session_factory, sweep_id, chunk)
    everything = client.get(f"/api/sweeps/{sweep_id}/results", params={"limit": 100}).json()
    assert everything["total"] == 36 and everything["count"] == 36
    return sweep_id, everything["columns"]


def test_results_hold_every_point(client, stored) -> None:
    _, columns = stored
    assert sorted(columns["point_index"]) == list(range(36))
    assert set(columns["rows"]) == {8, 16, 32}
    assert all(value > 0 for value in columns["latency_s"])


def test_pareto_per_group_is_the_one_pareto_mask_within_each_group(client, stored) -> None:
    """The demo sweep runs seq 128 and 512: one front each, never a front that compares the two."""
    sweep_id, _ = stored
    cols = client.get(f"/api/sweeps/{sweep_id}/results", params={"columns": "id,seq_len,latency_s,energy_j"}).json()[
        "columns"]
    answer = client.get(f"/api/sweeps/{sweep_id}/pareto", params={
        "objectives": "latency_s,energy_j", "columns": "rows,cols", "group_by": "model,seq_len"}).json()
    assert answer["group_by"] == ["model", "seq_len"]
    assert [group["key"] for group in answer["groups"]] == [{"model": "bert-base", "seq_len": 128},
                                                           {"model": "bert-base", "seq_len": 512}]
    for group in answer["groups"]:
        mine = [i for i, seq in enumerate(cols["seq_len"]) if seq == group["key"]["seq_len"]]
        values = np.c_[[cols["latency_s"][i] for i in mine], [cols["energy_j"][i] for i in mine]]
        expected = {cols["id"][mine[i]] for i in np.flatnonzero(pareto_mask(values))}
        assert {row["id"] for row in group["front"]} == expected and group["front_size"] == len(expected)
        assert group["compared"] == len(mine) == 18
        assert all("rows" in row and "latency_s" in row for row in group["front"])
    overall = client.get(f"/api/sweeps/{sweep_id}/pareto").json()
    assert set(overall["columns"]["seq_len"]) == {128}, "the ungrouped front mixes workloads: 128 always wins"
    filtered = client.get(f"/api/sweeps/{sweep_id}/pareto", params={"group_by": "rows", "filter": "rows:16:"}).json()
    assert [group["key"] for group in filtered["groups"]] == [{"rows": 16}, {"rows": 32}]


@pytest.mark.parametrize(("group_by", "message"), [
    ("latency_s", "cannot group by 'latency_s': group by design parameters"),
    ("model,model", "named twice"), ("model,seq_len,rows,cols,scratchpad_kib", "at most 4 columns")])
def test_a_bad_group_by_is_a_422_that_says_why(client, stored, group_by: str, message: str) -> None:
    answer = client.get(f"/api/sweeps/{stored[0]}/pareto", params={"group_by": group_by})
    assert answer.status_code == 422 and message in answer.json()["detail"], answer.text


def test_ratio_columns_against_a_baseline_point(client, stored) -> None:
    sweep_id, cols = stored
    base = cols["id"][5]
    results = f"/api/sweeps/{sweep_id}/results"
    page = client.get(results, params={"baseline": base, "columns": "id,seq_len,latency_s,energy_j,edp_j_s,speedup,"
                                       "energy_ratio,edp_ratio", "sort": "-speedup"}).json()["columns"]
    b = page["id"].index(base)
    same = [k for k in range(len(page["id"])) if page["seq_len"][k] == page["seq_len"][b]]
    assert len(same) == 18 and same == list(range(18)), "ratios of the baseline's workload first, then the empty ones"
    for k in range(len(page["id"])):
        if k not in same:  # another workload (the demo's other sequence length): no ratio, never a false speedup
            assert (page["speedup"][k], page["energy_ratio"][k], page["edp_ratio"][k]) == (None, None, None)
            continue
        assert page["speedup"][k] == pytest.approx(page["latency_s"][b] / page["latency_s"][k])
        assert page["energy_ratio"][k] == pytest.approx(page["energy_j"][k] / page["energy_j"][b])
        assert page["edp_ratio"][k] == pytest.approx(page["edp_j_s"][k] / page["edp_j_s"][b])
    assert page["speedup"][b] == pytest.approx(1.0)
    assert page["speedup"][:18] == sorted(page["speedup"][:18], reverse=True)
    exported = list(csv.DictReader(io.StringIO(client.get(results, params={"format": "csv", "baseline": base}).text)))
    assert len(exported) == 36 and {"speedup", "energy_ratio", "edp_ratio"} <= set(exported[0])
    assert sum(row["speedup"] == "" for row in exported) == 18
    assert "speedup" not in client.get(results, params={"limit": 1}).json()["columns"]
    without = client.get(results, params={"columns": "id,speedup"})
    assert without.status_code == 422 and "add baseline=POINT_ID" in without.json()["detail"]
    elsewhere = client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    foreign = client.get(f"/api/sweeps/{elsewhere}/results", params={"baseline": base})
    assert foreign.status_code == 422 and f"is not a point of sweep {elsewhere}" in foreign.json()["detail"]


def test_results_filter_select_sort_and_page(client, stored) -> None:
    sweep_id, columns = stored
    cutoff = float(np.median(columns["energy_j"]))
    params = {"columns": "id,rows,scratchpad_kib,energy_j", "filter": ["rows:16:", f"energy_j::{cutoff}"],
              "sort": "-energy_j", "limit": 3, "offset": 1}
    page = client.get(f"/api/sweeps/{sweep_id}/results", params=params).json()
    expected = sorted((e, r) for e, r in zip(columns["energy_j"], columns["rows"], strict=True)
                      if r >= 16 and e <= cutoff)
    assert page["total"] == len(expected)
    assert list(page["columns"]) == ["id", "rows", "scratchpad_kib", "energy_j"]
    assert page["columns"]["energy_j"] == [e for e, _ in sorted(expected, reverse=True)][1:4]
    assert all(r >= 16 for r in page["columns"]["rows"])
    only_64 = client.get(f"/api/sweeps/{sweep_id}/results", params={"filter": "scratchpad_kib=64"}).json()
    assert only_64["total"] == 18
    estimated = client.get(f"/api/sweeps/{sweep_id}/results", params={"filter": "scratchpad_kib=64",
                                                                      "total": "estimate"}).json()
    assert estimated["count"] == 18 and estimated["total"] >= 1  # the planner's guess on PostgreSQL
    assert estimated["total_exact"] is (client.app.state.engine.dialect.name != "postgresql")


def test_pareto_fronts_are_the_one_pareto_mask(client, stored) -> None:
    sweep_id, cols = stored
    front = client.get(f"/api/sweeps/{sweep_id}/pareto", params={"objectives": "latency_s,energy_j",
                                                                "columns": "rows,cols"}).json()
    values = np.c_[cols["latency_s"], cols["energy_j"]]
    expected_ids = {cols["id"][i] for i in np.flatnonzero(pareto_mask(values))}
    assert set(front["columns"]["id"]) == expected_ids and front["compared"] == 36
    assert front["columns"]["latency_s"] == sorted(front["columns"]["latency_s"])
    maximised = client.get(f"/api/sweeps/{sweep_id}/pareto", params={
        "objectives": "throughput_per_s,area_mm2", "filter": "rows:16:"}).json()
    assert maximised["objectives"][0] == {"name": "throughput_per_s", "direction": "max"}
    kept = [i for i, rows in enumerate(cols["rows"]) if rows >= 16]
    values = np.c_[[cols["throughput_per_s"][i] for i in kept], [cols["area_mm2"][i] for i in kept]]
    expected_ids = {cols["id"][kept[i]] for i in np.flatnonzero(pareto_mask(values, [True, False]))}
    assert set(maximised["columns"]["id"]) == expected_ids and maximised["compared"] == len(kept)
    three = client.get(f"/api/sweeps/{sweep_id}/pareto", params={"objectives": "latency_s,energy_j,area_mm2"}).json()
    values = np.c_[cols["latency_s"], cols["energy_j"], cols["area_mm2"]]
    assert set(three["columns"]["id"]) == {cols["id"][i] for i in np.flatnonzero(pareto_mask(values))}


def test_exports_stream_every_row(client, stored) -> None:
    sweep_id, _ = stored
    csv_text = client.get(f"/api/sweeps/{sweep_id}/results", params={"format": "csv", "columns": "id,model"}).text
    assert csv_text.splitlines()[0] == "id,model" and len(csv_text.splitlines()) == 37
    parquet = client.get(f"/api/sweeps/{sweep_id}/results", params={"format": "parquet"})
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 36 and "energy_j" in table.column_names


def test_a_point_has_its_report(client, stored) -> None:
    sweep_id, columns = stored
    point = client.get(f"/api/points/{columns['id'][0]}").json()
    assert point["sweep_id"] == sweep_id and point["metrics"]["latency_s"] > 0
    assert point["parameters"]["model"] == "bert-base" and point["accelerator"]["dataflow"] == "ws"
    assert point["report"]["ops"] and {"name", "cycles", "energy_j", "bound"} <= set(point["report"]["ops"][0])


def test_bad_specs_are_422_with_a_message_to_act_on(client) -> None:
    unknown_axis = client.post("/api/sweeps", json={**DEMO_SPEC, "axes": {"rowz": [8]}})
    assert unknown_axis.status_code == 422 and "rowz" in unknown_axis.json()["detail"]
    assert "scratchpad_kib" in unknown_axis.json()["detail"]  # lists the valid names
    too_big = client.post("/api/sweeps/estimate", json={**DEMO_SPEC, "axes": {
        "rows": {"start": 1, "stop": 1000, "step": 1}, "cols": {"start": 1, "stop": 1001, "step": 1}}})
    assert too_big.status_code == 422 and "2,002,000 points" in too_big.json()["detail"]
    unknown_model = client.post("/api/sweeps", json={**DEMO_SPEC, "models": ["bert-bsae"]})
    assert unknown_model.status_code == 422 and "bert-base" in unknown_model.json()["detail"]
    unknown_objective = client.post("/api/sweeps", json={**DEMO_SPEC, "objectives": ["speed"]})
    assert unknown_objective.status_code == 422
    random_without_n = client.post("/api/sweeps/estimate", json={**DEMO_SPEC, "strategy": "random"})
    assert random_without_n.status_code == 422 and "n_points" in str(random_without_n.json()["detail"])
    random = client.post("/api/sweeps/estimate", json={**DEMO_SPEC, "strategy": "random", "n_points": 500})
    assert random.json()["points"] == 500


# The audit's inputs that used to pass the door and fail point by point in a worker: (change, where, what).
BAD_AT_THE_DOOR = [
    ({"axes": {"rows": [-8, 16]}}, "axes.rows", "-8 is not an integer from 1 to 4,096"),
    ({"axes": {"rows": [0]}}, "axes.rows", "0 is not an integer from 1 to 4,096"),
    ({"scenarios": [{"seq_len": 0}]}, "scenarios.0.seq_len", "0 is not an integer above 0"),
    ({"models": ["gpt2"], "scenarios": [{"seq_len": 16, "generate_len": -5}]}, "scenarios.0.generate_len",
     "-5 is not an integer from 0"),
    ({"axes": {"scratchpad_kib": ["64, abc"]}}, "axes.scratchpad_kib", "'64, abc' is not a number above 0"),
    ({"models": ["gpt2"], "scenarios": [{"seq_len": 100000}]}, "scenarios.0",
     "sequence length 100000 exceeds gpt2's max positions 1024"),
    ({"options": {"weight_precision": "int3"}}, "options.weight_precision", "'int3' is not one of: int8, int4"),
    ({"scenarios": [{"seq_len": "abc"}]}, "scenarios.0.seq_len", "'abc' is not an integer"),
    ({"scenario_axes": {"seq_len": [128, 4096]}, "scenarios": [{}]}, "scenario_axes.seq_len",
     "sequence length 4096 exceeds bert-base's max positions 512"),
    ({"variants": [{"label": "v", "overrides": {"dataflow": "is"}}]}, "variants.0.overrides.dataflow",
     "'is' is not one of: ws, os"),
    ({"models": ["bert-base"], "scenarios": [{"prompt_len": 4, "generate_len": 8}]}, "scenarios.0",
     "no model of the sweep runs it (bert-base is an encoder"),
]


@pytest.mark.parametrize(("change", "where", "what"), BAD_AT_THE_DOOR, ids=[w for _, w, _ in BAD_AT_THE_DOOR])
def test_a_bad_value_is_a_422_at_the_door_naming_field_and_value(client, settings, change, where, what) -> None:
    spec = {**DEMO_SPEC, **change}
    for path in ("/api/sweeps/estimate", "/api/sweeps"):
        answer = client.post(path, json=spec)
        assert answer.status_code == 422, (path, answer.text)
        errors = {e["loc"]: e["msg"] for e in answer.json()["errors"]}
        assert where in errors and what in errors[where], errors
        assert answer.json()["detail"].startswith(f"{where}: ")
    assert client.get("/api/sweeps").json()["total"] == 0 and queued_tasks(settings) == []  # nothing queued


def test_a_mixed_sweep_keeps_its_combination_failures_per_point(client, session_factory) -> None:
    """600 tokens is past bert-base's 512 positions but within gpt2's 1024: a combination, not a value, so the
    sweep is accepted and the bert-base points fail with the simulator's message; the sweep ends done, 1 failed."""
    created = client.post("/api/sweeps", json={**DEMO_SPEC, "models": ["bert-base", "gpt2"],
                                               "scenarios": [{"seq_len": 600}], "axes": {"rows": [16]}})
    assert created.status_code == 201, created.text
    run_chunk(session_factory, created.json()["id"], 0)
    sweep = client.get(f"/api/sweeps/{created.json()['id']}").json()
    assert (sweep["status"], sweep["done_points"], sweep["failed_points"]) == ("done", 1, 1)
    assert "exceeds bert-base's max positions 512" in sweep["error"]
    # exports keep every point, the failed one with its error; a page shows results unless asked for failures
    results = f"/api/sweeps/{sweep['id']}/results"
    rows = list(csv.DictReader(io.StringIO(client.get(results, params={"format": "csv"}).text)))
    assert sorted((row["model"], bool(row["error"])) for row in rows) == [("bert-base", True), ("gpt2", False)]
    failed = next(row for row in rows if row["error"])
    assert "max positions 512" in failed["error"] and failed["latency_s"] == ""
    table = pq.read_table(io.BytesIO(client.get(results, params={"format": "parquet"}).content))
    assert table.num_rows == 2 and sum(e is not None for e in table.column("error").to_pylist()) == 1
    assert client.get(results, params={"columns": "model,error"}).json()["columns"]["model"] == ["gpt2"]
    page = client.get(results, params={"columns": "model,error", "include_failed": True}).json()
    assert page["total"] == 2 and sorted(page["columns"]["model"]) == ["bert-base", "gpt2"]
    only_results = client.get(results, params={"format": "csv", "include_failed": False}).text
    assert len(list(csv.DictReader(io.StringIO(only_results)))) == 1


def test_a_sweep_whose_points_all_fail_is_failed(client, session_factory) -> None:
    """Softmax on the accelerator of a preset without non-linear lanes: a combination of two fields (the door
    accepts it), and every point fails; the sweep is `failed`."""
    created = client.post("/api/sweeps", json={**DEMO_SPEC, "scenarios": [{"seq_len": 128}],
                                               "axes": {"rows": [16], "softmax_on": ["accelerator"]}})
    assert created.status_code == 201, created.text
    run_chunk(session_factory, created.json()["id"], 0)
    sweep = client.get(f"/api/sweeps/{created.json()['id']}").json()
    assert (sweep["status"], sweep["done_points"], sweep["failed_points"]) == ("failed", 0, 1), sweep
    assert "nonlinear_elements_per_cycle" in sweep["error"]


def test_values_come_back_as_their_fields_hold_them(client) -> None:
    created = client.post("/api/sweeps", json={**DEMO_SPEC, "axes": {"rows": ["16", 32], "scratchpad_kib": [64]},
                                               "options": {"fuse_nonlinear": "true"}})
    assert created.status_code == 201, created.text
    spec = created.json()["spec"]
    assert spec["axes"]["rows"] == [16, 32] and spec["axes"]["scratchpad_kib"] == [64]
    assert spec["options"] == {"fuse_nonlinear": True}


def test_results_queries_reject_bad_input(client) -> None:
    sweep_id = client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    for params in ({"filter": "rows:x:"}, {"filter": "nope:1:2"}, {"columns": "id,nope"}, {"sort": "nope"},
                   {"filter": "model:1:2"}, {"filter": "rows"}):
        response = client.get(f"/api/sweeps/{sweep_id}/results", params=params)
        assert response.status_code == 422, (params, response.text)
        assert isinstance(response.json()["detail"], str)
    assert client.get(f"/api/sweeps/{sweep_id}/pareto", params={"objectives": "speed"}).status_code == 422
    assert client.get("/api/sweeps/987654/results").status_code == 404
    assert client.get("/api/sweeps/987654").json() == {"detail": "sweep 987654 does not exist"}
    assert client.get("/api/points/987654").status_code == 404


def test_cancel_stops_the_remaining_chunks_and_delete_needs_a_finished_sweep(
        client, session_factory) -> None:
    from backend.sweeps.chunks import run_chunk

    sweep_id = client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    deleting = client.delete(f"/api/sweeps/{sweep_id}")
    assert deleting.status_code == 409 and "cancel it first" in deleting.json()["detail"]
    assert run_chunk(session_factory, sweep_id, 0).status == "done"  # one chunk ran before the cancel
    cancelled = client.post(f"/api/sweeps/{sweep_id}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["done_points"] == 10
    assert run_chunk(session_factory, sweep_id, 1).reason == "sweep cancelled"
    assert client.get(f"/api/sweeps/{sweep_id}/results").json()["total"] == 10
    assert client.post(f"/api/sweeps/{sweep_id}/cancel").status_code == 409
    assert client.delete(f"/api/sweeps/{sweep_id}").status_code == 204
    assert client.get(f"/api/sweeps/{sweep_id}").status_code == 404
    assert client.get(f"/api/sweeps/{sweep_id}/results").status_code == 404


def test_the_front_follows_every_stored_chunk(client, session_factory, settings) -> None:
    """Fronts are cached per API process by the sweep's counters: a chunk stored in between is always seen."""
    from backend.core.db import transaction
    from backend.sweeps.chunks import run_chunk
    from backend.sweeps.service import create_sweep
    from backend.sweeps.spec import SweepSpec

    with transaction(session_factory) as session:
        sweep_id = create_sweep(session, SweepSpec.model_validate(DEMO_SPEC), settings).id
    params = {"objectives": "latency_s,energy_j", "columns": "rows"}
    assert client.get(f"/api/sweeps/{sweep_id}/pareto", params=params).json()["compared"] == 0
    for chunk, stored in ((0, 10), (1, 20)):
        run_chunk(session_factory, sweep_id, chunk)
        front = client.get(f"/api/sweeps/{sweep_id}/pareto", params=params).json()
        everything = client.get(f"/api/sweeps/{sweep_id}/results", params={"limit": 100}).json()["columns"]
        values = np.c_[everything["latency_s"], everything["energy_j"]]
        assert front["compared"] == stored == len(everything["id"])
        assert set(front["columns"]["id"]) == {everything["id"][i] for i in np.flatnonzero(pareto_mask(values))}
        assert client.get(f"/api/sweeps/{sweep_id}/pareto", params=params).json() == front  # served again


def _decode_arrays(body: bytes) -> tuple[dict, dict]:
    """The binary columns format read the way the dashboard's worker reads it."""
    import json
    import struct

    (length,) = struct.unpack_from("<I", body)
    header = json.loads(body[4:4 + length])
    position = 4 + length + (-(4 + length) % 8)
    columns = dict(header["columns"])
    for name in header["numeric"]:
        columns[name] = np.frombuffer(body, dtype="<f8", count=header["count"], offset=position)
        position += 8 * header["count"]
    assert position == len(body)
    return header, columns


def test_binary_columns_hold_what_the_json_page_holds(client, session_factory, settings) -> None:
    from backend.core.db import transaction
    from backend.sweeps.chunks import run_chunk
    from backend.sweeps.service import create_sweep
    from backend.sweeps.spec import SweepSpec

    with transaction(session_factory) as session:
        sweep_id = create_sweep(session, SweepSpec.model_validate(DEMO_SPEC), settings).id
    run_chunk(session_factory, sweep_id, 0)
    params = {"columns": "id,model,rows,prompt_len,kv_cache,latency_s,quality_loss,bottleneck", "limit": 7,
              "offset": 2, "sort": "-energy_j"}
    page = client.get(f"/api/sweeps/{sweep_id}/results", params=params).json()
    binary = client.get(f"/api/sweeps/{sweep_id}/results", params={**params, "format": "arrays"})
    assert binary.status_code == 200 and binary.headers["content-type"] == "application/octet-stream"
    header, columns = _decode_arrays(binary.content)
    assert {k: header[k] for k in ("total", "count", "limit", "offset")} == {k: page[k] for k in
                                                                            ("total", "count", "limit", "offset")}
    assert header["numeric"] == ["id", "rows", "prompt_len", "latency_s", "quality_loss"]
    for name, values in page["columns"].items():
        if name in header["numeric"]:  # numbers as float64, null as NaN
            assert np.array_equal(columns[name], np.array(values, dtype=float), equal_nan=True), name
        else:
            assert columns[name] == values, name
    assert np.isnan(columns["prompt_len"]).all() and not np.isnan(columns["quality_loss"]).any()
    beyond = client.get(f"/api/sweeps/{sweep_id}/results", params={**params, "offset": 100, "format": "arrays"})
    header, columns = _decode_arrays(beyond.content)
    assert header["count"] == 0 and len(columns["latency_s"]) == 0 and columns["model"] == []
    bad = client.get(f"/api/sweeps/{sweep_id}/results", params={"format": "arrays", "filter": "rows:x:"})
    assert bad.status_code == 422 and "not a number" in bad.json()["detail"]


def test_a_decoder_sweep_carries_its_variants_and_serving_metrics(client, session_factory) -> None:
    """GPT-2 with a 32-token prompt and 16 generated tokens, two named variants: each row has its variant label and
    TTFT, TPOT and decode throughput that add up to its latency; an encoder's row has none of them."""
    created = client.post("/api/sweeps", json={
        **DEMO_SPEC, "models": ["gpt2", "bert-base"], "scenarios": [{"prompt_len": 32, "generate_len": 16}],
        "variants": [{"label": "1 baseline"}, {"label": "2 wide", "overrides": {"cols": 32}}], "axes": {}})
    assert created.status_code == 201, created.text
    run_chunk(session_factory, created.json()["id"], 0)
    columns = "model,variant,latency_s,ttft_s,tpot_s,decode_tokens_per_s,decode_energy_per_token_j,energy_j,error"
    page = client.get(f"/api/sweeps/{created.json()['id']}/results",
                      params={"columns": columns, "include_failed": True}).json()["columns"]
    rows = [dict(zip(page, values, strict=True)) for values in zip(*page.values(), strict=True)]
    gpt2 = [row for row in rows if row["model"] == "gpt2"]
    assert sorted(row["variant"] for row in gpt2) == ["1 baseline", "2 wide"]
    for row in gpt2:
        assert row["error"] is None and 0 < row["ttft_s"] < row["latency_s"]
        assert abs(row["ttft_s"] + 16 * row["tpot_s"] - row["latency_s"]) < 1e-9 * row["latency_s"]
        assert abs(row["decode_tokens_per_s"] * row["tpot_s"] - 1) < 1e-9
        assert 0 < 16 * row["decode_energy_per_token_j"] < row["energy_j"]
    # bert-base is an encoder: prompt/generate lengths do not apply, so it fails with that reason
    bert = [row for row in rows if row["model"] == "bert-base"]
    assert bert and all("is an encoder" in row["error"] and row["ttft_s"] is None for row in bert)


def test_the_estimate_times_a_spec_from_earlier_sweeps_of_its_workload(client, session_factory) -> None:
    """Before any sweep: no figure. After one bert-base sweep: its measured speed for bert-base specs, and the
    all-sweeps figure, labelled so, for another workload."""
    decode = {**DEMO_SPEC, "models": ["gpt2"], "scenarios": [{"prompt_len": 16, "generate_len": 8}]}
    first = client.post("/api/sweeps/estimate", json=DEMO_SPEC).json()
    assert first["worker_seconds"] is None and first["speed_source"] == "no sweep measured yet"
    sweep_id = client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    for chunk in range(client.get(f"/api/sweeps/{sweep_id}").json()["chunk_count"]):
        run_chunk(session_factory, sweep_id, chunk)
    measured = client.get(f"/api/sweeps/{sweep_id}").json()
    same = client.post("/api/sweeps/estimate", json=DEMO_SPEC).json()
    assert same["speed_source"] == "measured on 1 earlier sweep of this workload (bert-base, single pass)"
    assert same["points_per_s"] > 0 and abs(same["worker_seconds"] * same["points_per_s"] - 36) < 1e-6
    assert measured["done_points"] == 36
    other = client.post("/api/sweeps/estimate", json=decode).json()
    assert other["speed_source"] == "measured on recent sweeps of other workloads"
    assert other["points_per_s"] == pytest.approx(same["points_per_s"])
