"""The survey's mapping and fusion studies run from the sweeps list on a real stack: each sweep opens on the page that
tells its story (the fusion groups fused vs unfused beside the survey's figures, refusals with their reasons; the
memory re-balancing grid against its baseline cell with the survey's −36%), and the mapping-landscape entry opens
its page instead of creating a sweep. Expected values are computed here from the API's own points (GET
/api/points/{id}), the page's source."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser import real_sweeps
from tests.support import wait_for_health

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _points(base_url: str, sweep_id: int) -> list[dict[str, Any]]:
    ids = real_sweeps.results(base_url, sweep_id, "id")["id"]
    return [httpx.get(f"{base_url}/api/points/{i}", timeout=60).json() for i in ids]


def _change(text: str) -> float:
    """'−70%' / '+7.3%' / '0%' as a fraction."""
    return float(text.replace("−", "-").rstrip("%")) / 100


def _run_template(page, base_url: str, template_id: str) -> int:
    page.goto(f"{base_url}/#/sweeps")
    page.click(f"button[data-template={template_id}]")
    page.wait_for_url("**/#/sweeps/*")
    sweep_id = int(page.url.rsplit("/", 1)[1].split("?")[0])
    real_sweeps.wait_done(base_url, sweep_id)
    page.reload()
    return sweep_id


def test_the_fusion_study_shows_each_group_fused_vs_unfused_beside_the_survey(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    page.set_default_timeout(60_000)
    template = next(t for t in httpx.get(f"{dashboard.base_url}/api/templates").json() if t["id"] == "fusion-study")
    sweep_id = _run_template(page, dashboard.base_url, "fusion-study")
    page.locator("#fusion-study tr[data-state]").first.wait_for()
    page.wait_for_function("() => !document.querySelector('#fusion-study tr[data-state=missing]')")
    reference = template["reference"]
    points = {(p["parameters"]["seq_len"], p["parameters"]["accumulator_kib"], p["parameters"]["variant"]): p
              for p in _points(dashboard.base_url, sweep_id)}
    rows = page.locator("#fusion-study tr[data-state]")
    assert rows.count() == 2 * len(reference["groups"]) * 2  # l x groups x accumulator sizes
    refused = 0
    for seq_len in (512, 4096):
        for group, about in reference["groups"].items():
            for acc in (128, 256):
                row = page.locator(f"#fusion-study tr[data-group={group}][data-seq-len='{seq_len}']"
                                   f"[data-accumulator='{acc}']")
                text = row.inner_text()
                assert about["label"] in text and " + ".join(about["ops"]) in text, text
                base, fused = points[seq_len, acc, reference["baseline"]], points[seq_len, acc, about["variant"]]
                figure = next((f for f in reference["figures"] if f["group"] == group and f["seq_len"] == seq_len
                               and f.get("accumulator_kib", acc) == acc), None)
                survey = row.locator("td.survey").inner_text()
                assert survey == ("–" if figure is None else f"{'−' if figure['change_percent'] < 0 else '+'}"
                                  f"{abs(figure['change_percent'])}%"), (group, seq_len, acc, survey)
                if group not in fused["metrics"]["fused_groups"].split("+"):
                    refused += 1
                    assert row.get_attribute("data-state") == "refused"
                    reasons = [n for n in fused["report"]["notes"] if n.startswith(f"{group} ")]
                    assert reasons and reasons[0] in text and "refused" in row.locator("td.ours").inner_text()
                    continue
                assert row.get_attribute("data-state") == "fused"
                cycles = [sum(op["cycles"] for op in p["report"]["ops"] if op["name"] in about["ops"])
                          for p in (base, fused)]
                shown = _change(row.locator("td.ours").inner_text())
                assert abs(shown - (cycles[1] / cycles[0] - 1)) <= 0.006, (group, seq_len, acc, shown, cycles)
    # whole 4096-wide score rows do not fit half the accumulator for Gemmini's tiler: both score groups refused
    assert refused == 4
    worse = page.locator("#fusion-study tr[data-group=wout_layernorm][data-seq-len='512'][data-accumulator='128'] "
                         "td.ours")
    assert worse.inner_text().startswith("+") and "worse" in worse.get_attribute("class")
    chart = page.evaluate("() => document.getElementById('fusion-chart-4096').data.map(t => [t.name, t.text])")
    assert [name for name, _ in chart] == ["Ours", "Survey", "Refused"]
    assert chart[2][1][:4] == ["refused"] * 4 and not any(chart[2][1][4:]), chart  # the score groups, marked
    screenshot("16-fusion-study")


def test_the_memory_rebalancing_grid_is_relative_to_its_baseline_cell(dashboard, page, screenshot) -> None:
    wait_for_health(dashboard.base_url, timeout_s=180)
    page.set_default_timeout(60_000)
    sweep_id = _run_template(page, dashboard.base_url, "memory-rebalancing")
    page.locator("#rebalancing-study table.rebalancing-grid td.cell a").first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('#rebalancing-study .study-group').length > 0 && [..."
                           "document.querySelectorAll('#rebalancing-study td.cell')].every(c => c.querySelector('a'))")
    points = _points(dashboard.base_url, sweep_id)
    variants = sorted({p["parameters"]["variant"] for p in points})
    groups = page.locator("#rebalancing-study .study-group")
    assert groups.count() == len(variants)

    def gemm_cycles(variant: str, sp: int, acc: int) -> float:
        point = next(p for p in points if p["parameters"]["variant"] == variant
                     and (p["parameters"]["scratchpad_kib"], p["parameters"]["accumulator_kib"]) == (sp, acc))
        return sum(op["cycles"] for op in point["report"]["ops"] if op["kind"] == "gemm")

    # the baseline cell is the one the served template names (the page keeps no copy of it)
    template = next(t for t in httpx.get(f"{dashboard.base_url}/api/templates", timeout=60).json()
                    if t["id"] == "memory-rebalancing")
    base = template["reference"]["baseline_cell"]
    assert (base["scratchpad_kib"], base["accumulator_kib"]) == (256, 64)
    assert (f"(scratchpad {base['scratchpad_kib']} KiB, accumulator {base['accumulator_kib']} KiB)"
            in page.locator("#rebalancing-study").inner_text())
    first = groups.nth(0)
    variant = first.get_attribute("data-variant")
    cells = first.locator("td.cell")
    assert cells.count() == 9
    baseline = first.locator("td.cell[data-scratchpad='256'][data-accumulator='64']")
    assert "baseline" in baseline.get_attribute("class") and baseline.locator("a").inner_text() == "baseline"
    assert first.locator("td.baseline-cell").count() == 1
    target = first.locator("td.cell[data-scratchpad='64'][data-accumulator='256']")
    assert "survey −36%" in target.inner_text()
    expected = gemm_cycles(variant, 64, 256) / gemm_cycles(variant, 256, 64) - 1
    shown_to = 0.001 if abs(expected) < 0.1 else 0.01  # the page shows 0.1% below 10%, whole percents above
    assert abs(_change(target.locator("a").inner_text()) - expected) <= shown_to / 2 + 1e-4, (target.inner_text(),
                                                                                              expected)
    summary = first.locator(".study-summary").inner_text()
    assert "−36%" in summary
    assert ("compute-bound" if abs(expected) < 0.02 else "wait on the DMA") in summary
    heatmap = page.evaluate("() => document.getElementById('rebalancing-heatmap-0').data[0].z")
    assert len(heatmap) == 3 and all(len(row) == 3 for row in heatmap) and heatmap[2][0] == 0
    screenshot("17-memory-rebalancing")


def test_the_mapping_landscape_entry_opens_its_page(dashboard, page) -> None:
    wait_for_api_templates = httpx.get(f"{dashboard.base_url}/api/templates").json()
    entry = next(t for t in wait_for_api_templates if t["id"] == "mapping-landscape")
    assert entry["kind"] == "page" and entry["spec"] is None
    before = httpx.get(f"{dashboard.base_url}/api/sweeps").json()["total"]
    page.goto(f"{dashboard.base_url}/#/sweeps")
    link = page.locator("a[data-template=mapping-landscape]")
    assert link.inner_text().startswith("Open: ")
    link.click()
    page.wait_for_url("**/#/landscape?*")
    assert page.url.endswith("#/landscape?gemms=3136x576x64,196x2304x256,512x768x768,512x768x3072"
                             "&accelerator=gemmini-default"), page.url
    assert httpx.get(f"{dashboard.base_url}/api/sweeps").json()["total"] == before, "a page template creates nothing"
