"""The LLM-serving template run from the sweeps list on a real stack opens on its serving view: one curve per design
over the batch axis (tokens/s against TPOT from the sweep's own points), the TPOT SLO line, each design's
goodput-optimal batch starred where the SLO says; changing the SLO moves the stars; the link opens the serving page
with the same designs."""

from __future__ import annotations

import httpx
import pytest

from backend.sweeps.templates import LLM_SERVING, SERVING_BATCHES, SERVING_SLO_TPOT_MS, SERVING_TENSOR_PARALLEL
from tests.browser import real_sweeps
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TRACES = "() => document.getElementById('serving-study-plot').data.map((t) => ({meta: t.meta, x: t.x, y: t.y}))"


def _goodput(points: list[dict], slo_s: float) -> dict | None:
    meeting = [p for p in points if p["tpot_s"] <= slo_s]
    return max(meeting, key=lambda p: (p["tokens_per_s"], -p["batch"])) if meeting else None


def test_the_template_opens_on_its_serving_curves(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    page.set_default_timeout(60_000)
    page.goto(f"{dashboard.base_url}/#/sweeps")
    page.click("button[data-template=llm-serving]")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    sweep = real_sweeps.wait_done(dashboard.base_url, sweep_id, failures=True)
    # the largest batches on one device do not fit its 16 GiB: they fail with the capacity message, the rest run
    assert sweep["status"] == "done" and 0 < sweep["failed_points"] < sweep["total_points"] // 3, sweep
    assert "does not fit device memory" in sweep["error"]
    page.reload()
    page.locator("#serving-study-plot .main-svg").first.wait_for()
    columns = real_sweeps.results(dashboard.base_url, sweep_id, "variant,tensor_parallel,batch,tpot_s,latency_s")
    # one curve per design: each variant on 1, 2 and 4 devices (tensor parallel)
    designs = [f"{v['label']}, TP {tp}" for v in LLM_SERVING["spec"]["variants"] for tp in SERVING_TENSOR_PARALLEL]
    curves = {d: sorted(({"batch": b, "tpot_s": t, "tokens_per_s": b * 128 / lat}
                         for v, tp, b, t, lat in zip(columns["variant"], columns["tensor_parallel"], columns["batch"],
                                                     columns["tpot_s"], columns["latency_s"], strict=True)
                         if f"{v}, TP {tp}" == d and t is not None),
                        key=lambda p: p["batch"]) for d in designs}
    traces = page.evaluate(TRACES)
    assert sorted(t["meta"] for t in traces[:-1]) == sorted(designs) and traces[-1]["meta"] == "goodput"
    designs = [t["meta"] for t in traces[:-1]]  # the page's order
    for trace, design in zip(traces, designs, strict=False):
        assert [round(x, 9) for x in trace["x"]] == [round(p["tpot_s"], 9) for p in curves[design]]
        assert trace["y"] == pytest.approx([p["tokens_per_s"] for p in curves[design]])
        assert 0 < len(trace["x"]) <= len(SERVING_BATCHES)
    best = [b for d in designs if (b := _goodput(curves[d], SERVING_SLO_TPOT_MS / 1e3))]
    assert traces[-1]["y"] == pytest.approx([p["tokens_per_s"] for p in best]) and best
    shapes = page.evaluate("() => document.getElementById('serving-study-plot').layout.shapes")
    assert shapes[0]["x0"] == pytest.approx(SERVING_SLO_TPOT_MS / 1e3)
    screenshot("41-llm-serving-template")
    page.fill("#serving-study-tpot", "2000")
    page.click("#serving-study button[type=submit]")
    page.wait_for_function("() => document.getElementById('serving-study-plot').layout.shapes[0].x0 === 2")
    looser = [b for d in designs if (b := _goodput(curves[d], 2.0))]
    assert page.evaluate(TRACES)[-1]["y"] == pytest.approx([p["tokens_per_s"] for p in looser])
    href = page.locator("#serving-study-link").get_attribute("href")
    assert href.startswith("#/serving?") and "rows%3D64+cols%3D64" in href and "slo_tpot=2000" in href
    assert httpx.get(f"{dashboard.base_url}/api/sweeps/{sweep_id}", timeout=30).json()["status"] == "done"
