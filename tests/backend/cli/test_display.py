"""The CLI's numbers read in a unit that keeps them between 1 and 1000 ("11515.334 mJ" was issue 28's example)."""

from __future__ import annotations

import pytest

from backend.cli.display import si


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (11.515334, "J", "11.52 J"), (0.0112, "s", "11.2 ms"), (0.000345, "J", "345 µJ"), (1.0, "s", "1 s"),
    (999.9, "J", "999.9 J"), (1234.0, "J", "1.234 kJ"), (2.5e-9, "s", "2.5 ns"), (0.0, "J", "0 J"),
    (None, "s", "–"), (float("nan"), "s", "–"),
])
def test_a_number_is_shown_in_the_unit_that_keeps_it_between_1_and_1000(value, unit, shown) -> None:
    assert si(value, unit) == shown
