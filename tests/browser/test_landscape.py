"""The mapping landscape page on a real `dse serve`: per GEMM a histogram of EDP relative to the best with the optimal
mapper's and Gemmini's tiler's mappings marked, its summary beside it, the empty and error states, and the link from
a design point's GEMM rows on the point's own accelerator (a preset with its overrides, or a library accelerator by
every field)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser.real_sweeps import results, submit, wait_done
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PLOT_DATA = "(id) => document.getElementById(id).data.map((t) => ({name: t.name, meta: t.meta ?? null, x: t.x}))"


def test_the_landscape_of_two_gemms_with_both_references_marked(dashboard, page, screenshot) -> None:
    page.goto(f"{dashboard.base_url}/#/landscape?gemms=512x768x768,512x64x512&accelerator=gemmini-default")
    for index in (0, 1):
        page.locator(f"#landscape-plot-{index} .main-svg").first.wait_for()
    traces = page.evaluate(PLOT_DATA, "landscape-plot-0")
    assert traces[0]["name"] == "Mappings" and len(traces[0]["x"]) > 10  # the histogram's bin edges
    assert [t["meta"] for t in traces[1:]] == ["optimal", "gemmini"]
    assert traces[1]["name"].startswith("Optimal mapper (latency): ") and traces[2]["name"].startswith(
        "Gemmini's tiler: ")
    api = httpx.get(f"{dashboard.base_url}/api/mappings", params={"m": 512, "k": 768, "n": 768}, timeout=60).json()
    assert traces[1]["x"][0] == pytest.approx(api["summary"]["references"]["optimal"]["relative_edp"])
    assert traces[2]["x"][0] == pytest.approx(api["summary"]["references"]["gemmini"]["relative_edp"])
    # both markers and their labels are drawn: one line path per reference trace, two annotations
    assert page.locator("#landscape-plot-0 .scatterlayer .trace").count() == 3
    assert page.locator("#landscape-plot-0 .annotation").count() == 2
    ticks = page.locator("#landscape-plot-0 .xtick text").all_text_contents()
    assert "1×" in ticks and any(t.endswith("0×") and "," in t for t in ticks), ticks  # labelled in full: "1,000×"
    summary = page.locator("#landscape-summary-0").inner_text()
    for label in ("Legal mappings", f"{api['summary']['space_size']:,}", "100,000 sampled uniformly",
                  "Within 2× / 3× / 10× of the best",
                  "Optimal mapper (latency)", "Gemmini's tiler", "of the mappings have less EDP"):
        assert label in summary, (label, summary)
    screenshot("20-mapping-landscape")


def test_empty_and_error_states_say_what_to_do(dashboard, page, screenshot) -> None:
    page.goto(f"{dashboard.base_url}/#/landscape")
    empty = page.locator("#landscape-empty")
    empty.wait_for()
    assert "Which GEMMs?" in empty.inner_text()
    page.fill("#landscape-gemms", "64x64x64, 512x768")
    page.click("#landscape-form button[type=submit]")
    page.locator("#landscape-input-error", has_text="“512x768”").wait_for()
    page.locator("#landscape-plot-0 .main-svg").first.wait_for()  # the valid one is drawn
    page.goto(f"{dashboard.base_url}/#/landscape?gemms=64x64x64&scratchpad_kib=0.5")
    error = page.locator("#landscape-0 .notice.error")
    error.wait_for()
    assert "no tile of GEMM 64x64x64 fits on chip" in error.inner_text()
    page.goto(f"{dashboard.base_url}/#/landscape?gemms=64x64x64&accelerator=gemini-default")
    page.locator("#landscape-0 .notice.error", has_text="did you mean gemmini-default").wait_for()
    screenshot("21-mapping-landscape-error")


def test_a_point_page_opens_the_landscape_of_a_gemm_row_on_its_accelerator(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    preset_sweep = submit(dashboard.base_url, {"name": "landscape-link", "models": ["bert-base"],
                                               "scenarios": [{"seq_len": 128}], "accelerator": "gemmini-default",
                                               "axes": {"rows": [32], "cols": [32]}})
    added = httpx.post(f"{dashboard.base_url}/api/accelerators", json={
        "name": "chip-8", "preset": "gemmini-default", "overrides": {"rows": 8, "cols": 8}}, timeout=30)
    assert added.status_code == 201, added.text
    library_sweep = submit(dashboard.base_url, {"name": "landscape-library", "models": ["bert-base"],
                                                "scenarios": [{"seq_len": 128}], "accelerator": "chip-8", "axes": {}})
    for sweep_id in (preset_sweep, library_sweep):
        wait_done(dashboard.base_url, sweep_id)

    point_id = results(dashboard.base_url, preset_sweep, "id")["id"][0]
    page.goto(f"{dashboard.base_url}/#/points/{point_id}")
    row = page.locator("#ops-table tbody tr", has_text="q_proj").first
    link = row.locator("a.landscape-link")
    query = parse_qs(urlsplit(link.get_attribute("href")).fragment.split("?", 1)[1])
    assert (query["gemms"], query["accelerator"], query["rows"], query["cols"], query["point"]) == (
        ["128x768x768"], ["gemmini-default"], ["32"], ["32"], [str(point_id)])
    ops = httpx.get(f"{dashboard.base_url}/api/points/{point_id}", timeout=60).json()["report"]["ops"]
    assert page.locator("#ops-table a.landscape-link").count() == sum(op["kind"] == "gemm" for op in ops) > 0
    row.scroll_into_view_if_needed()
    screenshot("22-point-gemm-rows-link-to-the-landscape")
    link.click()
    page.locator("#landscape-plot-0 .main-svg").first.wait_for()
    assert f"design point #{point_id}" in page.locator("#landscape-accelerator").inner_text()
    summary = page.locator("#landscape-summary-0").inner_text()
    assert "Optimal mapper" in summary
    screenshot("23-mapping-landscape-from-point")

    point_id = results(dashboard.base_url, library_sweep, "id")["id"][0]
    page.goto(f"{dashboard.base_url}/#/points/{point_id}")
    href = page.locator("#ops-table tbody tr", has_text="q_proj").first.locator("a.landscape-link").get_attribute(
        "href")
    query = parse_qs(urlsplit(href).fragment.split("?", 1)[1])
    assert (query["accelerator"], query["label"], query["rows"], query["scratchpad_kib"]) == (
        ["gemmini-default"], ["chip-8"], ["8"], ["256"])  # every field: exact whatever the name means later
    page.goto(f"{dashboard.base_url}/{href}")
    page.locator("#landscape-plot-0 .main-svg").first.wait_for()
    assert "(chip-8)" in page.locator("#landscape-accelerator").inner_text()
