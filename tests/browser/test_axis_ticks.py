"""Axes always carry numbers (frontend/static/js/format.js `axisTicks`): every tick a full number with its unit,
inside the data's span, whether the span lies inside one decade, crosses a decade boundary or covers six decades.

The rendered tests read the tick labels Chromium draws: on the sweep page for a real sweep (the demo sweep, one
workload inside one decade and both across a boundary), and on a scatter drawn by the dashboard's own layout code
for six decades (no small real sweep spans that much).
"""

from __future__ import annotations

import math
import re

import httpx
import pytest

from tests.browser.real_sweeps import wait_done
from tests.support import wait_for_health

TICKS = """([lo, hi, unit, log]) => import('/js/format.js').then((m) => m.axisTicks(lo, hi, unit, log))"""
RENDERED = """(axis) => {
  const gd = document.getElementById('pareto-plot');
  return [...gd.querySelectorAll(`.${axis}tick text`)].map((t) => t.textContent);
}"""
PREFIXES = {"p": 1e-12, "n": 1e-9, "µ": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9}


def _ticks(page, lo: float, hi: float, unit: str = "", log: bool = True) -> dict:
    return page.evaluate(TICKS, [lo, hi, unit, log])


def _value(label: str, unit: str) -> float:
    """'280 mJ' -> 0.28 (fails the test on a label that is no number with its unit)."""
    match = re.fullmatch(rf"(-?[\d.,]+) ([pnµmkMG]?){re.escape(unit)}", label)
    assert match, f"tick label {label!r} is not a number with its unit {unit!r}"
    return float(match.group(1).replace(",", "")) * PREFIXES[match.group(2)]


def _assert_labels_cover(labels: list[str], unit: str, lo: float, hi: float, minimum: int = 3) -> None:
    """At least `minimum` labels, each a number with the unit, inside the data's span and reaching to within one
    tick step of each end of it."""
    assert len(labels) >= minimum, f"{labels} for data {lo:.4g}..{hi:.4g} {unit}"
    values = [_value(label, unit) for label in labels]
    assert values == sorted(values) and len(set(values)) == len(values), labels
    assert lo * (1 - 1e-6) <= values[0] and values[-1] <= hi * (1 + 1e-6), (labels, lo, hi)
    # within one tick step of each end: a ratio (1, 2, 5 x 10^n) or a difference (evenly spaced ticks)
    slack = 1 + 1e-6
    near_lo = values[0] <= lo * values[1] / values[0] * slack or values[0] - lo <= (values[1] - values[0]) * slack
    near_hi = values[-1] >= hi * values[-2] / values[-1] / slack or hi - values[-1] <= (values[-1] - values[-2]) * slack
    assert near_lo and near_hi, (labels, lo, hi)


