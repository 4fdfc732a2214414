"""Chunk tasks as plain functions on SQLite and PostgreSQL: idempotent writes, failing points, failed sweeps."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from backend.core.db import transaction
from backend.models import DesignPoint, Sweep, SweepChunk
from backend.sweeps.chunks import fail_chunk, insert_points, run_chunk
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from tests.sweeps_support import DEMO_SPEC

pytestmark = pytest.mark.redis  # the settings fixture names this run's Redis queue


def _create(session_factory, settings, spec: dict[str, Any]) -> int:
    with transaction(session_factory) as session:
        return create_sweep(session, SweepSpec.model_validate(spec), settings).id


def _sweep(session_factory, sweep_id: int) -> Sweep:
    with session_factory() as session:
        return session.get(Sweep, sweep_id)


def _rows(session_factory, sweep_id: int) -> int:
    with session_factory() as session:
        return session.execute(select(func.count()).select_from(DesignPoint)
                               .where(DesignPoint.sweep_id == sweep_id)).scalar_one()


def test_running_a_chunk_twice_writes_nothing_twice(session_factory, settings) -> None:
    sweep_id = _create(session_factory, settings, DEMO_SPEC)
    first = run_chunk(session_factory, sweep_id, 0)
    assert (first.status, first.inserted, first.points_ok) == ("done", 10, 10)
    assert run_chunk(session_factory, sweep_id, 0).reason == "chunk already done"
    # A redelivered task whose bookkeeping was lost: the points are recomputed identically and skipped.
    with transaction(session_factory) as session:
        session.execute(update(SweepChunk).where(SweepChunk.sweep_id == sweep_id, SweepChunk.chunk_index == 0)
                        .values(status="queued"))
        session.execute(update(Sweep).where(Sweep.id == sweep_id).values(done_points=0, chunks_done=0))
    again = run_chunk(session_factory, sweep_id, 0)
    assert (again.status, again.inserted, again.points_ok) == ("done", 0, 10)
    assert _rows(session_factory, sweep_id) == 10
    with transaction(session_factory) as session:  # the same rows inserted directly: ON CONFLICT DO NOTHING
        rows = [{"sweep_id": sweep_id, "point_index": i, "error": "direct", "breakdown": b"\x00\x01"}
                for i in range(5, 15)]
        assert insert_points(session, rows) == 5
    assert _rows(session_factory, sweep_id) == 15
    sweep = _sweep(session_factory, sweep_id)
    assert (sweep.status, sweep.done_points, sweep.chunks_done) == ("running", 10, 1)


def test_all_chunks_finish_the_sweep(session_factory, settings) -> None:
    sweep_id = _create(session_factory, settings, DEMO_SPEC)
    for index in range(4):
        assert run_chunk(session_factory, sweep_id, index).status == "done"
    sweep = _sweep(session_factory, sweep_id)
    assert (sweep.status, sweep.done_points, sweep.failed_points, sweep.error) == ("done", 36, 0, None)
    assert sweep.started_at is not None and sweep.finished_at is not None and sweep.compute_s > 0
    with session_factory() as session:
        keys = session.execute(select(DesignPoint.point_index).where(DesignPoint.sweep_id == sweep_id)).scalars()
        assert sorted(keys) == list(range(36))


def test_a_failing_point_records_its_error_and_the_sweep_goes_on(session_factory, settings) -> None:
    spec = {**DEMO_SPEC, "name": "some fail", "scenarios": [{"seq_len": 128}],
            "axes": {"softmax_on": ["accelerator"], "nonlinear_elements_per_cycle": [0, 4], "rows": [8, 16]}}
    sweep_id = _create(session_factory, settings, spec)
    assert run_chunk(session_factory, sweep_id, 0).points_failed == 2
    sweep = _sweep(session_factory, sweep_id)
    assert (sweep.status, sweep.done_points, sweep.failed_points) == ("done", 2, 2)
    assert "nonlinear_elements_per_cycle" in sweep.error
    with session_factory() as session:
        failed = session.execute(select(DesignPoint).where(DesignPoint.sweep_id == sweep_id,
                                                           DesignPoint.error.is_not(None))).scalars().all()
        assert len(failed) == 2 and all(p.latency_s is None and p.nonlinear_elements_per_cycle == 0 for p in failed)
        assert all("nonlinear_elements_per_cycle must be > 0" in p.error for p in failed)


def test_a_sweep_whose_every_chunk_failed_is_failed_with_the_first_error(
        session_factory, settings) -> None:
    spec = {**DEMO_SPEC, "name": "all fail",
            "axes": {"softmax_on": ["accelerator"], "nonlinear_elements_per_cycle": [0], "rows": [8, 16, 32, 64]}}
    sweep_id = _create(session_factory, settings, spec)  # 8 points: a chunk of 8 points
    with transaction(session_factory) as session:
        session.execute(update(Sweep).where(Sweep.id == sweep_id).values(chunk_count=2))
        session.execute(update(SweepChunk).where(SweepChunk.sweep_id == sweep_id).values(stop_index=4))
        session.add(SweepChunk(sweep_id=sweep_id, chunk_index=1, start_index=4, stop_index=8, status="queued",
                               attempts=0, points_ok=0, points_failed=0))
    assert run_chunk(session_factory, sweep_id, 0).status == "failed"
    assert _sweep(session_factory, sweep_id).status == "running"
    fail_chunk(session_factory, sweep_id, 1, "database error after 5 retries: OperationalError: gone")
    sweep = _sweep(session_factory, sweep_id)
    assert (sweep.status, sweep.chunks_failed, sweep.failed_points, sweep.done_points) == ("failed", 2, 8, 0)
    assert sweep.error.startswith("point 0: ") and "nonlinear_elements_per_cycle" in sweep.error


def test_random_points_are_seeded_and_stored_by_index(session_factory, settings) -> None:
    spec = {**DEMO_SPEC, "name": "random", "strategy": "random", "n_points": 12, "seed": 7,
            "axes": {"rows": {"start": 8, "stop": 64, "step": 8}, "clock_ghz": [0.5, 1.0, 2.0]}}
    sweep_id = _create(session_factory, settings, spec)
    for index in range(2):
        run_chunk(session_factory, sweep_id, index)
    with session_factory() as session:
        stored = session.execute(select(DesignPoint.point_index, DesignPoint.rows, DesignPoint.clock_ghz)
                                 .where(DesignPoint.sweep_id == sweep_id).order_by(DesignPoint.point_index)).all()
    expected = SweepSpec.model_validate(spec).points(0, 12)
    assert [(i, p.overrides["rows"], p.overrides["clock_ghz"]) for i, p in enumerate(expected)] == \
        [tuple(row) for row in stored]
