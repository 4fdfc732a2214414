"""The sweep view against a real `dse serve` serving the dashboard, with the sweep endpoints answered by
FakeSweepApi (known data, so counts can be asserted exactly)."""

from __future__ import annotations

import pytest

from tests.browser.fake_api import FakeSweepApi

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACE_COUNTS = """() => {
  const gd = document.getElementById('pareto-plot');
  return gd.data.map(t => ({meta: t.meta, type: t.type, n: (t.x || []).length, name: t.name}));
}"""


def _open(page, base_url: str, fake: FakeSweepApi, hash_: str = "#/sweeps/1") -> None:
    fake.install(page)
    page.goto(f"{base_url}/{hash_}")
    page.locator("#pareto-plot .main-svg").first.wait_for()
    page.locator("#front-table tbody tr").first.wait_for()
    page.locator("#parcoords-plot").scroll_into_view_if_needed()
    page.locator("#parcoords-plot[data-ready]").wait_for(state="attached")
    page.evaluate("() => window.scrollTo(0, 0)")


def test_pareto_view_shows_every_point_and_the_front(dashboard, page, screenshot) -> None:
    fake = FakeSweepApi(count=2000)
    _open(page, dashboard.base_url, fake)
    traces = page.evaluate(TRACE_COUNTS)
    points = sum(t["n"] for t in traces if t["meta"] == "points")
    front = next(t for t in traces if t["meta"] == "front")
    assert all(t["type"] == "scattergl" for t in traces)
    assert points + front["n"] == 2000, traces
    assert page.locator("#front-table tbody tr").count() == front["n"] > 2
    assert "2,000 of 2,000 points" in page.locator("#scatter-caption").inner_text().replace("2K", "2,000")
    screenshot("03-sweep-view")


POINT_XY = """(meta) => {
  const gd = document.getElementById('pareto-plot');
  const trace = gd.data.findIndex(t => t.meta === meta);
  const t = gd.data[trace];
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + xa.l2p(xa.type === 'log' ? Math.log10(t.x[0]) : t.x[0]),
          y: box.top + ya._offset + ya.l2p(ya.type === 'log' ? Math.log10(t.y[0]) : t.y[0]),
          id: t.customdata[0] + 1};
}"""


def test_hover_shows_the_design_and_click_opens_the_point(dashboard, page, screenshot) -> None:
    fake = FakeSweepApi(count=2000)
    _open(page, dashboard.base_url, fake)
    knee = page.evaluate(POINT_XY, "knee")
    page.mouse.move(knee["x"], knee["y"])
    tooltip = page.locator("#point-tooltip")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    assert f"Point #{knee['id']}" in text and "Array rows" in text and "Latency" in text, text
    assert "On the Pareto front" in text
    screenshot("04-sweep-hover")
    page.mouse.click(knee["x"], knee["y"])
    page.wait_for_url(f"**/#/points/{knee['id']}")
    page.locator("#ops-table tbody tr").first.wait_for()
    assert page.locator("#ops-table tbody tr").count() == 14
    assert page.locator("#point-metrics .metric").count() >= 8
    classes = page.evaluate("() => document.getElementById('breakdown-plot').data.map(t => t.name)")
    expected_classes = {"Projection GEMMs", "Attention GEMMs", "FFN GEMMs", "Softmax", "Normalization", "Activation"}
    assert expected_classes <= set(classes)
    roofline = page.evaluate("() => document.getElementById('roofline-plot').data.filter(t => t.meta === 'ops')"
                             ".reduce((n, t) => n + t.x.length, 0)")
    assert roofline == 14
    page.wait_for_timeout(300)
    screenshot("05-point-view")


def test_view_state_lives_in_a_short_shareable_url(dashboard, page, screenshot) -> None:
    fake = FakeSweepApi(count=2000)
    _open(page, dashboard.base_url, fake)
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
    expected = sum(1 for v in fake.columns["scratchpad_kib"] if v >= 256)
    assert f"{expected:,} of 2,000 points" in page.locator("#scatter-caption").inner_text()
    screenshot("06-sweep-filtered-coloured")

    colleague = page.context.browser.new_context(viewport={"width": 1440, "height": 900})
    other = colleague.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda error: errors.append(str(error)))
    fake.install(other)
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
    shown = other.evaluate(TRACE_COUNTS)
    assert sum(t["n"] for t in shown if t["meta"] in ("points", "front")) == expected
    colleague.close()


