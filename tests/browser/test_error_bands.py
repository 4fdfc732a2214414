"""The measured model's error band in the dashboard, on a real `dse serve` (issue 27, item 7): a sweep run by the
stack's worker on gemmini-firesim (mapper gemmini) with both pricings; the Pareto scatter offers error bars from the
stored latency_low_s / latency_high_s and draws them for the measured points only; a measured point's page gives
its band and each op's, an analytic one says it is not validated against measurements."""

from __future__ import annotations

import pytest

from tests.browser.real_sweeps import results, submit, wait_done
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SPEC = {"name": "firesim-bands", "models": ["resnet-18"], "scenarios": [{}], "accelerator": "gemmini-firesim",
        "axes": {"pricing": ["analytic", "gemmini-measured"], "scratchpad_kib": [64, 256, 1024],
                 "accumulator_kib": [64, 256]},
        "option_axes": {"mapper": ["gemmini"]}, "strategy": "grid", "objectives": ["latency_s", "energy_j"]}
BARS = """() => document.getElementById('pareto-plot').data.filter(t => t.meta === 'points' || t.meta === 'front')
  .flatMap(t => t.customdata.map((i, k) => ({i, x: t.x[k], plus: t.error_x ? t.error_x.array[k] : null,
                                             minus: t.error_x ? t.error_x.arrayminus[k] : null})))"""


def test_error_bars_and_point_bands(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    sweep_id = submit(dashboard.base_url, SPEC)
    wait_done(dashboard.base_url, sweep_id)
    rows = results(dashboard.base_url, sweep_id, "id,pricing,latency_s,latency_low_s,latency_high_s")
    bands = zip(rows["id"], rows["pricing"], rows["latency_low_s"], rows["latency_high_s"], strict=True)
    measured = {i: (low, high) for i, p, low, high in bands if p == "gemmini-measured"}
    analytic = [i for i, p in zip(rows["id"], rows["pricing"], strict=True) if p == "analytic"]
    assert len(measured) == 6 and len(analytic) == 6

    page.goto(f"{dashboard.base_url}/#/sweeps/{sweep_id}")
    toggle = page.locator("#error-bars")
    toggle.wait_for()
    assert page.evaluate(BARS) and all(b["plus"] is None for b in page.evaluate(BARS))  # off until asked
    toggle.check()
    page.wait_for_selector("#error-bars-caption")
    assert "e=1" in page.url
    drawn = page.evaluate(BARS)
    point_ids = rows["id"]  # the dashboard loads the results in the API's point order
    seen_measured = 0
    for bar in drawn:
        point = point_ids[bar["i"]]
        if point in measured:
            low, high = measured[point]
            assert bar["minus"] == pytest.approx(bar["x"] - low) and bar["plus"] == pytest.approx(high - bar["x"])
            assert bar["minus"] > 0 and bar["plus"] > 0
            seen_measured += 1
        else:
            assert bar["minus"] == 0 and bar["plus"] == 0  # not validated: no bar
    assert seen_measured > 0
    screenshot("60-pareto-error-bars")

    page.goto(f"{dashboard.base_url}/#/points/{next(iter(measured))}")
    note = page.locator("#point-validation")
    note.wait_for()
    assert "measured between" in note.inner_text() and "measured model on " in note.inner_text()
    assert page.locator(".op-band").count() > 0
    screenshot("61-point-with-error-band")

    page.goto(f"{dashboard.base_url}/#/points/{analytic[0]}")
    note = page.locator("#point-validation")
    note.wait_for()
    assert "not validated against measurements" in note.inner_text()
    assert page.locator(".op-band").count() == 0
