"""`POST /api/validate` on a real app and database: CSV text, JSON rows and the FireSim training set give per-row
predictions and the summary by kind; bad input is a 422 naming the row and column; viewers may not run it; it is
rate-limited like calibrate."""

from __future__ import annotations

import pytest

from simulator.hardware import load_accelerator_preset
from simulator.layer import ConvLayer, GemmLayer, evaluate_layer
from tests.sweeps_support import make_client

pytestmark = pytest.mark.redis
CSV = {"content-type": "text/csv"}
TWO_ROWS = ("kind,m,k,n,batch,in_channels,out_channels,out_h,out_w,kernel_h,kernel_w,stride,rows,cols,cycles\n"
            "gemm,128,768,768,,,,,,,,,32,32,100000\n"
            "conv,,,,1,64,64,56,56,3,3,1,,,500000\n")


def test_csv_text_gives_predictions_and_a_summary_by_kind(client) -> None:
    answer = client.post("/api/validate", content=TWO_ROWS, headers=CSV,
                         params={"accelerator": "gemmini-firesim", "mapper": "gemmini"})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    wide = load_accelerator_preset("gemmini-firesim", rows=32, cols=32)
    first = data["rows"][0]
    assert first["predicted_cycles"] == evaluate_layer(GemmLayer(128, 768, 768), wide, mapper="gemmini").cycles
    assert first["model"] == "gemmini-measured" and first["cycles_low"] < first["cycles_high"]
    assert first["dram_bytes"] is None and first["bound"] in ("host", "array", "reads", "writes", "memory")
    conv = evaluate_layer(ConvLayer(1, 64, 64, 56, 56, 3, 3), load_accelerator_preset("gemmini-firesim"),
                          mapper="gemmini")
    assert data["rows"][1]["predicted_cycles"] == conv.cycles
    assert first["where"] == "line 2" and first["overrides"] == {"rows": "32", "cols": "32"}
    assert first["error"] == pytest.approx(first["predicted_cycles"] / 100000 - 1)
    assert data["mapper"] == "gemmini" and data["rows"][1]["kind"] == "conv"
    summary = data["summary"]
    assert summary["rows"] == 2 and set(summary["by_kind"]) == {"gemm", "conv"}
    assert summary["median_abs_error"] == pytest.approx(sum(abs(r["error"]) for r in data["rows"]) / 2)
    assert summary["spearman"] == pytest.approx(1.0) or summary["spearman"] == pytest.approx(-1.0)


def test_json_rows_and_the_training_set(client) -> None:
    rows = [{"kind": "gemm", "m": 64, "k": 64, "n": 64, "cycles": 2000}, {"kind": "gemm", "m": 128, "k": 64,
                                                                          "n": 64, "cycles": 3000, "rows": None}]
    answer = client.post("/api/validate", json={"rows": rows})
    assert answer.status_code == 200, answer.text
    assert [r["where"] for r in answer.json()["rows"]] == ["row 1", "row 2"]
    assert {r["model"] for r in answer.json()["rows"]} == {"analytic"}  # gemmini-default's mapper optimal: no band
    assert answer.json()["mapper"] == "optimal"
    firesim = client.post("/api/validate", json={"rows": rows, "accelerator": "gemmini-firesim"})
    assert firesim.status_code == 200, firesim.text  # its default mapper is Gemmini's tiler: the measured model
    assert firesim.json()["mapper"] == "gemmini"
    assert {r["model"] for r in firesim.json()["rows"]} == {"gemmini-measured"}
    assert answer.json()["rows"][0]["cycles_low"] is None and "not validated" in answer.json()["notes"][0]
    training = client.post("/api/validate", json={"firesim_training": True, "accelerator": "gemmini-firesim"})
    assert training.status_code == 200, training.text
    data = training.json()
    assert len(data["rows"]) == 1567 and data["summary"]["by_kind"]["gemm"]["rows"] == 331
    summary = data["summary"]
    assert summary["median_abs_error"] < 0.15 and summary["spearman"] > 0.97  # docs/firesim_fit.md: 11.7%, 0.986
    assert 0.7 < summary["within_band"] < 0.9
    assert all(r["model"] == "gemmini-measured" and r["explicit_mapping"].startswith("L3[") for r in data["rows"])
    assert "fit to FireSim" in data["notes"][0] and not any("not evaluated" in note for note in data["notes"])


@pytest.mark.parametrize(("request_kwargs", "message"), [
    ({"content": TWO_ROWS.replace("500000", "-1"), "headers": CSV}, "line 3, column 'cycles': '-1' is not a positive"),
    ({"content": TWO_ROWS.replace("rows,cols", "rowz,cols"), "headers": CSV},
     "line 1: unknown column 'rowz' (did you mean rows?)"),
    ({"content": TWO_ROWS.replace(",32,32,", ",0,32,"), "headers": CSV}, "line 2, column 'rows': Input should be"),
    ({"json": {"rows": [{"kind": "gemm", "m": 1, "k": 1, "cycles": 1}]}}, "row 1, column 'n': missing"),
    ({"json": {"rows": [], "csv": TWO_ROWS}}, "one of them"),
    ({"json": {"csv": TWO_ROWS, "accelerator": "gemmini-defualt"}}, "did you mean gemmini-default"),
    ({"json": {"csv": TWO_ROWS, "mapper": "greedy"}}, "mapper"),
    ({"json": {"rows": [{"kind": "gemm"}] * 2001}}, "rows"),
    ({"content": b"\xff\xfe", "headers": CSV}, "not UTF-8"),
    ({"json": {"csv": "kind,m,k,n,mapping,cycles\ngemm,64,32,16,L3[WIO] P4 - L2[WI],5\n"}},
     "line 2, column 'mapping'"),
    ({"json": {"csv": "kind,m,k,n,mapping,cycles\ngemm,64,32,16,L3[WIO] P4 - L2[WI] N1 K16X - L1[O] C32X - L0[W] P16,5"
                      "\n", "accelerator": "gemmini-os"}}, "line 2: GEMM 64x32x16 cannot run: Gemmini's measured"),
])
def test_bad_input_is_a_422_naming_row_and_column(client, request_kwargs: dict, message: str) -> None:
    answer = client.post("/api/validate", **request_kwargs)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["detail"]


def test_it_is_rate_limited_like_calibrate(settings, session_factory) -> None:
    with make_client(settings.model_copy(update={"evaluations_per_minute": 1}), session_factory) as client:
        body = {"csv": TWO_ROWS}
        assert client.post("/api/validate", json=body).status_code == 200
        limited = client.post("/api/validate", json=body)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
