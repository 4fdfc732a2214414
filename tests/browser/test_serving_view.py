"""The Serving page on a real `dse serve`: the serving curve of three designs (one trace each, batches labelled, the
TPOT SLO line, each design's goodput star where the API puts it), the goodput table, an arrival-driven run's
p50/p99 table; a bad design says what is wrong."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TRACES = "() => document.getElementById('serving-plot').data.map((t) => ({meta: t.meta, x: t.x, y: t.y, text: t.text}))"
DESIGNS = ["gemmini-transformer-32x32", "gemmini-transformer-32x32 rows=16 cols=16", "gemmini-transformer"]


def _design(line: str) -> dict:
    name, *pairs = line.split()
    return {"accelerator": name, "overrides": {k: int(v) for k, v in (p.split("=") for p in pairs)}}


def test_the_curve_the_goodput_and_an_arrival_run(dashboard, page, screenshot) -> None:
    page.goto(f"{dashboard.base_url}/#/serving?prompt=512&generate=128&slo_tpot=1500&batch=256")
    assert page.locator("nav a[data-nav=serving]").get_attribute("class") == "active"
    page.locator("#serving-plot .main-svg").first.wait_for(timeout=120_000)
    traces = page.evaluate(TRACES)
    assert [t["meta"] for t in traces] == [*DESIGNS, "goodput"]
    api = httpx.post(f"{dashboard.base_url}/api/serving/curve", timeout=120, json={
        "model": "llama-3-8b", "prompt_len": 512, "generate_len": 128, "batch_limit": 256, "slo_tpot_ms": 1500,
        "designs": [_design(line) for line in DESIGNS]}).json()["curves"]
    for trace, curve in zip(traces, api, strict=False):
        assert trace["x"] == pytest.approx([p["tpot_s"] for p in curve["points"]])
        assert trace["text"] == [str(p["batch"]) for p in curve["points"]]
    stars = traces[-1]
    best = [next(p for p in c["points"] if p["batch"] == c["goodput_batch"]) for c in api if c["goodput_batch"]]
    assert stars["y"] == pytest.approx([p["tokens_per_s"] for p in best]) and best
    assert all(p["tpot_s"] <= 1.5 for p in best)
    shapes = page.evaluate("() => document.getElementById('serving-plot').layout.shapes")
    assert shapes[0]["x0"] == pytest.approx(1.5)
    table = page.locator("#serving-goodput").inner_text()
    assert "Goodput under TPOT ≤ 1500 ms" in table and DESIGNS[1] in table
    page.fill("#serving-run-rate", "0.05")
    page.fill("#serving-run-requests", "500")
    page.click("#serving-run")
    page.locator("#serving-percentiles").wait_for(timeout=60_000)
    percentiles = page.locator("#serving-percentiles").inner_text()
    assert "Time to first token" in percentiles and "p99" in percentiles
    assert "goodput" in page.locator("#serving-run-summary").inner_text()
    title = page.locator("#serving-run-results h2").inner_text()
    assert title == "500 requests of llama-3-8b on gemmini-transformer-32x32"
    screenshot("40-serving-curve-and-run")


def test_a_bad_design_says_what_is_wrong(dashboard, page) -> None:
    page.goto(f"{dashboard.base_url}/#/serving?designs=gemmini-transformer-32x32 rows")
    error = page.locator("#serving-curve-results .notice.error")
    error.wait_for()
    assert "write overrides as field=value" in error.inner_text()
    page.fill("#serving-designs", "gemmini-transformer-32x23")
    page.click("#serving-draw")
    page.locator("#serving-curve-results .notice.error", has_text="did you mean").wait_for()
