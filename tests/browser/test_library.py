"""The team library from the dashboard, on a real `dse serve`: a Hugging Face config.json uploaded in the new-sweep
form becomes a model a sweep runs to results, and an accelerator saved from a point page is a choice of a new sweep
that runs on it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.browser.real_sweeps import results, submit, wait_done
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CONFIG = Path(__file__).resolve().parents[1] / "simulator" / "fixtures" / "hf" / "bert-base-uncased" / "config.json"
COUNT_IS = "(n) => document.querySelector('#point-count .value')?.textContent === n"


def test_an_uploaded_config_json_becomes_a_model_a_sweep_runs(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function(COUNT_IS, arg="36")
    page.set_input_files("#model-config", str(CONFIG))
    # the file is read asynchronously; no _name_or_path in it, so the name proposed is its model_type
    page.wait_for_function("() => document.querySelector('#model-import-name').value === 'bert'", timeout=5_000)
    page.fill("#model-import-name", "team-bert")
    page.click("#model-import")
    page.locator("#model-import-status", has_text="Added team-bert (encoder, 12 layers)").wait_for()
    assert page.locator("#model-choices input[value=team-bert]").is_checked()
    page.wait_for_function(COUNT_IS, arg="72")  # bert-base and the new model
    page.uncheck("#model-choices input[value=bert-base]")
    page.wait_for_function(COUNT_IS, arg="36")
    screenshot("10-new-sweep-imported-model")
    page.fill("#sweep-name", "imported-model")
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    sweep = wait_done(dashboard.base_url, sweep_id)
    assert sweep["status"] == "done" and sweep["failed_points"] == 0, sweep
    assert set(sweep["spec"]["model_definitions"]) == {"team-bert"}  # the definition travels with the sweep
    rows = results(dashboard.base_url, sweep_id, "model,num_layers,latency_s")
    assert set(rows["model"]) == {"team-bert"} and set(rows["num_layers"]) == {12}
    assert min(rows["latency_s"]) > 0
    # the same upload twice: the library names the conflict instead of overwriting
    page.goto(f"{dashboard.base_url}/#/new")
    page.set_input_files("#model-config", str(CONFIG))
    page.fill("#model-import-name", "team-bert")
    page.click("#model-import")
    page.locator("#err-model_import", has_text="already has a model named 'team-bert'").wait_for()


def test_an_accelerator_saved_from_a_point_page_runs_a_new_sweep(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    seed_id = submit(dashboard.base_url, {"name": "to-save", "models": ["bert-base"], "scenarios": [{"seq_len": 128}],
                                          "accelerator": "gemmini-default", "axes": {"rows": [32], "cols": [32],
                                                                                     "scratchpad_kib": [512]}})
    wait_done(dashboard.base_url, seed_id)
    point_id = results(dashboard.base_url, seed_id, "id")["id"][0]
    page.goto(f"{dashboard.base_url}/#/points/{point_id}")
    page.click("#save-accelerator")
    page.fill("#save-accelerator-name", "big-array")
    page.click("#save-accelerator-confirm")
    page.locator("#save-accelerator-status", has_text="Saved as big-array").wait_for()
    screenshot("11-point-saved-as-accelerator")
    saved = httpx.get(f"{dashboard.base_url}/api/accelerators/big-array").json()["definition"]
    assert (saved["rows"], saved["cols"], saved["scratchpad_kib"]) == (32, 32, 512)
    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function(COUNT_IS, arg="36")
    page.select_option("#accelerator", "big-array")
    for _ in range(3):  # vary nothing: the saved design as it is
        page.locator(".axis-row button").first.click()
    page.wait_for_function(COUNT_IS, arg="2")
    page.fill("#sweep-name", "on-big-array")
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    sweep = wait_done(dashboard.base_url, sweep_id)
    assert sweep["status"] == "done" and sweep["failed_points"] == 0, sweep
    rows = results(dashboard.base_url, sweep_id, "accelerator,rows,cols,scratchpad_kib")
    assert set(rows["accelerator"]) == {"big-array"} and set(rows["rows"]) == {32}
    assert set(rows["scratchpad_kib"]) == {512}
