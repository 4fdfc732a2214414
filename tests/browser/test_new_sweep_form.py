"""The new-sweep form: the point count follows the typing and the API's validation messages land next to
the field they name. Presets and estimate are answered in the documented shapes by page.route."""

from __future__ import annotations

import json
import math
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODELS = [{"name": "bert-base", "family": "encoder"}, {"name": "gpt2-medium", "family": "decoder"}]
ACCELERATORS = [{"name": "gemmini-default", "description": "16×16 int8 Gemmini"}, {"name": "gemmini-optimized"}]


def _install(page, created: list[dict]) -> None:  # type: ignore[no-untyped-def]
    def estimate(route) -> None:  # type: ignore[no-untyped-def]
        spec = json.loads(route.request.post_data)
        rows = spec["axes"].get("rows", [1])
        if isinstance(rows, list) and any(isinstance(v, (int, float)) and v > 256 for v in rows):
            return route.fulfill(status=422, json={"detail": [
                {"loc": ["body", "axes", "rows"], "msg": "Value error, rows must be between 1 and 256",
                 "type": "value_error"}]})
        size = len(spec["models"]) * len(spec["scenarios"]) * math.prod(
            len(v) if isinstance(v, list) else int((v["stop"] - v["start"]) / v["step"]) + 1
            for v in spec["axes"].values())
        return route.fulfill(json={"points": size})

    def create(route) -> None:  # type: ignore[no-untyped-def]
        created.append(json.loads(route.request.post_data))
        return route.fulfill(status=201, json={"id": 1, "name": created[-1]["name"], "status": "queued"})

    page.route("**/api/presets/models", lambda route: route.fulfill(json=MODELS))
    page.route("**/api/presets/accelerators", lambda route: route.fulfill(json=ACCELERATORS))
    page.route("**/api/sweeps/estimate", estimate)
    page.route(re.compile(r".*/api/sweeps$"), lambda route: create(route) if route.request.method == "POST"
               else route.fulfill(json=[]))


def test_point_count_follows_typing_and_errors_sit_next_to_the_field(dashboard, page, screenshot) -> None:
    created: list[dict] = []
    _install(page, created)
    page.goto(f"{dashboard.base_url}/#/new")
    count = page.locator("#point-count .value")
    page.wait_for_function("() => document.querySelector('#point-count .value')?.textContent === '36'")
    assert page.locator("#model-choices input").count() == 2
    page.locator(".axis-values").first.fill("8..64 step 8")
    page.wait_for_function("() => document.querySelector('#point-count .value')?.textContent === '96'")
    assert page.locator(".axis-row .axis-count").first.inner_text() == "8"
    page.check("#model-choices input[value=gpt2-medium]")
    page.wait_for_function("() => document.querySelector('#point-count .value')?.textContent === '192'")
    page.locator(".axis-values").first.fill("8, 16, 512")
    row_error = page.locator(".axis-row").first.locator(".error")
    row_error.wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector('.axis-row .error')?.textContent.includes('between 1 and 256')")
    assert count.inner_text() == "–"
    screenshot("02-new-sweep-validation")
    page.locator(".axis-values").first.fill("8, 16, 32")
    page.wait_for_function("() => document.querySelector('#point-count .value')?.textContent === '72'")
    page.fill("#sweep-name", "my-first-sweep")
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/1")
    assert created[0]["name"] == "my-first-sweep"
    assert created[0]["models"] == ["bert-base", "gpt2-medium"]
    assert created[0]["axes"]["rows"] == [8, 16, 32]
    assert created[0]["scenarios"] == [{"batch": 1, "seq_len": 128}, {"batch": 1, "seq_len": 512}]
    assert created[0]["objectives"] == ["latency_s", "energy_j"]


def test_a_client_side_mistake_is_named_before_anything_is_sent(dashboard, page) -> None:
    _install(page, [])
    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function("() => document.querySelector('#point-count .value')?.textContent === '36'")
    page.locator(".axis-values").nth(1).fill("64..8 step 8")
    page.wait_for_function(
        "() => document.querySelectorAll('.axis-row .error')[1]?.textContent.includes('below start')")
