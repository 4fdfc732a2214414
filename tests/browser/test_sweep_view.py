"""The sweep view on a real `dse serve` with real simulator results: a sweep created through the API and run by
the stack's worker, a sweep watched while it runs, and a 40,176-point sweep seeded with the worker's own chunk
code for the thinning test. Expected counts come from the API's own answers about the same sweep."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
import pytest

from simulator.pareto import pareto_mask
from tests.browser import real_sweeps
from tests.browser.conftest import start_serve, stop_serve, wait_for_api
from tests.support import RunningStack, wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACE_COUNTS = """() => {
  const gd = document.getElementById('pareto-plot');
  return gd.data.map(t => ({meta: t.meta, type: t.type, n: (t.x || []).length, name: t.name}));
}"""


class Served:
    """One stack for the module and the medium sweep it ran (id, row count and columns as the API gives them)."""

    def __init__(self, stack: RunningStack, sweep_id: int, columns: dict[str, list[Any]], large: Future[int]) -> None:
        self.stack, self.sweep_id, self.columns, self.large = stack, sweep_id, columns, large
        self.base_url = stack.base_url
        self.count = len(columns["id"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real `dse serve` (embedded SQLite + Redis + worker), no demo sweep, small chunks so progress shows,
    and the medium sweep created through the API and run by its worker. The large sweep is seeded into the
    stack's database in the background meanwhile (the other tests run while it is evaluated)."""
    stack = start_serve(tmp_path_factory.mktemp("sweep-view"), {"DSE_DEMO_SWEEP": "false", "DSE_CHUNK_SIZE": "100"})
    seeding = ThreadPoolExecutor(1)
    try:
        wait_for_api(stack)
        large = seeding.submit(real_sweeps.seed, f"sqlite:///{stack.state_dir / 'dse.sqlite3'}",
                               real_sweeps.LARGE_SPEC)
        wait_for_health(stack.base_url, timeout_s=180)
        sweep_id = real_sweeps.submit(stack.base_url, real_sweeps.MEDIUM_SPEC)
        sweep = real_sweeps.wait_done(stack.base_url, sweep_id)
        columns = real_sweeps.results(stack.base_url, sweep_id, "id,rows,scratchpad_kib,latency_s,energy_j")
        assert len(columns["id"]) == sweep["done_points"] == 432
        yield Served(stack, sweep_id, columns, large)
    finally:
        seeding.shutdown(wait=True)
        stop_serve(stack)


def _open(page, base_url: str, sweep_id: int, query: str = "", parcoords: bool = True) -> None:
    """The sweep view drawn; the parallel coordinates (drawn on first view, seconds of software WebGL) too if asked."""
    page.goto(f"{base_url}/#/sweeps/{sweep_id}{query}")
    page.locator("#pareto-plot .main-svg").first.wait_for()
    page.locator("#front-table tbody tr").first.wait_for()
    if not parcoords:
        return
    page.locator("#parcoords-plot").scroll_into_view_if_needed()
    page.locator("#parcoords-plot[data-ready]").wait_for(state="attached")
    page.evaluate("() => window.scrollTo(0, 0)")


