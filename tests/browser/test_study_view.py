"""The Gemmini case-study template, run from the sweeps list on a real stack: its sweep opens on a study view with
the four labelled variants per scenario, speedups against the baseline variant, per-class bars, and the survey's
published figures beside ours at l = 512."""

from __future__ import annotations

import httpx
import pytest

from tests.browser import real_sweeps
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LABELS = ["1 baseline (non-linear on host)", "2 memory re-balanced (SP 64 KiB, ACC 256 KiB)",
          "3 integer non-linear units", "4 fusion"]


def test_the_case_study_opens_on_its_study_view(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    page.set_default_timeout(60_000)
    page.goto(f"{dashboard.base_url}/#/sweeps")
    page.click("button[data-template=gemmini-case-study]")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    real_sweeps.wait_done(dashboard.base_url, sweep_id)
    page.reload()
    page.locator("#study-card .study-group").nth(1).wait_for()
    groups = page.locator("#study-card .study-group")
    assert groups.count() == 2 and "128" in groups.nth(0).inner_text() and "512" in groups.nth(1).inner_text()
    columns = real_sweeps.results(dashboard.base_url, sweep_id, "variant,seq_len,latency_s")
    for g, seq in enumerate((128, 512)):
        rows = groups.nth(g).locator("tbody tr")
        assert [rows.nth(k).get_attribute("data-variant") for k in range(4)] == LABELS
        latency = {v: t for v, s, t in zip(columns["variant"], columns["seq_len"], columns["latency_s"], strict=True)
                   if s == seq}
        speedups = [rows.nth(k).locator("td.speedup").inner_text() for k in range(4)]
        assert speedups[0] == "1.00×"
        expected = latency[LABELS[0]] / latency[LABELS[3]]
        shown = float(speedups[3].rstrip("×"))
        assert abs(shown - expected) <= 0.05 * expected and shown > 5, (speedups, expected)
    assert "Survey (published)" not in groups.nth(0).inner_text()
    survey = groups.nth(1).locator("tbody tr[data-variant='4 fusion'] td").last.inner_text()
    assert "39.6×" in survey and "I-BERT" in survey, survey
    # the bars come after each variant's report (point pages take turns under the work quota)
    page.wait_for_function("() => document.getElementById('study-latency-1').data")
    bars = page.evaluate("() => document.getElementById('study-latency-1').data.map(t => t.y.length)")
    assert bars and set(bars) == {4}
    # another baseline: the fusion step against the integer-units step
    page.select_option("#study-baseline", LABELS[2])
    page.wait_for_function("() => document.querySelector(\"#study-card tr[data-variant='3 integer non-linear units'] "
                           "td.speedup\").textContent === '1.00×'")
    page.select_option("#study-baseline", LABELS[0])
    page.wait_for_timeout(300)
    screenshot("13-case-study")
    assert httpx.get(f"{dashboard.base_url}/api/sweeps/{sweep_id}").json()["spec"]["template"] == "gemmini-case-study"


def test_two_sweeps_compared_on_one_plot(dashboard, page, screenshot) -> None:
    """Two sweeps ticked in the list: one plot with each sweep's fronts (one per workload), as the API gives them,
    and a shareable URL."""
    wait_for_health(dashboard.base_url, timeout_s=180)
    base = {**real_sweeps.MEDIUM_SPEC, "axes": {"rows": [8, 16, 32], "cols": [8, 16, 32]}}
    first = real_sweeps.submit(dashboard.base_url, {**base, "name": "small-arrays", "scenarios": [
        {"seq_len": 128}, {"seq_len": 512}]})
    second = real_sweeps.submit(dashboard.base_url, {**base, "name": "wide-bandwidth",
                                                     "axes": {**base["axes"], "dram_bytes_per_cycle": [64]}})
    for sweep_id in (first, second):
        real_sweeps.wait_done(dashboard.base_url, sweep_id)
    page.set_default_timeout(60_000)
    page.goto(f"{dashboard.base_url}/#/sweeps")
    for sweep_id in (first, second):
        page.locator(f"tr[data-sweep-id='{sweep_id}'] input.compare-pick").check()
    page.click("#compare-sweeps")
    page.wait_for_url("**/#/compare-sweeps?ids=*")
    page.locator("#compare-sweeps-table tbody tr").first.wait_for()
    # one workload at a time: the one both sweeps share (512 tokens) first; then every workload
    shown = page.evaluate("() => document.getElementById('compare-sweeps-plot').data.map(t => t.name)")
    assert len(shown) == 2 and all(" · bert-base · 512 tokens (" in name for name in shown), shown
    page.select_option("#compare-workload", "all")
    page.wait_for_function("() => document.getElementById('compare-sweeps-plot')?.data?.length === 3")
    page.locator("#compare-sweeps-table tbody tr").first.wait_for()
    fronts = page.evaluate("() => document.getElementById('compare-sweeps-plot').data.map(t => ({name: t.name, "
                           "ids: Array.from(t.customdata)}))")
    grouped = httpx.get(f"{dashboard.base_url}/api/sweeps/{first}/pareto",
                        params={"group_by": "seq_len", "columns": "id"}).json()["groups"]
    single = httpx.get(f"{dashboard.base_url}/api/sweeps/{second}/pareto", params={"columns": "id"}).json()
    expected = [sorted(row["id"] for row in g["front"]) for g in grouped] + [sorted(single["columns"]["id"])]
    assert sorted(sorted(f["ids"]) for f in fronts) == sorted(expected)
    names = [f["name"] for f in fronts]
    assert sum("small-arrays" in n for n in names) == 2 and sum("wide-bandwidth" in n for n in names) == 1, names
    assert page.locator("#compare-sweeps-table tbody tr").count() == sum(map(len, expected))
    shared = page.url
    other = page.context.new_page()
    other.goto(shared)
    other.locator("#compare-sweeps-table tbody tr").first.wait_for()
    assert other.locator("#compare-sweeps-table tbody tr").count() == sum(map(len, expected))
    other.close()
    screenshot("14-compare-sweeps")


def test_the_demo_sweep_shows_one_front_per_sequence_length(dashboard, page, screenshot) -> None:
    """`make run`'s demo sweep runs BERT-Base at 128 and 512 tokens: two fronts, never one mixing the two."""
    wait_for_health(dashboard.base_url, timeout_s=180)
    demo = next(s for s in httpx.get(f"{dashboard.base_url}/api/sweeps").json()["items"] if s["name"] == "demo")
    real_sweeps.wait_done(dashboard.base_url, demo["id"])
    page.goto(f"{dashboard.base_url}/#/sweeps/{demo['id']}")
    page.locator("#front-table tbody tr").first.wait_for()
    names = page.evaluate("() => document.getElementById('pareto-plot').data.filter(t => t.meta === 'front')"
                          ".map(t => t.name)")
    assert len(names) == 2 and names[0].startswith("128 tokens") and names[1].startswith("512 tokens"), names
    assert page.locator("#group-by input[value=seq_len]").is_checked()
    screenshot("15-demo-two-fronts")
