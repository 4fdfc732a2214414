"""A calibrated accelerator says so in the dashboard, on a real `dse serve`: measurements posted to /api/calibrate
become a library accelerator; the new-sweep form labels it (and the shipped calibrated preset) among its choices and
under the list when chosen, and a design point of a sweep run on it shows "calibrated to <file>, <date>"."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.real_sweeps import results, wait_done
from tests.simulator.test_calibrate import ALTERED_HOST, CONFIGURATIONS, measured_csv
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]
COUNT_IS = "(n) => document.querySelector('#point-count .value')?.textContent === n"


def test_a_calibrated_accelerator_is_labelled_in_the_form_and_on_its_points(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    fit = httpx.post(f"{dashboard.base_url}/api/calibrate", timeout=120,
                     content=measured_csv("gemmini-default", ALTERED_HOST, CONFIGURATIONS[:2]),
                     headers={"content-type": "text/csv"}, params={"preset": "gemmini-default", "file": "chip.csv"})
    assert fit.status_code == 200, fit.text
    label = fit.json()["calibration"]["label"]
    added = httpx.post(f"{dashboard.base_url}/api/accelerators", timeout=30,
                       json={"name": "my-chip", "definition": fit.json()["preset"]})
    assert added.status_code == 201, added.text

    page.goto(f"{dashboard.base_url}/#/new")
    page.wait_for_function(COUNT_IS, arg="36")
    assert page.locator("#accelerator-calibration").inner_text() == ""  # gemmini-default is not calibrated
    options = page.locator("#accelerator option").all_inner_texts()
    assert f"my-chip — {label}" in options
    assert any(o.startswith("gemmini-default-calibrated — calibrated to survey_baseline_measurements.csv, ")
               for o in options)
    page.select_option("#accelerator", "my-chip")
    note = page.locator("#accelerator-calibration")
    assert note.locator(".tag.calibrated").inner_text() == label
    assert "host_cycles_per_element_softmax 40 → 90" in note.inner_text()
    for _ in range(3):  # vary nothing: the calibrated design as it is
        page.locator(".axis-row button").first.click()
    page.wait_for_function(COUNT_IS, arg="2")
    screenshot("40-new-sweep-calibrated-accelerator")
    page.fill("#sweep-name", "on-my-chip")
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    sweep = wait_done(dashboard.base_url, sweep_id)
    assert "calibration" in sweep["spec"]["accelerator_definitions"]["my-chip"]  # it travels with the sweep
    point_id = results(dashboard.base_url, sweep_id, "id")["id"][0]

    page.goto(f"{dashboard.base_url}/#/points/{point_id}")
    tag = page.locator("#point-calibration")
    tag.wait_for()
    assert tag.inner_text() == label and tag.is_visible()
    assert "Fitted to chip.csv" in tag.get_attribute("title")
    screenshot("41-point-of-a-calibrated-accelerator")
