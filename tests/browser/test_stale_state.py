"""Stale state on the sweep page (a real `dse serve`, the demo sweep and one long sweep): a third objective moved onto
an axis leaves the caption too, parallel-coordinates titles are the catalog's and do not overlap, and Cancel asks
first like Delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.real_sweeps import submit, wait_done
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# ~29k points: still running while the test clicks Cancel
LONG_SPEC: dict[str, Any] = {
    "name": "long-running", "models": ["bert-base"], "scenarios": [{"seq_len": 512}], "accelerator": "gemmini-default",
    "axes": {"rows": {"min": 4, "max": 128, "step": 4}, "cols": {"min": 4, "max": 128, "step": 4},
             "scratchpad_kib": [64, 128, 256, 512], "clock_ghz": {"start": 0.5, "stop": 2.0, "step": 0.25}},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}
TITLES = """() => [...document.querySelectorAll('#parcoords-plot .axis-title')].map((t) => {
  const r = t.getBoundingClientRect(); return { text: t.textContent, left: r.left, right: r.right }; })"""


@pytest.fixture(scope="module")
def demo(dashboard) -> int:
    wait_for_health(dashboard.base_url, timeout_s=180)
    wait_done(dashboard.base_url, 1)
    return 1


def test_a_third_objective_moved_onto_an_axis_leaves_the_caption(dashboard, page, demo) -> None:
    page.goto(f"{dashboard.base_url}/#/sweeps/{demo}?z=area_mm2")
    page.locator("#front-table tbody tr").first.wait_for()
    assert "min area" in page.locator("#scatter-caption").inner_text()
    page.select_option("#obj-x", "area_mm2")
    page.wait_for_function(
        "() => document.querySelector('#scatter-caption').textContent.includes('(min area, min energy)')")
    assert "z=" not in page.url and page.locator("#obj-z").input_value() == ""


def test_parallel_coordinates_titles_are_the_catalogs_and_do_not_overlap(dashboard, page, demo) -> None:
    page.goto(f"{dashboard.base_url}/#/sweeps/{demo}")
    page.locator("#parcoords-plot").scroll_into_view_if_needed()
    page.locator("#parcoords-plot[data-ready]").wait_for(state="attached")
    titles = page.evaluate(TITLES)
    texts = [t["text"] for t in titles]
    assert "Scratchpad(KiB)" in texts and "Sequencelength(tokens)" in texts, texts  # lines join without spaces
    ordered = sorted(titles, key=lambda t: t["left"])
    for left, right in zip(ordered, ordered[1:], strict=False):
        assert left["right"] <= right["left"], (left, right)


def test_cancel_asks_first_and_a_no_keeps_the_sweep_running(dashboard, page, demo) -> None:
    base = dashboard.base_url
    sweep_id = submit(base, LONG_SPEC)
    page.goto(f"{base}/#/sweeps/{sweep_id}")
    button = page.get_by_role("button", name="Cancel sweep")
    button.wait_for()
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    button.click()
    page.wait_for_timeout(500)
    assert asked and asked[0].startswith('Cancel sweep "long-running"?'), asked
    assert httpx.get(f"{base}/api/sweeps/{sweep_id}", timeout=30).json()["status"] in ("queued", "running")
    page.once("dialog", lambda dialog: answer(dialog, True))
    button.click()
    status = ""
    for _ in range(40):
        status = httpx.get(f"{base}/api/sweeps/{sweep_id}", timeout=30).json()["status"]
        if status == "cancelled":
            break
        page.wait_for_timeout(250)
    assert status == "cancelled" and len(asked) == 2
