"""Why a search stopped where it did (the sweep page and GET /api/sweeps/{id} say it): its budget, the whole space,
its seconds, the sampler finding only duplicates, every point failing, or a cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.models import Sweep, SweepStatus
from backend.sweeps.service import why_stopped
from backend.sweeps.spec import SweepSpec
from tests.sweeps_support import SEARCH_DEMO_SPEC

START = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def _sweep(status: SweepStatus, done: int, failed: int = 0, seconds: float = 10.0) -> Sweep:
    return Sweep(status=status, done_points=done, failed_points=failed, total_points=done + failed,
                 started_at=START, finished_at=START + timedelta(seconds=seconds))


SPEC = SweepSpec.model_validate({**SEARCH_DEMO_SPEC, "budget": 1000, "budget_s": 60})
TINY = SweepSpec.model_validate({**SEARCH_DEMO_SPEC, "axes": {"rows": [8, 16]}, "scenarios": [{"seq_len": 128}],
                                 "budget": 10})


@pytest.mark.parametrize(("spec", "sweep", "says"), [
    (SPEC, _sweep(SweepStatus.RUNNING, 500), None),
    (SPEC, _sweep(SweepStatus.DONE, 990, 10), "its budget of 1,000 points was evaluated"),
    (TINY, _sweep(SweepStatus.DONE, 2), "the whole space was evaluated: all 2 points (the budget was 10)"),
    (SPEC, _sweep(SweepStatus.DONE, 400, seconds=61), "its time budget of 60 s ran out after 400 of 1,000 points"),
    (SPEC, _sweep(SweepStatus.DONE, 997, seconds=30), "the sampler proposed no new point after 997 of 1,000"),
    (SPEC, _sweep(SweepStatus.FAILED, 0, 30), "no point could be evaluated (30 failed"),
    (SPEC, _sweep(SweepStatus.CANCELLED, 120), "cancelled after 120 of 1,000 points"),
])
def test_a_finished_search_says_why_it_stopped(spec: SweepSpec, sweep: Sweep, says: str | None) -> None:
    stopped = why_stopped(sweep, spec)
    assert stopped == says if says is None else stopped.startswith(says), stopped