def test_half_a_second_to_five_seconds_reads_in_full(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    ticks = _ticks(page, 0.5, 5.0, "s")
    assert ticks["tickmode"] == "array"
    assert ticks["ticktext"] == ["500 ms", "1 s", "2 s", "5 s"], ticks
    assert ticks["tickvals"] == [0.5, 1, 2, 5]


def test_inside_one_decade_the_axis_gets_evenly_spaced_labelled_ticks(dashboard, page) -> None:
    """The issue's case: energy 0.28-0.35 J, where 1, 2, 5 x 10^n left the axis bare (ticks at 0.2 and 0.5)."""
    page.goto(dashboard.base_url)
    ticks = _ticks(page, 0.28, 0.35, "J")
    assert ticks["ticktext"] == ["280 mJ", "300 mJ", "320 mJ", "340 mJ"], ticks
    ticks = _ticks(page, 0.02, 0.045, "J")  # points at 20-45 mJ sat below the lowest label (50 mJ)
    assert ticks["ticktext"][0] == "20 mJ" and ticks["ticktext"][-1] == "45 mJ", ticks


@pytest.mark.parametrize(("lo", "hi"), [(3e-6, 4e-2), (1.0, 9.0), (2e3, 7e9), (0.011, 0.03), (0.0112, 0.0118),
                                        (0.15, 0.6), (1e-9, 1e6)])
def test_ticks_lie_inside_the_span_and_reach_both_ends(dashboard, page, lo, hi) -> None:
    page.goto(dashboard.base_url)
    ticks = _ticks(page, lo, hi, "J")
    _assert_labels_cover(ticks["ticktext"], "J", lo, hi)
    assert [_value(text, "J") for text in ticks["ticktext"]] == pytest.approx(ticks["tickvals"], rel=1e-9)


def test_labels_tell_close_ticks_apart(dashboard, page) -> None:
    texts = (page.goto(dashboard.base_url), _ticks(page, 4.4450, 4.4460, "s"))[1]["ticktext"]
    assert len(set(texts)) == len(texts) >= 3, texts


def test_many_decades_keep_one_tick_per_decade(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    values = _ticks(page, 1e-9, 1.0, "s")["tickvals"]
    assert len(values) == 10 and all(math.isclose(v, 10.0 ** e) for v, e in zip(values, range(-9, 1), strict=True))


def test_a_linear_axis_keeps_its_unit(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    ticks = _ticks(page, 0.035, 0.136, "mm²", False)
    assert ticks["ticktext"][0] == "0.04 mm²" and all(t.endswith(" mm²") for t in ticks["ticktext"]), ticks


@pytest.mark.parametrize(("lo", "hi", "log"), [(0.0, 5.0, True), (-1.0, 2.0, True), (math.nan, 1.0, False)])
def test_spans_a_log_axis_cannot_show_leave_the_axis_to_plotly(dashboard, page, lo, hi, log) -> None:
    page.goto(dashboard.base_url)
    assert _ticks(page, lo, hi, "s", log) == {}


@pytest.fixture(scope="module")
def demo(dashboard) -> dict[str, list]:
    """The demo sweep (BERT-Base at 128 and 512 tokens on 18 arrays) once the stack's worker has run it."""
    wait_for_health(dashboard.base_url, timeout_s=180)
    wait_done(dashboard.base_url, 1)
    response = httpx.get(f"{dashboard.base_url}/api/sweeps/1/results",
                         params={"columns": "seq_len,latency_s,energy_j", "limit": 1000}, timeout=30)
    return response.json()["columns"]


def _span(demo: dict[str, list], name: str, seq_len: int | None = None) -> tuple[float, float]:
    values = [v for v, s in zip(demo[name], demo["seq_len"], strict=True) if seq_len is None or s == seq_len]
    return min(values), max(values)


def test_rendered_sweep_axes_inside_one_decade(dashboard, page, demo, screenshot) -> None:
    """512 tokens only: energy 287-315 mJ and latency 3.8-4.5 s, each inside one decade, on log axes."""
    page.goto(f"{dashboard.base_url}/#/sweeps/1?f=seq_len:512:512")
    page.locator("#pareto-plot .ytick text").first.wait_for()
    _assert_labels_cover(page.evaluate(RENDERED, "y"), "J", *_span(demo, "energy_j", 512))
    _assert_labels_cover(page.evaluate(RENDERED, "x"), "s", *_span(demo, "latency_s", 512))
    screenshot("axis-one-decade-energy")


def test_rendered_sweep_axes_across_a_decade_boundary(dashboard, page, demo) -> None:
    """Both workloads: energy 50-315 mJ (across 100 mJ), latency 0.56-4.5 s (across 1 s)."""
    page.goto(f"{dashboard.base_url}/#/sweeps/1")
    page.locator("#pareto-plot .ytick text").first.wait_for()
    labels = page.evaluate(RENDERED, "y")
    _assert_labels_cover(labels, "J", *_span(demo, "energy_j"))
    assert "100 mJ" in labels, labels
    assert "1 s" in page.evaluate(RENDERED, "x")
    _assert_labels_cover(page.evaluate(RENDERED, "x"), "s", *_span(demo, "latency_s"))


def test_rendered_axes_keep_their_numbers_when_zoomed(dashboard, page, demo) -> None:
    page.goto(f"{dashboard.base_url}/#/sweeps/1")
    page.locator("#pareto-plot .ytick text").first.wait_for()
    page.evaluate("() => Plotly.relayout('pareto-plot', {'yaxis.range': [Math.log10(0.29), Math.log10(0.30)]})")
    page.wait_for_function("() => [...document.querySelectorAll('#pareto-plot .ytick text')].length >= 3")
    _assert_labels_cover(page.evaluate(RENDERED, "y"), "J", 0.29, 0.30)


SIX_DECADES = """async () => {
  const { scatterLayout, scatterTraces, valueSpan } = await import('/js/plots/pareto_scatter.js');
  await import('/js/catalog.js').then((m) => m.loadCatalog());
  const Plotly = await import('/js/plotly_loader.js').then((m) => m.loadPlotly());
  const n = 25;
  const columns = { latency_s: Array.from({ length: n }, (_, i) => 2e-6 * 10 ** (6 * i / (n - 1))),
    energy_j: Array.from({ length: n }, (_, i) => 3e-3 * 10 ** (-6 * i / (n - 1))) };
  const shown = columns.latency_s.map((_, i) => i);
  const div = document.createElement('div');
  div.id = 'pareto-plot';
  div.style.width = '1000px'; div.style.height = '600px';
  document.body.replaceChildren(div);
  const state = { x: 'latency_s', y: 'energy_j', logX: true, logY: true };
  const spans = { x: valueSpan(columns, 'latency_s', shown), y: valueSpan(columns, 'energy_j', shown) };
  await Plotly.newPlot(div, scatterTraces({ columns, shown, fronts: [], x: state.x, y: state.y }),
    scatterLayout(state, spans));
  return [spans.x, spans.y];
}"""


def test_rendered_axes_over_six_decades(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    (xlo, xhi), (ylo, yhi) = page.evaluate(SIX_DECADES)
    x_labels, y_labels = page.evaluate(RENDERED, "x"), page.evaluate(RENDERED, "y")
    _assert_labels_cover(x_labels, "s", xlo, xhi, minimum=6)
    _assert_labels_cover(y_labels, "J", ylo, yhi, minimum=6)
    assert x_labels[:2] == ["10 µs", "100 µs"] and y_labels[-1] == "1 mJ", (x_labels, y_labels)
