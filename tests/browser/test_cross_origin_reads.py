"""Cross-origin reads that cost work, in Chromium on a real single-user `dse serve` (issue 30, item 4): a page on
another port of the same host loads mapping landscapes and a CSV export as <img> tags; every one is refused (403)
before any route runs, while the dashboard itself reads the same URLs."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.test_sign_in import _AttackerSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _requests(base_url: str) -> dict[tuple[str, str], float]:
    """(route, status) -> GET requests served so far, from the server's own metrics."""
    text = httpx.get(f"{base_url}/api/metrics", timeout=30).text
    return {(route, status): float(count) for route, status, count in re.findall(
        r'dse_http_requests_total\{method="GET",route="([^"]+)",status="(\d+)"\} (\S+)', text)}


def test_img_tags_on_another_port_make_the_server_compute_nothing(dashboard, page) -> None:
    landscapes = [f"{dashboard.base_url}/api/mappings?m={m}&k=512&n=512" for m in (64, 128, 256, 512, 1024)]
    export = f"{dashboard.base_url}/api/sweeps/1/results?format=csv"
    images = "".join(f'<img src="{url}">' for url in [*landscapes, export])
    attacker = _AttackerSite({"/": f"<!doctype html><body>{images}</body>", "/favicon.ico": ""})
    before = _requests(dashboard.base_url)
    try:
        page.goto(attacker.url)  # "load": every image has loaded or failed
        page.wait_for_function("() => [...document.images].every((image) => image.complete)")
        after = _requests(dashboard.base_url)
        grew = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
        assert grew.get(("unmatched", "403")) == 6, grew  # refused in the middleware, no route ran
        assert not any(route in ("/api/mappings", "/api/sweeps/{sweep_id}/results") for route, _ in grew), grew
        page.goto(dashboard.base_url)  # the dashboard, same origin: the same reads answer
        statuses = page.evaluate("async (urls) => Promise.all(urls.map(async (url) => (await fetch(url)).status))",
                                 [landscapes[0], export])
        assert statuses[0] == 200 and statuses[1] in (200, 404), statuses
    finally:
        attacker.close()
