"""The app shell against a real `dse serve`: page, health indicator, locally served Plotly.js."""

from __future__ import annotations

import httpx
import pytest

from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_plotly_is_served_locally_gzipped_and_cacheable(dashboard) -> None:
    response = httpx.get(f"{dashboard.base_url}/vendor/plotly.js", follow_redirects=True,
                         headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert len(response.content) > 1_000_000 and b"plotly" in response.content[:2000].lower()


def test_shell_shows_health_and_navigation(dashboard, page, screenshot) -> None:
    external: list[str] = []
    page.on("request", lambda request: None if request.url.startswith((dashboard.base_url, "data:"))
            else external.append(request.url))
    page.goto(dashboard.base_url)
    wait_for_health(dashboard.base_url, timeout_s=180)
    page.locator("#health.ok").wait_for(timeout=30_000)
    assert page.locator("#health").inner_text().strip() == "all systems up"
    assert page.locator("nav").get_by_role("link", name="New sweep", exact=True).count() == 1
    page.locator("h1", has_text="Sweeps").wait_for()
    screenshot("01-sweeps-list")
    plotly_version = page.evaluate(
        "async () => (await import('/js/plotly_loader.js')).loadPlotly().then(p => p.version)")
    assert plotly_version[0].isdigit()
    assert not external, f"the dashboard must not touch the network: {external}"


def test_unknown_route_says_so(dashboard, page) -> None:
    page.goto(f"{dashboard.base_url}/#/nowhere")
    page.get_by_text("Page not found").wait_for()


def test_empty_state_tells_a_new_user_what_to_do(dashboard, page, screenshot) -> None:
    page.route("**/api/sweeps", lambda route: route.fulfill(json={"items": [], "total": 0, "limit": 100, "offset": 0}))
    page.goto(dashboard.base_url)
    empty = page.locator("[data-testid=empty-state]")
    empty.wait_for()
    assert "No sweeps yet" in empty.inner_text()
    assert empty.get_by_role("link", name="Create your first sweep").get_attribute("href") == "#/new"
    screenshot("00-empty-state")


def test_running_sweep_shows_live_progress_rate_and_eta(dashboard, page, screenshot) -> None:
    done = [600]

    def sweeps(route) -> None:  # type: ignore[no-untyped-def]
        done[0] = min(2000, done[0] + 200)
        route.fulfill(json={"items": [
            {"id": 7, "name": "llama-decode-sweep", "owner": "alice", "status": "running",
             "spec": {"models": ["llama-7b"]},
             "total_points": 2000, "done_points": done[0], "failed_points": 0, "progress": done[0] / 2000,
             "points_per_s": 412.5, "eta_s": (2000 - done[0]) / 412.5, "created_at": "2026-11-21T23:10:00Z"},
            {"id": 6, "name": "demo", "owner": "dse", "status": "done", "spec": {"models": ["bert-base"]},
             "total_points": 36, "done_points": 36, "failed_points": 0, "progress": 1.0, "points_per_s": 50.0,
             "eta_s": 0, "created_at": "2026-11-21T22:00:00Z"}], "total": 2, "limit": 100, "offset": 0})

    page.route("**/api/sweeps", sweeps)
    page.goto(dashboard.base_url)
    row = page.locator("tr[data-sweep-id='7']")
    row.wait_for()
    first = row.locator("[role=progressbar]").get_attribute("aria-valuenow")
    page.wait_for_function("(v) => document.querySelector(\"tr[data-sweep-id='7'] [role=progressbar]\")"
                           ".getAttribute('aria-valuenow') !== v", arg=first, timeout=15_000)
    text = row.inner_text()
    assert "pts/s" in text and "ETA" in text and "Cancel" in text
    assert page.locator("tr[data-sweep-id='6']").get_by_role("button", name="Cancel").count() == 0
    screenshot("01b-sweeps-running")