NO_CLOUD = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => ({
  id: gd.id, send: gd._context.showSendToCloud, server: gd._context.plotlyServerURL,
  buttons: [...gd.querySelectorAll('.modebar-btn')].map(b => b.getAttribute('data-title')),
}))"""


def _assert_no_cloud_buttons(page, at_least: int) -> None:
    """Plotly's "Share chart" uploads the figure to Plotly Cloud: no chart may offer it or know the cloud's URL."""
    plots = page.evaluate(NO_CLOUD)
    assert len(plots) >= at_least, plots
    for plot in plots:
        assert plot["send"] is False and plot["server"] == "", plot
        assert not any("Share" in (title or "") or "Studio" in (title or "") for title in plot["buttons"]), plot


def _drawn(page) -> int:
    return sum(t["n"] for t in page.evaluate(TRACE_COUNTS) if t["meta"] in ("points", "front"))


def test_pareto_view_shows_every_point_and_the_front(served, page, screenshot) -> None:
    _open(page, served.base_url, served.sweep_id)
    traces = page.evaluate(TRACE_COUNTS)
    points = sum(t["n"] for t in traces if t["meta"] == "points")
    front = next(t for t in traces if t["meta"] == "front")
    _assert_no_cloud_buttons(page, at_least=2)  # the scatter and the parallel coordinates
    assert all(t["type"] == "scattergl" for t in traces)
    assert points + front["n"] == served.count == 432, traces
    api_front = httpx.get(f"{served.base_url}/api/sweeps/{served.sweep_id}/pareto",
                          params={"objectives": "latency_s,energy_j"}).json()
    assert page.locator("#front-table tbody tr").count() == front["n"] == api_front["front_size"] > 2
    assert "432 of 432 points" in page.locator("#scatter-caption").inner_text()
    screenshot("03-sweep-view")


POINT_XY = """(meta) => {
  const gd = document.getElementById('pareto-plot');
  const t = gd.data.find(t => t.meta === meta);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + xa.l2p(xa.type === 'log' ? Math.log10(t.x[0]) : t.x[0]),
          y: box.top + ya._offset + ya.l2p(ya.type === 'log' ? Math.log10(t.y[0]) : t.y[0]),
          index: t.customdata[0]};
}"""

# The operator classes a transformer's report has, as the breakdown names them.
TRANSFORMER_CLASSES = {"Projection GEMMs", "Attention GEMMs", "FFN GEMMs", "Softmax", "Normalization", "Activation"}


def test_hover_shows_the_design_and_click_opens_the_point(served, page, screenshot) -> None:
    _open(page, served.base_url, served.sweep_id)
    knee = page.evaluate(POINT_XY, "knee")
    page.mouse.move(knee["x"], knee["y"])
    tooltip = page.locator("#point-tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    # designs that differ only where the model says it does not matter (a DRAM bandwidth above what the DMA's
    # requests in flight sustain) sit on the same spot: the tooltip names one of them
    columns = served.columns
    knee_xy = (columns["latency_s"][knee["index"]], columns["energy_j"][knee["index"]])
    same_spot = {columns["id"][i] for i in range(len(columns["id"]))  # within a pixel of the knee on either axis
                 if all(abs(v - k) <= 2e-3 * k for v, k in zip((columns["latency_s"][i], columns["energy_j"][i]),
                                                                knee_xy, strict=True))}
    point_id = next((pid for pid in same_spot if f"Point #{pid}\n" in text + "\n"), None)
    assert point_id is not None and "Array rows" in text and "Latency" in text, (text, same_spot)
    front_ids = set(httpx.get(f"{served.base_url}/api/sweeps/{served.sweep_id}/pareto", params={
        "objectives": "latency_s,energy_j", "columns": "id"}).json()["columns"]["id"])
    assert ("On the Pareto front" in text) == (point_id in front_ids), (text, point_id)  # a neighbour may lie off it
    screenshot("04-sweep-hover")
    page.mouse.click(knee["x"], knee["y"])
    page.wait_for_url(f"**/#/points/{point_id}")
    point = httpx.get(f"{served.base_url}/api/points/{point_id}").json()
    ops = point["report"]["ops"]
    page.locator("#ops-table tbody tr").first.wait_for()
    assert page.locator("#ops-table tbody tr").count() == len(ops) > 10
    assert page.locator("#point-metrics .metric").count() >= 8
    # bert-base at its own int8/int8: the quality row comes from the published table, labelled as such
    quality = page.locator("#point-quality").inner_text()
    assert "published estimate" in quality and point["report"]["quality_source"] in quality, quality
    classes = page.evaluate("() => document.getElementById('breakdown-plot').data.map(t => t.name)")
    assert set(classes) >= TRANSFORMER_CLASSES, classes
    roofline = page.evaluate("() => document.getElementById('roofline-plot').data.filter(t => t.meta === 'ops')"
                             ".reduce((n, t) => n + t.x.length, 0)")
    placed = [op for op in ops if op["flops"] > 0 and op["cycles"] > 0]  # requantize steps do no arithmetic
    assert roofline == len(placed) > 10
    _assert_no_cloud_buttons(page, at_least=2)  # the breakdown and the roofline
    page.wait_for_timeout(300)
    screenshot("05-point-view")


def test_view_state_lives_in_a_short_shareable_url(served, page, screenshot) -> None:
    _open(page, served.base_url, served.sweep_id)
    page.select_option("#obj-y", "area_mm2")
    page.select_option("#colour-by", "rows")
    page.locator("#log-x").uncheck()
    url = page.url
    assert "y=area_mm2" in url and "c=rows" in url and "log=y" in url
    # A range filter through the form, as a colleague would then see it.
    page.select_option(".controls select[aria-label='Filter column']", "scratchpad_kib")
    page.fill("input[aria-label='Minimum']", "256")
    page.click(".controls button:has-text('Add')")
    page.locator("[data-filter=scratchpad_kib]").wait_for()
    shared = page.url
    assert len(shared.split("#", 1)[1]) < 120, shared
    expected = sum(1 for v in served.columns["scratchpad_kib"] if v >= 256)
    assert 0 < expected < served.count
    assert f"{expected:,} of {served.count:,} points" in page.locator("#scatter-caption").inner_text()
    assert _drawn(page) == expected
    screenshot("06-sweep-filtered-coloured")

    colleague = page.context.browser.new_context(viewport={"width": 1440, "height": 900})
    other = colleague.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda error: errors.append(str(error)))
    other.goto(shared)
    try:
        other.locator("#front-table tbody tr").first.wait_for(timeout=60_000)
        other.locator("#parcoords-plot").scroll_into_view_if_needed()
        other.locator("#parcoords-plot[data-ready]").wait_for(state="attached")
    finally:
        assert not errors, errors
    assert other.input_value("#obj-y") == "area_mm2"
    assert other.input_value("#colour-by") == "rows"
    assert not other.is_checked("#log-x") and other.is_checked("#log-y")
    assert other.locator("[data-filter=scratchpad_kib]").count() == 1
    assert _drawn(other) == expected
    colleague.close()


def test_brushing_parallel_coordinates_filters_the_scatter(served, page) -> None:
    """Array rows (4…128, powers of two) is a log2 axis with a labelled tick at each value; a brush snaps to the
    values it covers; a filter no point passes says so and offers to clear it."""
    _open(page, served.base_url, served.sweep_id)
    rows = page.evaluate("() => document.getElementById('parcoords-plot').data[0].dimensions"
                         ".find(d => d.name === 'rows')")
    assert rows["tickvals"] == [2, 3, 4, 5, 6, 7] and rows["ticktext"] == ["4", "8", "16", "32", "64", "128"]
    index = page.evaluate("() => document.getElementById('parcoords-plot').data[0].dimensions"
                          ".findIndex(d => d.name === 'rows')")
    # a brush from 7 to 33 rows, drawn on the log2 axis
    page.evaluate(f"() => Plotly.restyle('parcoords-plot', {{'dimensions[{index}].constraintrange': "
                  f"[[Math.log2(7), Math.log2(33)]]}})")
    page.locator("[data-filter=rows]").wait_for()
    expected = sum(1 for v in served.columns["rows"] if 8 <= v <= 32)
    assert 0 < expected < served.count
    assert _drawn(page) == expected
    assert "f=rows:8:32" in page.url, page.url  # snapped to the values the brush covers
    page.goto(f"{served.base_url}/#/sweeps/{served.sweep_id}?f=rows:5:6")
    page.locator("#no-match").wait_for()
    assert "No point matches the filters" in page.locator("#no-match").inner_text()
    page.click("#clear-filters")
    page.wait_for_function(f"() => document.getElementById('pareto-plot').data.filter(t => t.meta === 'points' "
                           f"|| t.meta === 'front').reduce((n, t) => n + t.x.length, 0) === {served.count}")


def test_compare_two_points(served, page, screenshot) -> None:
    _open(page, served.base_url, served.sweep_id, parcoords=False)
    boxes = page.locator("#front-table tbody input[type=checkbox]")
    picked = min(3, boxes.count())
    assert picked >= 2, "the front has at least two designs to compare"
    for index in range(picked):
        boxes.nth(index).check()
    page.click("#compare-selected")
    page.locator("#compare-table").wait_for()
    assert page.locator("#compare-table thead th").count() == picked + 1
    bars = page.evaluate("() => document.getElementById('compare-latency').data.map(t => t.y.length)")
    assert bars and set(bars) == {picked}
    _assert_no_cloud_buttons(page, at_least=1)
    page.wait_for_timeout(300)
    screenshot("07-compare")


def test_third_objective_as_a_3d_view(served, page) -> None:
    _open(page, served.base_url, served.sweep_id, "?z=area_mm2&v=3d", parcoords=False)
    traces = page.evaluate(TRACE_COUNTS)
    assert {t["type"] for t in traces} == {"scatter3d"}
    assert sum(t["n"] for t in traces) == served.count
    assert page.locator("input[name=zmode][value='3d']").is_checked()


# 2 models x 2 sequence lengths x 6 x 6 arrays x 3 scratchpads x 3 bandwidths x 2 accumulators x 2 dataflows
# = 5,184 points in chunks of 100:
# seconds on the stack's single worker process even on an idle machine, so the page (polling every 2 s) sees it
# grow: its first count is below the total and it then shows larger ones up to the total.
LIVE_SPEC = {**real_sweeps.MEDIUM_SPEC, "name": "live-sweep", "models": ["bert-base", "gpt2-medium"],
             "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
             "axes": {"rows": [4, 8, 16, 32, 64, 128], "cols": [4, 8, 16, 32, 64, 128],
                      "scratchpad_kib": [64, 256, 1024], "dram_bytes_per_cycle": [8, 16, 32],
                      "accumulator_kib": [64, 256], "dataflow": ["ws", "os"]}}
LIVE_POINTS = 5184
CAPTION_COUNT = """() => {
  const m = (document.getElementById('scatter-caption')?.textContent || '').match(/([\\d,]+) of ([\\d,]+) points/);
  return m ? [Number(m[1].replaceAll(',', '')), Number(m[2].replaceAll(',', ''))] : null;
}"""


def test_a_running_sweep_updates_live(served, page) -> None:
    sweep_id = real_sweeps.submit(served.base_url, LIVE_SPEC)
    page.goto(f"{served.base_url}/#/sweeps/{sweep_id}")
    page.wait_for_function(f"() => ({CAPTION_COUNT})()?.[0] > 0", timeout=60_000)
    seen: list[int] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        shown, total = page.evaluate(CAPTION_COUNT)
        assert shown == total, "no filter: every stored point is shown"
        if not seen or seen[-1] != shown:
            seen.append(shown)
        # The badge follows the sweep's status and the plot its results, fetched after it: wait for both.
        if shown == LIVE_POINTS and page.locator("h1 .badge.done").count():
            break
        page.wait_for_timeout(250)
    else:
        raise AssertionError(f"the page never showed the whole sweep done; counts shown: {seen}")
    final = httpx.get(f"{served.base_url}/api/sweeps/{sweep_id}").json()
    assert final["status"] == "done" and final["done_points"] == LIVE_POINTS
    assert seen[0] < LIVE_POINTS and len(seen) >= 2 and seen == sorted(seen), f"counts shown while it ran: {seen}"
    assert _drawn(page) == LIVE_POINTS


def _python_front(xs: list[float], ys: list[float]) -> set[int]:
    """The server's definition of the front (every copy of a tied point stays on it)."""
    return {int(i) for i in np.flatnonzero(pareto_mask(np.column_stack([xs, ys])))}


