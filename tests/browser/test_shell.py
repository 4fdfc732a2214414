"""The app shell against a real `dse serve`: page, health indicator, locally served Plotly.js."""

from __future__ import annotations

import httpx
import pytest

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
    page.locator("#health.ok").wait_for()
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
