"""Explaining a sweep on a real `dse serve` (the demo sweep, run by the stack's worker): parameter importance bars
on the sweep page (what GET /importance answers, per objective and per workload) and the report's area by component
as a bar on the point page."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.real_sweeps import wait_done
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BARS = """(id) => { const t = document.getElementById(id).data; return t.map((x) => ({ name: x.name, meta: x.meta,
  x: Array.from(x.x), y: Array.from(x.y) })); }"""


@pytest.fixture(scope="module")
def demo(dashboard) -> int:
    wait_for_health(dashboard.base_url, timeout_s=180)
    wait_done(dashboard.base_url, 1)
    return 1


def _labels(base_url: str) -> dict[str, str]:
    catalog = httpx.get(f"{base_url}/api/catalog", timeout=30).json()
    return {entry["name"]: entry["label"] for entry in catalog["parameters"]}


def test_importance_bars_show_the_api_shares_per_objective_and_workload(dashboard, page, demo, screenshot) -> None:
    base = dashboard.base_url
    labels = _labels(base)
    page.goto(f"{base}/#/sweeps/{demo}")
    page.locator("#importance-plot .main-svg").first.wait_for()
    answer = httpx.get(f"{base}/api/sweeps/{demo}/importance", params={"objective": "energy_j"}, timeout=60).json()
    [bars] = page.evaluate(BARS, "importance-plot")
    assert bars["y"] == [labels[name] for name in answer["importance"]]
    assert bars["x"] == pytest.approx(list(answer["importance"].values()))
    assert bars["y"][0] == "Sequence length"  # across the two workloads, the workload drives energy
    assert "over 36 points" in page.locator("#importance-caption").inner_text()

    # within one workload the hardware is ranked, as the API ranks it with that workload's filter
    page.select_option("#importance-scope", label="512 tokens")
    page.wait_for_function("() => !document.getElementById('importance-plot').data[0].y.includes('Sequence length')")
    within = httpx.get(f"{base}/api/sweeps/{demo}/importance",
                       params={"objective": "energy_j", "filter": "seq_len=512"}, timeout=60).json()
    [bars] = page.evaluate(BARS, "importance-plot")
    assert bars["y"] == [labels[name] for name in within["importance"]]
    assert bars["x"] == pytest.approx(list(within["importance"].values()))
    assert "over 18 points of 512 tokens" in page.locator("#importance-caption").inner_text()
    page.evaluate("() => window.scrollTo(0, 0)")  # the sticky top bar stays at the top of a full-page capture
    screenshot("parameter-importance")

    page.select_option("#importance-objective", "area_mm2")
    page.wait_for_function("() => document.getElementById('importance-plot').dataset.objective === 'area_mm2'")
    assert "area" in page.locator("#importance-caption").inner_text()


def test_a_sweep_of_too_few_points_says_why_it_has_no_ranking(dashboard, page, demo) -> None:
    page.goto(f"{dashboard.base_url}/#/sweeps/{demo}?f=rows:8:8,cols:8:8")
    message = page.locator("#importance-message")
    message.wait_for()
    assert "at least 8 evaluated points that pass the filters" in message.inner_text()


def test_the_point_page_draws_the_reports_area_by_component(dashboard, page, demo, screenshot) -> None:
    base = dashboard.base_url
    point_id = httpx.get(f"{base}/api/sweeps/{demo}/results", params={"columns": "id", "limit": 1},
                         timeout=30).json()["columns"]["id"][0]
    point = httpx.get(f"{base}/api/points/{point_id}", timeout=60).json()
    parts = {name: mm2 for name, mm2 in point["report"]["area_breakdown_mm2"].items() if mm2 > 0}
    page.goto(f"{base}/#/points/{point_id}")
    page.locator("#area-breakdown-plot .main-svg").first.wait_for()
    bars = page.evaluate(BARS, "area-breakdown-plot")
    assert {bar["meta"]: bar["x"][0] for bar in bars} == pytest.approx(parts)
    assert [bar["name"] for bar in bars][:3] == ["PE array", "Scratchpad", "Accumulator"]
    assert sum(bar["x"][0] for bar in bars) == pytest.approx(point["metrics"]["area_mm2"], rel=1e-6)
    title = page.locator("#area-breakdown-plot .gtitle").text_content()
    assert title.startswith("Area by component:") and "mm²" in title
    screenshot("area-bar")
