"""`/docs` (Swagger UI) and `/redoc` render on a machine with no network: every request the pages make goes to
this server, and the pages show the API's operations."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.conftest import ARTIFACTS


def _requests(page) -> tuple[list[str], set[str]]:
    """Every URL the page asked for, and those Chromium refused itself under the page's CSP (never sent)."""
    seen: list[str] = []
    refused: set[str] = set()
    page.on("request", lambda request: seen.append(request.url))
    page.on("requestfailed", lambda request: refused.add(request.url) if request.failure == "csp" else None)
    return seen, refused


@pytest.fixture
def docs_page(browser):
    """A page of its own: the CSP refusing ReDoc's third-party logo is the point here, not a dashboard bug."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert not errors, errors


def _foreign(urls: list[str], base_url: str) -> list[str]:
    own = urlsplit(base_url).netloc
    return [url for url in urls if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != own]


@pytest.mark.parametrize(("path", "operation"), [("/docs", ".opblock"), ("/redoc", "[data-section-id^='tag/']")])
def test_api_docs_render_from_this_server_alone(dashboard, docs_page, path: str, operation: str) -> None:
    page = docs_page
    operations = sum(len(ops) for ops in httpx.get(f"{dashboard.base_url}/openapi.json").json()["paths"].values())
    seen, refused = _requests(page)
    page.goto(f"{dashboard.base_url}{path}")
    page.locator(operation).first.wait_for()
    assert "Transformer DSE" in page.content()
    if path == "/docs":
        assert page.locator(".opblock").count() == operations
    page.wait_for_timeout(500)  # late requests (fonts, validator badge) would show up here
    foreign = _foreign(seen, dashboard.base_url)
    assert seen and set(foreign) <= refused, (foreign, refused)  # ReDoc's logo from cdn.redoc.ly: refused
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"api{path.replace('/', '-')}.png"))


def test_try_it_out_on_simulate_runs_its_own_example(dashboard, docs_page) -> None:
    """Issue 28: Swagger's generated body (`"options": {"additionalProp1": {}}`) was refused; the shown example runs."""
    page = docs_page
    page.goto(f"{dashboard.base_url}/docs#/points/simulate_api_simulate_post")
    block = page.locator("#operations-points-simulate_api_simulate_post")
    block.wait_for()
    if not block.locator(".try-out__btn").is_visible():
        block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    body = block.locator("textarea.body-param__text").input_value()
    assert "additionalProp1" not in body and '"weight_precision": "int8"' in body, body
    block.locator(".execute").click()
    answered = block.locator(".live-responses-table tbody .response-col_status").first
    answered.wait_for(timeout=60_000)
    assert answered.inner_text().strip() == "200", block.locator(".live-responses-table").inner_text()
