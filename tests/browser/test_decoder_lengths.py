"""Decoder workloads in the dashboard, on a real `dse serve`: the new-sweep form asks a decoder's prompt and
generated lengths (a decoder read sequence length as its prompt without a word), the created sweep stores them, a
refused prompt length sits under its own field, and the sweep page shows time to first token and per output token."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_prompt_and_generated_lengths_round_trip_and_ttft_tpot_show(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    page.goto(f"{dashboard.base_url}/#/new")
    page.locator("#scenario-prompt-len").wait_for()
    page.uncheck("#model-choices input[value=bert-base]")
    page.check("#model-choices input[value=gpt2-medium]")
    page.fill("#sweep-name", "decoder-lengths")
    page.locator(".axis-values").first.fill("8, 16")
    page.fill("#scenario-prompt-len", "abc")
    page.locator("#err-scenarios-prompt_len", has_text="'abc' is not an integer").wait_for()
    page.fill("#scenario-prompt-len", "128")
    page.fill("#scenario-generate-len", "32")
    page.wait_for_function("() => document.querySelector('#err-scenarios-prompt_len')?.textContent === ''")
    assert page.locator("#scenario-seq-len").is_disabled(), "the prompt replaces the sequence lengths"
    screenshot("28-new-sweep-decoder-lengths")
    page.click("#create-sweep")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    sweep = httpx.get(f"{dashboard.base_url}/api/sweeps/{sweep_id}").json()
    assert sweep["spec"]["scenarios"] == [{"batch": 1, "prompt_len": 128, "generate_len": 32}]
    deadline = time.monotonic() + 240
    while sweep["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, sweep
        time.sleep(1)
        sweep = httpx.get(f"{dashboard.base_url}/api/sweeps/{sweep_id}").json()
    assert sweep["status"] == "done", sweep
    page.reload()
    header = page.locator("#front-table thead")
    page.locator("#front-table tbody tr").first.wait_for(timeout=60_000)
    text = header.inner_text().lower()
    assert "first token" in text and "per output token" in text, text
    cells = page.locator("#front-table tbody tr").first.inner_text()
    assert "–" not in cells, cells
    screenshot("28-decoder-sweep-ttft-tpot")