def test_thinning_keeps_the_front_and_the_outliers_and_splits_traces(served, page) -> None:
    sweep_id = served.large.result(timeout=300)
    total = httpx.get(f"{served.base_url}/api/sweeps/{sweep_id}").json()["done_points"]
    assert total == 40_176
    columns = real_sweeps.results(served.base_url, sweep_id, "id,latency_s,energy_j")
    page.set_default_timeout(60_000)
    _open(page, served.base_url, sweep_id, "?g=-")  # one front over all points (the default is one per workload)
    drawn = page.evaluate("""() => document.getElementById('pareto-plot').data
      .filter(t => t.meta === 'points' || t.meta === 'front')
      .map(t => ({meta: t.meta, type: t.type, idx: Array.from(t.customdata)}))""")
    xs, ys = columns["latency_s"], columns["energy_j"]
    front = next(t for t in drawn if t["meta"] == "front")
    assert set(front["idx"]) == _python_front(xs, ys)
    api_front = httpx.get(f"{served.base_url}/api/sweeps/{sweep_id}/pareto",
                          params={"objectives": "latency_s,energy_j", "columns": "id"}).json()
    assert {(xs[i], ys[i]) for i in front["idx"]} == set(zip(api_front["columns"]["latency_s"],
                                                             api_front["columns"]["energy_j"], strict=True))
    point_traces = [t for t in drawn if t["meta"] == "points"]
    assert all(t["type"] == "scattergl" and len(t["idx"]) <= 20_000 for t in point_traces)
    shown = set().union(*(t["idx"] for t in drawn))
    assert len(shown) < total, "above the display limit dense regions are thinned"
    for values in (xs, ys):  # outliers at the edges of the cloud are never thinned away (any of tied extremes)
        for extreme in (max(values), min(values)):
            assert any(values[i] == extreme for i in shown), extreme
    caption = page.locator("#scatter-caption").inner_text()
    assert f"{total:,} of {total:,} points" in caption and "thinned" in caption


