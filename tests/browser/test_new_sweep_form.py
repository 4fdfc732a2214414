"""The new-sweep form on a real `dse serve`: the point count follows the typing (the API's own estimate), the
API's validation messages land next to the field they name, and the created sweep is the one the API stores."""

from __future__ import annotations

import httpx
import pytest

from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNT_IS = "(n) => document.querySelector('#point-count .value')?.textContent === n"


def test_point_count_follows_typing_and_errors_sit_next_to_the_field(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)  # the sweep it creates is queued for the worker
    presets = httpx.get(f"{dashboard.base_url}/api/presets/models").json()
    page.goto(f"{dashboard.base_url}/#/new")
    count = page.locator("#point-count .value")
    page.wait_for_function(COUNT_IS, arg="36")
    assert page.locator("#model-choices input").count() == len(presets) > 2
    page.locator(".axis-values").first.fill("8..64 step 8")
    page.wait_for_function(COUNT_IS, arg="96")
    assert page.locator(".axis-row .axis-count").first.inner_text() == "8"
    page.check("#model-choices input[value=gpt2-medium]")
    page.wait_for_function(COUNT_IS, arg="192")
    # The API refuses a name above 200 characters (422 at body.name): its message sits under the name field.
    page.fill("#sweep-name", "x" * 201)
    name_error = page.locator("#err-name")
    name_error.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#err-name')?.textContent.includes('at most 200 characters')")
    assert count.inner_text() == "–"
    assert page.locator(".form-error").count() == 0, "a field's error is not repeated as a general one"
    page.locator("#health.ok").wait_for(timeout=60_000)
    screenshot("02-new-sweep-validation")
    page.fill("#sweep-name", "my-first-sweep")
    # A value the simulator refuses is named by the API at the door, on the row (or under the input) it concerns.
    page.locator(".axis-values").first.fill("-8, 16")
    page.locator(".axis-row .error", has_text="-8 is not an integer from 1 to 4,096").wait_for()
    page.locator(".axis-values").first.fill("8, 16, 32")
    page.fill("#scenario-seq-len", "128, abc")
    page.locator("#err-scenarios-seq_len", has_text="'abc' is not an integer").wait_for()
    page.fill("#scenario-seq-len", "128, 100000")
    page.locator("#err-scenarios", has_text="exceeds bert-base's max positions 512").wait_for()
    screenshot("03-new-sweep-value-errors")
    page.fill("#scenario-seq-len", "128, 512")
    page.wait_for_function(COUNT_IS, arg="72")
    assert name_error.inner_text() == ""
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    spec = httpx.get(f"{dashboard.base_url}/api/sweeps/{sweep_id}").json()["spec"]
    assert spec["name"] == "my-first-sweep"
    assert spec["models"] == ["bert-base", "gpt2-medium"]
    assert spec["axes"]["rows"] == [8, 16, 32]
    assert spec["scenarios"] == [{"batch": 1, "seq_len": 128}, {"batch": 1, "seq_len": 512}]
    assert spec["objectives"] == ["latency_s", "energy_j"]


def test_a_client_side_mistake_is_named_before_anything_is_sent(dashboard, page) -> None:
    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function(COUNT_IS, arg="36")
    estimates: list[str] = []
    page.on("request", lambda request: estimates.append(request.url) if "/estimate" in request.url else None)
    page.locator(".axis-values").nth(1).fill("64..8 step 8")
    page.wait_for_function(
        "() => document.querySelectorAll('.axis-row .error')[1]?.textContent.includes('below start')")
    page.wait_for_timeout(500)
    assert not estimates, estimates
