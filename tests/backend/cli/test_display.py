"""The CLI's numbers read in a unit that keeps them between 1 and 1000 ("11515.334 mJ" was issue 28's example)."""

from __future__ import annotations

import pytest

from backend.cli.display import si
from backend.cli.sweep_summary import state_line


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (11.515334, "J", "11.52 J"), (0.0112, "s", "11.2 ms"), (0.000345, "J", "345 µJ"), (1.0, "s", "1 s"),
    (999.9, "J", "999.9 J"), (1234.0, "J", "1.234 kJ"), (2.5e-9, "s", "2.5 ns"), (0.0, "J", "0 J"),
    (None, "s", "–"), (float("nan"), "s", "–"),
])
def test_a_number_is_shown_in_the_unit_that_keeps_it_between_1_and_1000(value, unit, shown) -> None:
    assert si(value, unit) == shown


def test_a_sweep_state_reads_as_a_sentence() -> None:
    sweep = {"id": 3, "name": "demo", "status": "done", "done_points": 2, "total_points": 8, "failed_points": 6,
             "points_per_s": 12.0, "error": "point 1: no tile fits", "search": None}
    assert state_line(sweep) == ("sweep 3 'demo': done — 2 of 8 points evaluated, 6 failed (12 points/s)\n"
                                 "  first error: point 1: no tile fits")
    running = {**sweep, "status": "running", "done_points": 1, "failed_points": 0, "points_per_s": None,
               "error": None, "search": {"stopped": None}}
    assert state_line(running) == "sweep 3 'demo': running — 1 of 8 points evaluated, 7 to go"
    stopped = {**sweep, "failed_points": 0, "total_points": 2, "error": None, "points_per_s": None,
               "search": {"stopped": "its budget of 2 points was evaluated"}}
    assert state_line(stopped) == ("sweep 3 'demo': done — 2 of 2 points evaluated\n"
                                   "  search stopped: its budget of 2 points was evaluated")