def test_each_workload_gets_its_own_front_as_the_api_computes_it(served, page, screenshot) -> None:
    """The large sweep runs 2 models x 3 sequence lengths: by default six fronts, each the API's group front."""
    sweep_id = served.large.result(timeout=300)
    columns = real_sweeps.results(served.base_url, sweep_id, "id,model,seq_len")
    groups = httpx.get(f"{served.base_url}/api/sweeps/{sweep_id}/pareto", params={
        "objectives": "latency_s,energy_j", "columns": "id", "group_by": "model,seq_len"}).json()["groups"]
    assert len(groups) == 6, groups
    page.set_default_timeout(60_000)
    _open(page, served.base_url, sweep_id, parcoords=False)
    fronts = page.evaluate("""() => document.getElementById('pareto-plot').data.filter(t => t.meta === 'front')
      .map(t => ({name: t.name, ids: Array.from(t.customdata)}))""")
    drawn = [{columns["id"][i] for i in front["ids"]} for front in fronts]
    assert sorted(map(sorted, drawn)) == sorted(sorted(row["id"] for row in g["front"]) for g in groups)
    assert all(("bert-base" in f["name"] or "gpt2" in f["name"]) and "·" in f["name"] for f in fronts), fronts
    knees = page.evaluate("() => document.getElementById('pareto-plot').data.find(t => t.meta === 'knee').x.length")
    assert knees == sum(1 for g in groups if len(g["front"]) >= 3)  # a knee needs three front points (pareto_math)
    assert page.locator("#front-table thead th", has_text="Front").count() == 1
    assert "6 Pareto fronts, one per model × sequence length" in page.locator("#scatter-caption").inner_text()
    screenshot("10-fronts-per-workload")
    page.locator("#group-by input[value=seq_len]").uncheck()  # one front per model
    page.wait_for_function("() => document.getElementById('pareto-plot').data"
                           ".filter(t => t.meta === 'front').length === 2")
    assert "g=model" in page.url


