"""Log axes are labelled in full (frontend/static/js/format.js `logAxisTicks`): 1, 2, 5 × 10ⁿ with their unit,
never a bare leading digit that reads 10x wrong."""

from __future__ import annotations

import math

import pytest

TICKS = """([lo, hi, unit]) => import('/js/format.js').then((m) => m.logAxisTicks(lo, hi, unit))"""


def _ticks(page, lo: float, hi: float, unit: str = "") -> dict:
    return page.evaluate(TICKS, [lo, hi, unit])


def test_half_a_second_to_five_seconds_reads_in_full(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    ticks = _ticks(page, 0.5, 5.0, "s")
    assert ticks["tickmode"] == "array"
    assert ticks["ticktext"] == ["500 ms", "1 s", "2 s", "5 s"], ticks
    assert ticks["tickvals"] == [0.5, 1, 2, 5]


@pytest.mark.parametrize(("lo", "hi"), [(3e-6, 4e-2), (1.0, 9.0), (2e3, 7e9), (0.011, 0.03)])
def test_every_tick_is_one_two_or_five_times_a_power_of_ten_and_spans_the_data(dashboard, page, lo, hi) -> None:
    page.goto(dashboard.base_url)
    ticks = _ticks(page, lo, hi, "J")
    values = ticks["tickvals"]
    assert values == sorted(values) and len(values) >= 2, ticks
    for value in values:
        mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
        assert round(mantissa, 6) in (1, 2, 5), value
    # no stretch of the data without a tick longer than one tick step
    assert values[0] <= lo * values[1] / values[0] and values[-1] >= hi * values[-2] / values[-1], ticks
    assert all(text.endswith("J") and text[0].isdigit() for text in ticks["ticktext"]), ticks


def test_many_decades_keep_one_tick_per_decade(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    values = _ticks(page, 1e-9, 1.0, "s")["tickvals"]
    assert len(values) == 10 and all(math.isclose(v, 10.0 ** e) for v, e in zip(values, range(-9, 1), strict=True))


@pytest.mark.parametrize(("lo", "hi"), [(0.0, 5.0), (0.0112, 0.0118), (-1.0, 2.0)])
def test_spans_without_two_such_ticks_leave_the_axis_to_plotly(dashboard, page, lo, hi) -> None:
    page.goto(dashboard.base_url)
    assert _ticks(page, lo, hi, "s") == {}
