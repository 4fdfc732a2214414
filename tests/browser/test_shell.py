"""The app shell against a real `dse serve`: page, health indicator, locally served Plotly.js, the empty state of a
new install and the sweeps list following real sweeps (a finished one, one running on the worker)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from backend.sweeps.demo import DEMO_SPEC
from tests.browser import real_sweeps
from tests.browser.conftest import start_serve, stop_serve, wait_for_api
from tests.support import RunningStack, wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A real `dse serve` that starts empty (no demo sweep: the first test sees what a new team sees) and runs
    sweeps in chunks of 100 points so progress moves visibly."""
    stack = start_serve(tmp_path_factory.mktemp("shell"), {"DSE_DEMO_SWEEP": "false", "DSE_CHUNK_SIZE": "100"})
    try:
        wait_for_api(stack)
        yield stack
    finally:
        stop_serve(stack)


def test_empty_state_tells_a_new_user_what_to_do(dashboard, page, screenshot) -> None:
    assert httpx.get(f"{dashboard.base_url}/api/sweeps").json()["total"] == 0
    page.goto(dashboard.base_url)
    empty = page.locator("[data-testid=empty-state]")
    empty.wait_for()
    assert "No sweeps yet" in empty.inner_text()
    assert empty.get_by_role("link", name="Create your first sweep").get_attribute("href") == "#/new"
    screenshot("00-empty-state")


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
    wait_for_health(dashboard.base_url, timeout_s=180)
    demo = real_sweeps.submit(dashboard.base_url, DEMO_SPEC)  # the sweep `dse serve` queues on a new install
    real_sweeps.wait_done(dashboard.base_url, demo)
    page.goto(dashboard.base_url)
    page.locator("#health.ok").wait_for(timeout=30_000)
    assert "36 / 36 points" in page.locator(f"tr[data-sweep-id='{demo}']").inner_text()
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


# 2 models x 2 sequence lengths x 6 x 6 arrays x 3 scratchpads x 6 bandwidths x 10 latencies = 25,920 points: tens of
# seconds on the stack's one worker process (~800 points/s); cancelled once the list has shown it moving.
RUNNING_SPEC = {**DEMO_SPEC, "name": "arrays-and-bandwidth", "owner": "alice", "models": ["bert-base", "gpt2-medium"],
                "axes": {"rows": [4, 8, 16, 32, 64, 128], "cols": [4, 8, 16, 32, 64, 128],
                         "scratchpad_kib": [64, 256, 1024], "dram_bytes_per_cycle": [4, 8, 16, 32, 64, 128],
                         "dram_latency_cycles": {"start": 50, "stop": 500, "step": 50}}}
PROGRESS = ("(id) => document.querySelector(`tr[data-sweep-id='${id}'] [role=progressbar]`)"
            "?.getAttribute('aria-valuenow')")


def test_running_sweep_shows_live_progress_rate_and_eta(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    sweeps = httpx.get(f"{dashboard.base_url}/api/sweeps").json()["items"]
    finished = next(s for s in sweeps if s["status"] == "done")
    running = real_sweeps.submit(dashboard.base_url, RUNNING_SPEC)
    try:
        page.goto(dashboard.base_url)
        row = page.locator(f"tr[data-sweep-id='{running}']")
        row.wait_for()
        page.wait_for_function(f"() => ({PROGRESS})({running}) > 0", timeout=60_000)
        first = page.evaluate(PROGRESS, running)
        page.wait_for_function(f"(v) => ({PROGRESS})({running}) !== v", arg=first, timeout=60_000)
        page.wait_for_function(f"() => document.querySelector(\"tr[data-sweep-id='{running}']\")"
                               ".textContent.includes('ETA')", timeout=30_000)
        text = row.inner_text()
        assert "pts/s" in text and "ETA" in text and "Cancel" in text, text
        assert "/ 25,920 points" in text, text
        assert page.locator(f"tr[data-sweep-id='{finished['id']}']").get_by_role("button", name="Cancel").count() == 0
        screenshot("01b-sweeps-running")
    finally:
        httpx.post(f"{dashboard.base_url}/api/sweeps/{running}/cancel")