def test_failed_points_show_a_banner_and_their_rows(served, page, screenshot) -> None:
    """600 tokens is past bert-base's 512 positions, within gpt2's 1024: half the points fail, and the page says
    so, why, and lists them with their error; the exports keep them."""
    spec = {**real_sweeps.MEDIUM_SPEC, "name": "half-fails", "models": ["bert-base", "gpt2"],
            "scenarios": [{"seq_len": 600}], "axes": {"rows": [8, 16], "cols": [16]}}
    sweep_id = real_sweeps.submit(served.base_url, spec)
    sweep = real_sweeps.wait_done(served.base_url, sweep_id, failures=True)
    assert (sweep["status"], sweep["done_points"], sweep["failed_points"]) == ("done", 2, 2)
    page.goto(f"{served.base_url}/#/sweeps/{sweep_id}")
    banner = page.locator("#failures-banner")
    banner.wait_for()
    text = banner.inner_text()
    assert "2 of 4 points failed" in text and "2 × " in text and "exceeds bert-base's max positions 512" in text, text
    # the banner can come before the first draw (its own request): wait for the caption
    page.wait_for_function("() => document.getElementById('scatter-caption').textContent.includes('points pass')")
    assert "2 failed points are not drawn" in page.locator("#scatter-caption").inner_text()
    page.click("#show-failed")
    # every row failed (the table before the click also holds the two failed rows, among four)
    page.wait_for_function("() => document.querySelectorAll('#points-table tbody tr.failed').length === 2"
                           " && document.querySelectorAll('#points-table tbody tr').length === 2")
    assert "max positions 512" in page.locator("#points-table tbody tr").first.inner_text()
    page.uncheck("#points-failed-only")
    page.wait_for_function("() => document.querySelectorAll('#points-table tbody tr').length === 4")
    assert "rows 1–4 of 4" in page.locator("#points-pager").inner_text()
    screenshot("11-failed-points")
    exported = httpx.get(f"{served.base_url}/api/sweeps/{sweep_id}/results", params={"format": "csv"}).text
    assert exported.count("max positions 512") == 2


