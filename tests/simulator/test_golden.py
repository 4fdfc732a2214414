"""Golden reports: every number of the reports in tests/simulator/golden/ is pinned at 1e-9 relative.

A change that moves any latency, energy, traffic or mapping fails here; a formula change regenerates them
(`DSE_UPDATE_GOLDEN=1`) in the same commit, which says what moved and why.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.simulator.golden_cases import cases, differences, path_of, report_of, write


@pytest.mark.parametrize("case", sorted(cases()))
def test_report_matches_golden(case: str) -> None:
    if os.environ.get("DSE_UPDATE_GOLDEN") == "1":
        write(case)
    expected = json.loads(path_of(case).read_text())
    found = differences(expected, report_of(case).model_dump(mode="json"))
    assert not found, f"{case}: {len(found)} differences, first: " + "; ".join(found[:8])


def test_every_golden_file_is_a_case() -> None:
    files = sorted(p.name for p in path_of("x@y").parent.glob("*.json"))
    known = sorted(path_of(case).name for case in cases())
    assert files == known