def test_brushing_parallel_coordinates_filters_the_scatter(dashboard, page) -> None:
    fake = FakeSweepApi(count=2000)
    _open(page, dashboard.base_url, fake)
    index = page.evaluate("() => document.getElementById('parcoords-plot').data[0].dimensions"
                          ".findIndex(d => d.name === 'rows')")
    page.evaluate(f"() => Plotly.restyle('parcoords-plot', {{'dimensions[{index}].constraintrange': [[7, 33]]}})")
    page.locator("[data-filter=rows]").wait_for()
    expected = sum(1 for v in fake.columns["rows"] if 7 <= v <= 33)
    shown = page.evaluate(TRACE_COUNTS)
    assert sum(t["n"] for t in shown if t["meta"] in ("points", "front")) == expected
    assert "f=rows:7:33" in page.url


def test_compare_two_points(dashboard, page, screenshot) -> None:
    fake = FakeSweepApi(count=2000)
    _open(page, dashboard.base_url, fake)
    boxes = page.locator("#front-table tbody input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(2).check()
    boxes.nth(4).check()
    page.click("#compare-selected")
    page.locator("#compare-table").wait_for()
    assert page.locator("#compare-table thead th").count() == 4
    bars = page.evaluate("() => document.getElementById('compare-latency').data.map(t => t.y.length)")
    assert bars and set(bars) == {3}
    page.wait_for_timeout(300)
    screenshot("07-compare")


def test_third_objective_as_a_3d_view(dashboard, page) -> None:
    fake = FakeSweepApi(count=2000)
    _open(page, dashboard.base_url, fake, "#/sweeps/1?z=area_mm2&v=3d")
    traces = page.evaluate(TRACE_COUNTS)
    assert {t["type"] for t in traces} == {"scatter3d"}
    assert sum(t["n"] for t in traces) == 2000
    assert page.locator("input[name=zmode][value='3d']").is_checked()


def test_a_running_sweep_updates_live(dashboard, page) -> None:
    fake = FakeSweepApi(count=2000, status="running", visible=500)
    _open(page, dashboard.base_url, fake)
    assert "500 of 500 points" in page.locator("#scatter-caption").inner_text()
    fake.visible = 1500
    page.wait_for_function("() => document.getElementById('scatter-caption').textContent.includes('1,500 of 1,500')",
                           timeout=30_000)
    fake.visible, fake.status = 2000, "done"
    page.wait_for_function("() => document.getElementById('scatter-caption').textContent.includes('2,000 of 2,000')",
                           timeout=30_000)
    page.locator("h1 .badge.done").wait_for()


def _python_front(xs: list[float], ys: list[float]) -> set[int]:
    order = sorted(range(len(xs)), key=lambda i: (xs[i], ys[i]))
    front, best = set(), float("inf")
    for i in order:
        if ys[i] < best:
            front.add(i)
            best = ys[i]
    return front


def test_thinning_keeps_the_front_and_the_outliers_and_splits_traces(dashboard, page) -> None:
    fake = FakeSweepApi(count=60_000, seed=3)
    _open(page, dashboard.base_url, fake)
    drawn = page.evaluate("""() => document.getElementById('pareto-plot').data
      .filter(t => t.meta === 'points' || t.meta === 'front')
      .map(t => ({meta: t.meta, type: t.type, idx: Array.from(t.customdata)}))""")
    xs, ys = fake.columns["latency_s"], fake.columns["energy_j"]
    front = next(t for t in drawn if t["meta"] == "front")
    assert set(front["idx"]) == _python_front(xs, ys)
    point_traces = [t for t in drawn if t["meta"] == "points"]
    assert all(t["type"] == "scattergl" and len(t["idx"]) <= 20_000 for t in point_traces)
    shown = set().union(*(t["idx"] for t in drawn))
    assert len(shown) < 60_000, "above the display limit dense regions are thinned"
    extremes = {xs.index(max(xs)), xs.index(min(xs)), ys.index(max(ys)), ys.index(min(ys))}
    assert extremes <= shown, "outliers at the edges of the cloud are never thinned away"
    assert "60,000 of 60,000 points" in page.locator("#scatter-caption").inner_text()
    assert "thinned" in page.locator("#scatter-caption").inner_text()