def test_a_decoder_point_shows_serving_metrics_and_phase_subtotals(served, page, screenshot) -> None:
    spec = {**real_sweeps.MEDIUM_SPEC, "name": "gpt2-decode", "models": ["gpt2"],
            "scenarios": [{"prompt_len": 64, "generate_len": 32}], "axes": {"rows": [16], "cols": [16]}}
    sweep_id = real_sweeps.submit(served.base_url, spec)
    real_sweeps.wait_done(served.base_url, sweep_id)
    point_id = real_sweeps.results(served.base_url, sweep_id, "id")["id"][0]
    point = httpx.get(f"{served.base_url}/api/points/{point_id}").json()
    page.goto(f"{served.base_url}/#/points/{point_id}")
    page.locator("#ops-table tbody tr").first.wait_for()
    metrics = page.locator("#point-metrics").inner_text()
    for label in ("Time to first token", "Time per output token", "Decode throughput"):
        assert label in metrics, metrics
    subtotals = page.locator("#ops-table tr.phase-subtotal")
    assert subtotals.count() == 2
    assert subtotals.nth(0).inner_text().startswith("Prefill") and subtotals.nth(1).inner_text().startswith("Decode")
    ops = point["report"]["ops"]
    assert page.locator("#ops-table tbody tr").count() == len(ops) + 2
    decode_ops = sum(op["phase"] == "decode" for op in ops)
    assert f"Decode: {decode_ops} operators" in subtotals.nth(1).inner_text()
    # a decode GEMV is memory-bound on the roofline and labelled so
    assert any(op["phase"] == "decode" and op["kind"] == "gemm" and op["bound"] == "memory" for op in ops)
    page.wait_for_timeout(300)
    screenshot("12-decoder-point")


