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


def test_a_client_side_mistake_stays_on_its_row_and_is_never_sent(dashboard, page) -> None:
    """`64..8 step 8` is refused in the browser; the rest of the spec is still checked by the API (so every mistake
    shows at once), without the refused axis."""
    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function(COUNT_IS, arg="36")
    sent: list[dict] = []
    page.on("request", lambda request: sent.append(request.post_data_json) if "/estimate" in request.url else None)
    page.locator(".axis-values").nth(1).fill("64..8 step 8")
    page.wait_for_function(
        "() => document.querySelectorAll('.axis-row .error')[1]?.textContent.includes('below start')")
    page.wait_for_timeout(500)
    assert sent and all("cols" not in body["axes"] for body in sent), sent
    assert page.locator("#point-count .value").inner_text() == "–"


def _error_of(page, row: int) -> str:
    return page.locator(".axis-row .error").nth(row).inner_text()


def test_four_mistakes_are_marked_at_once_each_on_its_row(dashboard, page, screenshot) -> None:
    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function(COUNT_IS, arg="36")
    page.fill("#sweep-name", "")                       # 1. no name (the API: cannot be empty)
    page.locator(".axis-name").nth(0).fill("rowz")     # 2. an unknown axis (the API: did you mean rows?)
    page.locator(".axis-values").nth(1).fill("64..abc")  # 3. not a range (the browser)
    page.fill("#scenario-seq-len", "128, abc")         # 4. not a length (the API)
    page.wait_for_function("() => document.querySelectorAll('.invalid').length >= 4")
    assert page.locator("#err-name").inner_text() == "cannot be empty"
    row_error = _error_of(page, 0)
    assert row_error.startswith("unknown axis 'rowz' (did you mean the accelerator field rows?)")
    assert "options (option_axes): " in row_error and "weight_precision" in row_error and not row_error.endswith("…")
    assert '"64..abc" is not a range' in _error_of(page, 1)
    assert page.locator(".axis-row .axis-count").nth(1).inner_text() == "", "never 'Count 1' for 64..abc"
    assert "'abc' is not an integer" in page.locator("#err-scenarios-seq_len").inner_text()
    marked = page.evaluate("() => [...document.querySelectorAll('.invalid')].map(e => e.id || e.className)")
    assert {"sweep-name", "scenario-seq-len"} <= set(marked) and any("axis-name" in m for m in marked) and any(
        "axis-values" in m for m in marked), marked
    summary = page.locator("#form-summary").inner_text()
    assert summary.startswith("4 fields need a change, each marked with the reason"), summary
    screenshot("28-form-four-mistakes")
    # creating says the same, never an empty refusal
    page.click("#create-sweep")
    page.wait_for_timeout(500)
    assert "#/new" in page.url and page.locator("#form-summary").inner_text() == summary


def test_unticking_every_objective_says_why_on_the_objectives(dashboard, page) -> None:
    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function(COUNT_IS, arg="36")
    for value in page.eval_on_selector_all("#objectives input:checked", "boxes => boxes.map(b => b.value)"):
        page.uncheck(f"#objectives input[value={value}]")
    page.locator("#err-objectives", has_text="give at least 1").wait_for()
    assert "objectives" in page.locator("#form-summary").inner_text()
    page.click("#create-sweep")
    page.locator("#err-objectives", has_text="give at least 1").wait_for()
    assert page.locator(".form-error").count() == 0 or page.locator(".form-error").inner_text().strip()


def test_an_option_axis_from_the_catalog_is_swept(dashboard, page, screenshot) -> None:
    """Every sweepable option is offered with its choices; choosing one adds a row holding every choice, which goes to
    `option_axes`; an option typed as an axis name is understood the same way."""
    wait_for_health(dashboard.base_url, timeout_s=180)
    catalog = httpx.get(f"{dashboard.base_url}/api/catalog").json()
    options = [p["name"] for p in catalog["parameters"] if p["source"] == "options" and p["sweepable"]]
    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function(COUNT_IS, arg="36")
    offered = page.eval_on_selector_all("#add-option-axis option", "os => os.map(o => o.value).filter(Boolean)")
    assert offered == options
    choice = page.locator("#add-option-axis option[value=weight_precision]").inner_text()
    assert "int8, int4, fp16, bf16, fp32" in choice
    page.select_option("#add-option-axis", "weight_precision")
    row = page.locator(".axis-row").nth(3)
    assert row.locator(".axis-values").input_value() == "int8, int4, fp16, bf16, fp32"
    assert "Simulator option" in row.locator(".axis-hint").inner_text()
    page.wait_for_function(COUNT_IS, arg="180")
    row.locator(".axis-values").fill("int8, int4")
    page.wait_for_function(COUNT_IS, arg="72")
    page.click("text=+ Add axis")
    page.locator(".axis-name").nth(4).fill("mapper")
    page.locator(".axis-values").nth(4).fill("optimal, gemmini")
    page.wait_for_function(COUNT_IS, arg="144")
    page.locator(".axis-values").nth(4).fill("optimal, gemini")
    page.locator(".axis-row .error", has_text="gemini").wait_for()
    screenshot("28-form-option-axis")
    page.locator(".axis-values").nth(4).fill("optimal, gemmini")
    page.wait_for_function(COUNT_IS, arg="144")
    page.fill("#sweep-name", "option-axes")
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    spec = httpx.get(f"{dashboard.base_url}/api/sweeps/{sweep_id}").json()["spec"]
    assert spec["option_axes"] == {"weight_precision": ["int8", "int4"], "mapper": ["optimal", "gemmini"]}
    assert set(spec["axes"]) == {"rows", "cols", "scratchpad_kib"}
