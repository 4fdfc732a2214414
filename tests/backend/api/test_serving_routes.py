"""`POST /api/serving` and `POST /api/serving/curve` on a real app and database: the run's percentiles and goodput
(the low-rate TPOT is the batch-1 report's), the curve per design with its goodput, bad input as a 422 naming the
field, the bounds, the rate limit."""

from __future__ import annotations

import pytest

from simulator import Scenario, Workload, evaluate, load_accelerator_preset, load_model_preset
from tests.sweeps_support import make_client

pytestmark = pytest.mark.redis
RUN = {"model": "llama-3-8b", "accelerator": "gemmini-transformer-32x32", "rate_per_s": 0.001, "requests": 100,
       "prompt": {"kind": "fixed", "tokens": 256}, "generate": {"kind": "fixed", "tokens": 32}}
CURVE = {"model": "llama-3-8b", "prompt_len": 256, "generate_len": 32, "batch_limit": 64, "slo_tpot_ms": 530,
         "designs": [{"accelerator": "gemmini-transformer-32x32"},
                     {"accelerator": "gemmini-transformer-32x32", "overrides": {"rows": 16, "cols": 16}}]}


def _batch_1(**overrides):
    return evaluate(Workload(model=load_model_preset("llama-3-8b"), scenario=Scenario(prompt_len=256, generate_len=32)),
                    load_accelerator_preset("gemmini-transformer-32x32", **overrides))


def test_a_run_answers_percentiles_and_goodput(client) -> None:
    answer = client.post("/api/serving", json=RUN)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["requests"] == 100 and data["model"] == "llama-3-8b" and data["max_batch"] == 256
    assert data["tpot_s"]["p50"] == pytest.approx(_batch_1().tpot_s, rel=0.05)
    assert data["ttft_s"]["p50"] <= data["ttft_s"]["p99"] and data["goodput_tokens_per_s"] > 0


def test_a_busy_run_with_an_slo_and_overrides(client) -> None:
    body = {**RUN, "rate_per_s": 3, "overrides": {"rows": 16, "cols": 16}, "max_batch": 8, "slo_ttft_ms": 1,
            "prompt": {"kind": "uniform", "low": 64, "high": 512},
            "generate": {"kind": "empirical", "tokens": [8, 64], "weights": [3, 1]}}
    data = client.post("/api/serving", json=body).json()
    assert data["peak_batch"] == 8 and data["slo_met"] == 0 and data["goodput_tokens_per_s"] == 0
    assert data["throughput_tokens_per_s"] > 0


def test_the_curve_of_two_designs(client) -> None:
    answer = client.post("/api/serving/curve", json=CURVE)
    assert answer.status_code == 200, answer.text
    wide, narrow = answer.json()["curves"]
    assert wide["design"] == "gemmini-transformer-32x32"
    assert narrow["design"] == "gemmini-transformer-32x32 rows=16 cols=16"
    assert [point["batch"] for point in wide["points"]] == [1, 2, 4, 8, 16, 32, 64]
    assert wide["points"][0]["tpot_s"] == pytest.approx(_batch_1().tpot_s, rel=1e-12)
    assert narrow["points"][0]["tpot_s"] == pytest.approx(_batch_1(rows=16, cols=16).tpot_s, rel=1e-12)
    for curve in (wide, narrow):
        meeting = [p for p in curve["points"] if p["tpot_s"] <= 0.53]
        assert all(p["meets_slo"] == (p in meeting) for p in curve["points"])
        if meeting:
            best = max(meeting, key=lambda p: p["tokens_per_s"])
            assert (curve["goodput_tokens_per_s"], curve["goodput_batch"]) == (best["tokens_per_s"], best["batch"])
        else:
            assert curve["goodput_tokens_per_s"] is None and "no batch meets" in curve["note"]


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/api/serving", {**RUN, "requests": 20_001}, "requests"),
    ("/api/serving", {**RUN, "rate_per_s": 0}, "rate_per_s"),
    ("/api/serving", {**RUN, "prompt": {"kind": "uniform", "low": 9, "high": 3}}, "high (3) is below low (9)"),
    ("/api/serving", {**RUN, "prompt": {"kind": "normal", "tokens": 3}}, "prompt"),
    ("/api/serving", {**RUN, "prompt": {"kind": "fixed", "tokens": 9000}}, "max positions"),
    ("/api/serving", {**RUN, "accelerator": "gemmini-transformer-32x23"}, "did you mean"),
    ("/api/serving", {**RUN, "model": "bert-base"}, "decoder"),
    ("/api/serving", {**RUN, "overrides": {"rows": 0}}, "rows"),
    ("/api/serving/curve", {**CURVE, "designs": []}, "designs"),
    ("/api/serving/curve", {**CURVE, "designs": CURVE["designs"] * 5}, "designs"),
    ("/api/serving/curve", {**CURVE, "generate_len": 0}, "generate_len"),
    ("/api/serving/curve", {**CURVE, "slo_tpot_ms": -1}, "slo_tpot_ms"),
])
def test_bad_input_is_a_422_naming_the_field(client, path: str, body: dict, message: str) -> None:
    answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    assert message in str(answer.json()["detail"])


def test_it_is_rate_limited_like_simulate(settings, session_factory) -> None:
    with make_client(settings.model_copy(update={"evaluations_per_minute": 1}), session_factory) as client:
        assert client.post("/api/serving", json={**RUN, "requests": 5}).status_code == 200
        limited = client.post("/api/serving/curve", json=CURVE)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