def test_a_sweep_without_results_still_offers_its_selectors_and_axes(served, page) -> None:
    """Every point fails (softmax on an accelerator without non-linear lanes): no result to draw, but the objective
    selectors, the axes and the reason are there, as they are before a running sweep's first chunk lands."""
    spec = {**real_sweeps.MEDIUM_SPEC, "name": "all-fail", "axes": {"rows": [16], "softmax_on": ["accelerator"]}}
    sweep_id = real_sweeps.submit(served.base_url, spec)
    real_sweeps.wait_done(served.base_url, sweep_id, failures=True)
    page.goto(f"{served.base_url}/#/sweeps/{sweep_id}")
    page.locator("#failures-banner").wait_for()
    page.locator("#obj-x option").first.wait_for(state="attached")  # the controls are drawn once the results load
    assert page.locator("#obj-x option").count() >= 5 and page.locator("#obj-x").input_value() == "latency_s"
    page.wait_for_function("() => document.getElementById('pareto-plot')._fullLayout?.xaxis?.title?.text "
                           "=== 'Latency (s)'")
    assert "could be evaluated" in page.locator("#scatter-caption").inner_text()


def test_any_point_as_baseline_adds_ratios_to_the_table_the_tooltips_and_the_exports(served, page) -> None:
    base = served.columns["id"][0]
    page.goto(f"{served.base_url}/#/points/{base}")
    page.click("#set-baseline")
    page.wait_for_url(f"**/#/sweeps/{served.sweep_id}?b={base}")
    page.locator("#front-table tbody tr").first.wait_for()
    headers = page.locator("#front-table thead").inner_text()
    assert "Speedup vs baseline" in headers and "Energy vs baseline" in headers and "EDP vs baseline" in headers
    assert f"Baseline: #{base}" in page.locator("#baseline-chip").inner_text()
    marker = page.evaluate("() => document.getElementById('pareto-plot').data.find(t => t.meta === 'baseline')")
    assert marker and marker["name"] == f"Baseline #{base}"
    first = page.locator("#front-table tbody tr").first
    point_id = int(first.get_attribute("data-point-id"))
    latency = dict(zip(served.columns["id"], served.columns["latency_s"], strict=True))
    speedup = latency[base] / latency[point_id]
    cells = first.locator("td").all_inner_texts()
    assert any(text.strip() == f"{float(f'{speedup:.3g}'):g} ×" for text in cells), (cells, speedup)
    href = page.locator("#export-csv").get_attribute("href")
    assert f"baseline={base}" in href
    exported = httpx.get(f"{served.base_url}{href}").text.splitlines()
    assert "speedup" in exported[0].split(",") and len(exported) == served.count + 1
    page.click("#baseline-chip button")
    page.wait_for_function("() => !location.hash.includes('b=')")
    assert "Speedup vs baseline" not in page.locator("#front-table thead").inner_text()


def test_an_area_component_not_loaded_yet_can_colour_the_points(served, page) -> None:
    """Issue 28: a sweep colours by any metric, e.g. one area component (stored with each point); choosing one the
    page has not loaded fetches it and colours the points by their stored values."""
    stored = real_sweeps.results(served.base_url, served.sweep_id, "area_scratchpad_mm2")["area_scratchpad_mm2"]
    assert len({round(v, 9) for v in stored}) > 1  # the medium sweep varies the scratchpad
    _open(page, served.base_url, served.sweep_id)
    options = page.eval_on_selector_all("#colour-by option", "els => els.map(e => e.value)")
    assert "area_scratchpad_mm2" in options, options
    page.select_option("#colour-by", "area_scratchpad_mm2")
    coloured = ("() => document.getElementById('pareto-plot').data.filter("
                "t => t.marker && Array.isArray(t.marker.color)).flatMap(t => t.marker.color)")
    page.wait_for_function(f"() => ({coloured})().length > 0")
    assert "c=area_scratchpad_mm2" in page.url
    colours = {round(v, 9) for v in page.evaluate(coloured)}
    assert len(colours) > 1 and colours <= {round(v, 9) for v in stored}
