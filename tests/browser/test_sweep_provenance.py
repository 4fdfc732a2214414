"""A sweep you can read and reuse, on a real `dse serve` with a two-workload sweep (BERT-Base at l=128 and l=512,
an option axis): ratios only against a baseline of the same workload ("–" with the reason otherwise), the spec in
words and as JSON, rename/tags/notes found by the list's search, and "New sweep from this one" round-tripping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser import real_sweeps
from tests.browser.conftest import ARTIFACTS
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TWO_WORKLOADS: dict[str, Any] = {
    "name": "two-workloads", "owner": "ada", "models": ["bert-base"],
    "scenarios": [{"batch": 1, "seq_len": 128}, {"batch": 1, "seq_len": 512}], "accelerator": "gemmini-default",
    "axes": {"rows": [8, 16, 32], "cols": {"start": 8, "stop": 32, "step": 8}},
    "option_axes": {"weight_precision": ["int8", "int4"]},
    "strategy": "grid", "objectives": ["latency_s", "energy_j"],
}


@pytest.fixture(scope="module")
def sweep(dashboard) -> Iterator[tuple[str, int]]:
    wait_for_health(dashboard.base_url, timeout_s=180)
    sweep_id = real_sweeps.submit(dashboard.base_url, TWO_WORKLOADS)
    real_sweeps.wait_done(dashboard.base_url, sweep_id)
    yield dashboard.base_url, sweep_id


def test_a_baseline_compares_only_its_own_workload(sweep, page, screenshot) -> None:
    base_url, sweep_id = sweep
    columns = real_sweeps.results(base_url, sweep_id, "id,seq_len,latency_s")
    base = next(i for i, seq in zip(columns["id"], columns["seq_len"], strict=True) if seq == 128)
    api = httpx.get(f"{base_url}/api/sweeps/{sweep_id}/results",
                    params={"baseline": base, "columns": "id,seq_len,speedup,energy_ratio,edp_ratio"}).json()["columns"]
    for k, seq in enumerate(api["seq_len"]):
        ratios = (api["speedup"][k], api["energy_ratio"][k], api["edp_ratio"][k])
        assert (all(r is None for r in ratios) if seq == 512 else all(r > 0 for r in ratios)), (seq, ratios)
    page.goto(f"{base_url}/#/sweeps/{sweep_id}?b={base}")
    page.locator("#front-table tbody tr").first.wait_for()
    headers = [h.strip() for h in page.locator("#front-table thead th").all_inner_texts()]
    speedup_col = next(i for i, text in enumerate(headers) if text.startswith("Speedup vs baseline"))
    seq_of = dict(zip(columns["id"], columns["seq_len"], strict=True))
    latency = dict(zip(columns["id"], columns["latency_s"], strict=True))
    rows = page.locator("#front-table tbody tr")
    seen = set()
    for k in range(rows.count()):
        row = rows.nth(k)
        point = int(row.get_attribute("data-point-id"))
        cell = row.locator("td").nth(speedup_col)
        if seq_of[point] == 512:
            assert cell.inner_text().strip() == "–"
            why = cell.locator(".no-value").get_attribute("title")
            assert why.startswith(f"No ratio: another workload than baseline #{base} (sequence length 512")
            assert "the baseline's 128" in why and "same model and scenario" in why
        else:
            assert cell.inner_text().strip() == f"{float(f'{latency[base] / latency[point]:.3g}'):g} ×"
        seen.add(seq_of[point])
    assert seen == {128, 512}, "both workloads' fronts are in the table"
    assert "only against designs of its own workload: the others show –" in page.locator("#baseline-chip").inner_text()
    screenshot("28-baseline-two-workloads-page")
    page.locator("section:has(#front-table)").screenshot(path=str(ARTIFACTS / "28-baseline-two-workloads.png"))


def test_the_spec_panel_says_what_was_swept_in_words_and_json(sweep, page, screenshot) -> None:
    base_url, sweep_id = sweep
    page.goto(f"{base_url}/#/sweeps/{sweep_id}")
    words = page.locator("#spec-words").inner_text()
    for text in ("Models\tbert-base", "gemmini-default (preset)", "rows): 8, 16, 32 (3 values)",
                 "cols): 8 to 32 in steps of 8 (4 values)", "weight_precision): int8, int4 (2 values)",
                 "grid: every combination (48 points)", "min latency, min energy"):
        assert text.replace("\t", "\n") in words or text in words, (text, words)
    assert "Batch 1, Sequence length 128 · Batch 1, Sequence length 512" in words.replace("Batch size", "Batch")
    page.click("#sweep-spec summary")
    stored = httpx.get(f"{base_url}/api/sweeps/{sweep_id}").json()["spec"]
    assert json.loads(page.locator("#spec-json").inner_text()) == stored
    screenshot("28-sweep-spec-panel-page")
    page.locator("#sweep-spec").screenshot(path=str(ARTIFACTS / "28-sweep-spec-panel.png"))


def test_rename_tags_and_notes_are_kept_and_found_by_the_list(sweep, page) -> None:
    base_url, sweep_id = sweep
    page.goto(f"{base_url}/#/sweeps/{sweep_id}")
    page.click("#edit-sweep")
    page.fill("#edit-name", "bert two lengths")
    page.fill("#edit-tags", "Memory, paper:fig7, has space")
    page.fill("#edit-notes", "Scratchpad above 256 KiB buys nothing.")
    page.click("#save-sweep")
    page.locator("#edit-error", has_text="tags").wait_for()  # the API's reason for the bad tag, on the editor
    assert "letters, digits" in page.locator("#edit-error").inner_text()
    page.fill("#edit-tags", "Memory, paper:fig7")
    page.click("#save-sweep")
    page.locator("#sweep-tags .tag", has_text="paper:fig7").wait_for()
    page.locator("h1", has_text="bert two lengths").wait_for()
    assert page.locator("#sweep-notes").inner_text() == "Scratchpad above 256 KiB buys nothing."
    stored = httpx.get(f"{base_url}/api/sweeps/{sweep_id}").json()
    assert (stored["name"], stored["tags"]) == ("bert two lengths", ["memory", "paper:fig7"])
    page.click("#sweep-tags .tag >> text=memory")
    page.wait_for_url("**/#/sweeps?tag=memory")
    page.locator(f"tr[data-sweep-id='{sweep_id}']").wait_for()
    assert page.locator("tbody tr").count() == 1
    page.goto(f"{base_url}/#/sweeps")
    page.fill("#sweep-search", "256 kib")
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 1")
    page.fill("#sweep-search", "no such sweep")
    page.locator("#no-sweep-matches").wait_for()


def test_new_sweep_from_this_one_round_trips_the_spec(sweep, page) -> None:
    base_url, sweep_id = sweep
    original = httpx.get(f"{base_url}/api/sweeps/{sweep_id}").json()
    page.goto(f"{base_url}/#/sweeps/{sweep_id}")
    page.click("#clone-sweep")
    page.wait_for_url(f"**/#/new?from={sweep_id}")
    page.locator("#cloned-notice").wait_for()
    page.wait_for_function("() => document.querySelector('#point-count .value')?.textContent === '48'")
    assert page.locator(".axis-name").evaluate_all("es => es.map(e => e.value)") == ["rows", "cols", "weight_precision"]
    assert page.locator(".axis-values").nth(1).input_value() == "8..32 step 8"
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/*")
    clone_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    assert clone_id != sweep_id
    clone = httpx.get(f"{base_url}/api/sweeps/{clone_id}").json()["spec"]
    expected = {**original["spec"], "name": f"{original['name']} (copy)"}
    expected.pop("owner", None)
    clone.pop("owner", None)
    assert clone == expected


def test_a_search_page_says_why_the_search_stopped(sweep, page) -> None:
    """A search over a 4-point space with a budget of 10 stops when the space is exhausted, and says so."""
    base_url, _ = sweep
    spec = {"name": "tiny-search", "models": ["bert-base"], "scenarios": [{"seq_len": 128}],
            "axes": {"rows": [8, 16], "cols": [8, 16]}, "strategy": "search", "budget": 10, "batch_size": 4,
            "objectives": ["latency_s", "energy_j"]}
    search_id = real_sweeps.submit(base_url, spec)
    finished = real_sweeps.wait_done(base_url, search_id)
    assert finished["search"]["stopped"] == "the whole space was evaluated: all 4 points (the budget was 10)"
    page.goto(f"{base_url}/#/sweeps/{search_id}")
    page.locator("#hypervolume-caption", has_text="Stopped: the whole space was evaluated: all 4 points").wait_for()
    assert "search: Optuna nsga2, a budget of 10 points" in page.locator("#spec-words").inner_text()
