"""Quality on a real `dse serve`: a sweep over precisions where only BERT-Base int8/int8 has a published figure
(Q8BERT, F1 on SQuAD). The points without one are counted in the caption and can be shown; the quality loss reads
in its published metric's unit, on the sweep page and the point page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.real_sweeps import results, submit, wait_done
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRECISIONS_SPEC: dict[str, Any] = {
    "name": "precisions", "models": ["bert-base"], "scenarios": [{"seq_len": 128}], "accelerator": "gemmini-default",
    "axes": {"rows": [16, 32], "cols": [16, 32]},
    "option_axes": {"weight_precision": ["int8", "int4"], "activation_precision": ["int8", "int4"]},
    "strategy": "grid", "objectives": ["latency_s", "quality_loss"],
}
TRACES = """() => document.getElementById('pareto-plot').data.map((t) => ({ meta: t.meta, n: (t.x || []).length,
  y: Array.from(t.y || []) }))"""


@pytest.fixture(scope="module")
def precisions(dashboard) -> tuple[int, dict[str, list]]:
    wait_for_health(dashboard.base_url, timeout_s=180)
    sweep_id = submit(dashboard.base_url, PRECISIONS_SPEC)
    wait_done(dashboard.base_url, sweep_id)
    return sweep_id, results(dashboard.base_url, sweep_id, "id,quality_loss,latency_s")


def test_points_without_a_published_figure_are_counted_and_can_be_shown(dashboard, page, precisions,
                                                                          screenshot) -> None:
    sweep_id, columns = precisions
    missing = sum(value is None for value in columns["quality_loss"])
    assert missing == 12 and len(columns["id"]) == 16  # only int8 x int8 has a published row
    page.goto(f"{dashboard.base_url}/#/sweeps/{sweep_id}")
    caption = page.locator("#missing-caption")
    caption.wait_for()
    assert (f"{missing} points have no published quality figure and are left out of this front: show them"
            in caption.inner_text())
    assert not any(t["meta"] == "missing" for t in page.evaluate(TRACES))
    page.click("#show-missing")
    page.wait_for_function("() => document.getElementById('pareto-plot').data.some((t) => t.meta === 'missing')")
    [shown] = [t for t in page.evaluate(TRACES) if t["meta"] == "missing"]
    published = [v for v in columns["quality_loss"] if v is not None]
    assert shown["n"] == missing and all(y < min(published) for y in shown["y"])  # at the axis edge, below
    assert page.locator("#show-missing").inner_text() == "hide them"
    # the quality axis reads in the published metric (Q8BERT reports F1 on SQuAD)
    page.wait_for_function("() => [...document.querySelectorAll('#pareto-plot .ytick text')]"
                           ".some((t) => t.textContent.endsWith('F1 points'))")
    assert "(F1 points)" in page.locator("#pareto-plot .ytitle").text_content()
    screenshot("quality-missing-shown")


def test_the_point_page_gives_the_quality_loss_its_unit(dashboard, page, precisions) -> None:
    _, columns = precisions
    point_id = next(i for i, v in zip(columns["id"], columns["quality_loss"], strict=True) if v is not None)
    point = httpx.get(f"{dashboard.base_url}/api/points/{point_id}", timeout=60).json()
    assert "F1 88.46 -> 87.74" in point["report"]["quality_source"]
    page.goto(f"{dashboard.base_url}/#/points/{point_id}")
    note = page.locator("#point-quality")
    note.wait_for()
    assert note.inner_text().startswith("Quality loss (published estimate): 0.72 F1 points")
    assert "0.72 F1 points" in page.locator("#point-metrics").inner_text()
