"""The Validate page on a real `dse serve`: the project's FireSim training set, uploaded as a measurements CSV, drawn
as predicted against measured (log-log, the diagonal, one trace per kind) with the summary the API gives; a bad file
says which line and column."""

from __future__ import annotations

import csv
from pathlib import Path

import httpx
import pytest

from simulator.measurements import to_validation_rows

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PLOT_DATA = "() => document.getElementById('validate-plot').data.map((t) => ({name: t.name, meta: t.meta ?? null, " \
            "n: t.x.length, mode: t.mode, bars: t.error_y ? t.error_y.array.length : 0}))"


def training_csv(path: Path) -> Path:
    rows = to_validation_rows()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys(key for row in rows for key in row)))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_training_set_uploaded_is_drawn_with_its_summary(dashboard, page, screenshot, tmp_path: Path) -> None:
    upload = training_csv(tmp_path / "firesim_training_validation.csv")
    page.goto(f"{dashboard.base_url}/#/validate")
    assert page.locator("nav a[data-nav=validate]").get_attribute("class") == "active"
    page.set_input_files("#validate-file", str(upload))
    page.select_option("#validate-accelerator", "gemmini-firesim")
    page.click("#validate-run")
    page.locator("#validate-plot .main-svg").first.wait_for(timeout=120_000)
    traces = page.evaluate(PLOT_DATA)
    # every row's mapping priced by the measured model: each point carries its error band
    assert [(t["meta"], t["n"], t["bars"]) for t in traces[:2]] == [("conv", 1236, 1236), ("gemm", 331, 331)]
    assert traces[2]["name"] == "predicted = measured" and traces[2]["mode"] == "lines"
    api = httpx.post(f"{dashboard.base_url}/api/validate", json={"csv": upload.read_text(),
                                                                 "accelerator": "gemmini-firesim"}, timeout=120).json()
    summary = page.locator("#validate-summary").inner_text()
    assert api["summary"]["median_abs_error"] < 0.15  # docs/firesim_fit.md: 11.7%
    assert f"{100 * api['summary']['median_abs_error']:.1f}%" in summary
    assert f"{100 * api['summary']['within_band']:.1f}%" in summary
    assert f"{api['summary']['spearman']:.3f}" in summary and "Convolutions" in summary and "GEMMs" in summary
    assert page.locator("#validate-worst tbody tr").count() == 15
    results = page.locator("#validate-results").inner_text()
    assert "not evaluated" not in results and "fit to FireSim" in results and "gemmini-measured" in results
    screenshot("30-validate-training-set")


def test_the_training_set_button_prices_it_on_the_measured_soc(dashboard, page) -> None:
    page.goto(f"{dashboard.base_url}/#/validate")
    page.click("#validate-training")
    page.locator("#validate-plot .main-svg").first.wait_for(timeout=120_000)
    assert page.locator("#validate-accelerator").input_value() == "gemmini-firesim"
    assert "on gemmini-firesim" in page.locator("#validate-results h2").first.inner_text()


def test_a_bad_file_names_the_line_and_column(dashboard, page, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,m,k,n,rowz,cycles\ngemm,64,64,64,16,2000\n")
    page.goto(f"{dashboard.base_url}/#/validate")
    page.set_input_files("#validate-file", str(bad))
    page.click("#validate-run")
    error = page.locator("#validate-results .notice.error")
    error.wait_for()
    assert "line 1: unknown column 'rowz' (did you mean rows?)" in error.inner_text()
