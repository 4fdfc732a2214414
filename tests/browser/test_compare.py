"""Comparing on a real `dse serve`: the top bar's Compare compares the compare list, with "differences only"; compare
sweeps with its own axes, fronts labelled by workload and a summary whose hypervolumes are the server's definition
(simulator/search.py) computed on the same fronts."""

from __future__ import annotations

import math
from typing import Any

import httpx
import numpy as np
import pytest

from simulator.search import hypervolume
from tests.browser.real_sweeps import submit, wait_done
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The demo sweep's 512-token workload again, on other arrays and scratchpads: a second front for that workload.
OTHER_SPEC: dict[str, Any] = {
    "name": "bert-512-wide", "models": ["bert-base"], "scenarios": [{"seq_len": 512}], "accelerator": "gemmini-default",
    "axes": {"rows": [16, 32, 64], "cols": [16, 32, 64], "scratchpad_kib": [128, 512]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}
HV = """([fronts, ref]) => import('/js/pareto_math.js').then((m) => fronts.map((f) => m.hypervolume2d(f, ref)))"""
BEST = """(fronts) => import('/js/pareto_math.js').then((m) => m.bestAlongX(fronts))"""


@pytest.fixture(scope="module")
def sweeps(dashboard) -> tuple[int, int]:
    wait_for_health(dashboard.base_url, timeout_s=180)
    wait_done(dashboard.base_url, 1)
    other = submit(dashboard.base_url, OTHER_SPEC)
    wait_done(dashboard.base_url, other)
    return 1, other


def test_hypervolume_is_the_servers_definition(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    rng = np.random.default_rng(7)
    fronts = [rng.uniform(0, 10, size=(n, 2)) for n in (1, 5, 30)] + [np.array([[1.0, 9.0], [1.0, 9.0], [12.0, 1.0]])]
    ref = [10.5, 10.5]
    got = page.evaluate(HV, [[f.tolist() for f in fronts], ref])
    assert got == pytest.approx([hypervolume(f, ref) for f in fronts], rel=1e-12)


def test_best_along_x_splits_where_the_fronts_cross(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    a = [[1, 10], [3, 4], [6, 1]]
    b = [[2, 5], [4, 3]]
    intervals = page.evaluate(BEST, [a, b])
    # X 1-2: only a; 2-3: b (5 < 10); 3-4: a (4 < 5); 4-6: b (3 < 4); from 6: a (1)
    assert [(i["from"], i["best"]) for i in intervals] == [(1, [0]), (2, [1]), (3, [0]), (4, [1]), (6, [0])]
    assert intervals[-1]["to"] is None or math.isinf(intervals[-1]["to"])  # Infinity comes back as null or inf


def _fronts_of(base_url: str, sweep_id: int) -> list[dict[str, Any]]:
    return httpx.get(f"{base_url}/api/sweeps/{sweep_id}/pareto", params={
        "objectives": "latency_s,energy_j", "columns": "id", "group_by": "model,seq_len"}, timeout=60).json()["groups"]


def test_compare_sweeps_labels_every_front_and_sums_it_up(dashboard, page, sweeps, screenshot) -> None:
    base = dashboard.base_url
    demo, other = sweeps
    page.goto(f"{base}/#/compare-sweeps?ids={demo},{other}")
    page.locator("#compare-summary").wait_for()
    # the workload both sweeps share is shown first; each front names its sweep and workload, none is "all points"
    assert page.locator("#compare-workload option:checked").inner_text() == "bert-base · 512 tokens (2 sweeps)"
    names = page.evaluate("() => document.getElementById('compare-sweeps-plot').data.map((t) => t.name)")
    assert len(names) == 2 and all(" · bert-base · 512 tokens (" in name for name in names), names
    assert "all points" not in page.locator("#compare-sweeps-table").inner_text()
    assert page.locator("#compare-sweeps-plot .xtitle").text_content() == "Latency (s)"
    assert page.locator("#compare-sweeps-plot .ytick text").count() >= 3

    # the hypervolume shares: simulator/search.py's hypervolume of the API's fronts, in log space, one reference
    fronts = [np.log10([[row["latency_s"], row["energy_j"]] for row in group["front"]])
              for sweep_id in (demo, other) for group in _fronts_of(base, sweep_id) if group["key"]["seq_len"] == 512]
    every = np.vstack(fronts)
    lo, hi = every.min(axis=0), every.max(axis=0)
    ref = hi + 0.05 * np.where(hi > lo, hi - lo, 1)
    expected = [hypervolume(front, ref) / np.prod(ref - lo) for front in fronts]
    shares = [float(s) for s in page.locator("#compare-summary td[data-share]").evaluate_all(
        "(cells) => cells.map((c) => c.dataset.share)")]
    assert shares == pytest.approx(expected, rel=1e-9)
    assert page.locator("#compare-summary .compare-dominance li").count() >= 1
    screenshot("compare-sweeps")

    # every workload, then the 128-token one (only the demo has it); linear X; another objective on X
    page.select_option("#compare-workload", "all")
    page.wait_for_function("() => document.getElementById('compare-sweeps-plot')?.data?.length === 3")
    assert page.locator("#compare-summary .workload-summary").count() == 2
    page.uncheck("#compare-log-x")
    page.wait_for_function("() => document.getElementById('compare-sweeps-plot')?._fullLayout?.xaxis.type === 'linear'")
    assert "log=y" in page.url
    page.select_option("#compare-x", "area_mm2")
    page.wait_for_function("() => document.querySelector('#compare-sweeps-plot .xtitle')?.textContent === 'Area (mm²)'")
    assert all(t.endswith(" mm²") for t in page.locator("#compare-sweeps-plot .xtick text").all_text_contents())


def test_the_top_bars_compare_uses_the_compare_list(dashboard, page, sweeps) -> None:
    base = dashboard.base_url
    columns = httpx.get(f"{base}/api/sweeps/{sweeps[0]}/results", params={"columns": "id,latency_cycles"},
                        timeout=30).json()["columns"]
    # two points whose latencies differ in the 3 digits the table shows (a value that differs past them reads alike)
    by_latency = sorted(zip(columns["latency_cycles"], columns["id"], strict=True))
    ids = [by_latency[0][1], by_latency[-1][1]]
    assert by_latency[-1][0] > 1.01 * by_latency[0][0], by_latency
    for point_id in ids[:2]:
        page.goto(f"{base}/#/points/{point_id}")
        page.click("#add-to-compare")
        page.wait_for_function("() => /In compare list/.test(document.getElementById('add-to-compare').textContent)")
    page.click("nav [data-nav=compare]")
    page.locator("#compare-table").wait_for()
    header = page.locator("#compare-table thead").inner_text()
    assert all(f"#{point_id}" in header for point_id in ids[:2]), header

    rows = page.locator("#compare-table tbody tr")
    differing = rows.count()
    for k in range(differing):  # differences only: every row's values differ
        cells = rows.nth(k).locator("td").all_inner_texts()
        label = rows.nth(k).locator("th").inner_text()
        assert label in ("Model", "Accelerator preset") or len(set(cells)) > 1, (label, cells)
    for cell in page.locator("#compare-table td.best").all_inner_texts():
        assert cell != "–" and cell[0].isdigit(), cell  # best in green is always a number
    page.uncheck("#differences-only")
    page.wait_for_function(f"() => document.querySelectorAll('#compare-table tbody tr').length > {differing}")
    assert "all=1" in page.url
