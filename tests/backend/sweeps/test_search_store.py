"""The search driver's steps as plain functions (no broker): idempotent steps and retried chunks, time budget."""

from __future__ import annotations

import optuna
from sqlalchemy import func, select

from backend.core.db import transaction
from backend.models import DesignPoint, SearchBatch, Sweep
from backend.sweeps.chunks import run_chunk
from backend.sweeps.jobs import RUN_CHUNK_TASK, SEARCH_STEP_TASK
from backend.sweeps.search_store import search_step, storage, study_name
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from tests.sweeps_support import SEARCH_DEMO_SPEC, queued_tasks


def _create(session_factory, settings, **fields) -> int:
    with transaction(session_factory) as session:
        spec = SweepSpec.model_validate({**SEARCH_DEMO_SPEC, **fields})
        return create_sweep(session, spec, settings).id


def test_steps_and_chunks_are_idempotent(session_factory, settings) -> None:
    sweep_id = _create(session_factory, settings, budget=12, batch_size=6)
    url = settings.sqlalchemy_url
    assert queued_tasks(settings) == [(SEARCH_STEP_TASK, [sweep_id])]  # creating it queued its first step
    first = search_step(session_factory, url, sweep_id, max_chunk=10)
    assert first.status == "asked" and first.batch_index == 0 and len(first.chunk_indices) == 3  # 2 points each
    again = search_step(session_factory, url, sweep_id, max_chunk=10)  # a redelivered step: asks nothing new
    assert again.status == "waiting" and again.chunk_indices == first.chunk_indices  # never started: queued again
    chunk_jobs = [(RUN_CHUNK_TASK, [sweep_id, index]) for index in first.chunk_indices]
    assert queued_tasks(settings)[1:] == chunk_jobs + chunk_jobs
    steps = []
    for index in first.chunk_indices:
        run_chunk(session_factory, sweep_id, index)
        steps.append(queued_tasks(settings).count((SEARCH_STEP_TASK, [sweep_id])) - 1)
    assert steps == [0, 0, 1], "exactly one chunk completes the batch, and it queues the next step"
    retried = run_chunk(session_factory, sweep_id, first.chunk_indices[0])  # a redelivered chunk writes nothing
    assert retried.status == "skipped" and retried.inserted == 0
    assert queued_tasks(settings).count((SEARCH_STEP_TASK, [sweep_id])) == 3, "batch untold: its step queued again"
    second = search_step(session_factory, url, sweep_id, max_chunk=10)
    assert second.status == "asked" and second.batch_index == 1
    run_chunk(session_factory, sweep_id, first.chunk_indices[0])  # its batch told: a redelivery queues no step
    assert queued_tasks(settings).count((SEARCH_STEP_TASK, [sweep_id])) == 3
    for index in second.chunk_indices:
        run_chunk(session_factory, sweep_id, index)
    assert search_step(session_factory, url, sweep_id, max_chunk=10).status == "finished"
    assert search_step(session_factory, url, sweep_id, max_chunk=10).status == "skipped"  # already done
    with session_factory() as session:
        sweep = session.get(Sweep, sweep_id)
        assert sweep is not None and (sweep.status, sweep.done_points + sweep.failed_points) == ("done", 12)
        stored = session.execute(select(func.count()).select_from(DesignPoint).where(
            DesignPoint.sweep_id == sweep_id)).scalar_one()
        batches = session.execute(select(SearchBatch).where(SearchBatch.sweep_id == sweep_id)
                                  .order_by(SearchBatch.batch_index)).scalars().all()
    assert stored == 12 and [b.status for b in batches] == ["told", "told"]
    assert batches[0].reference == batches[1].reference and batches[1].hypervolume >= batches[0].hypervolume
    study = optuna.load_study(study_name=study_name(sweep_id), storage=storage(url))
    numbers = {int(n) for b in batches for n, _ in b.trials}
    told = {t.number for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)) if not t.user_attrs}
    assert numbers == told


def test_a_time_budget_stops_after_the_running_batch(session_factory, settings) -> None:
    sweep_id = _create(session_factory, settings, budget=100, batch_size=5, budget_s=0.001)
    url = settings.sqlalchemy_url
    first = search_step(session_factory, url, sweep_id, max_chunk=10)
    for index in first.chunk_indices:
        run_chunk(session_factory, sweep_id, index)
    assert search_step(session_factory, url, sweep_id, max_chunk=10).reason == "time budget"
    with session_factory() as session:
        sweep = session.get(Sweep, sweep_id)
        assert sweep is not None and sweep.status == "done" and sweep.total_points == sweep.done_points == 5


def test_a_step_that_died_after_asking_or_telling_is_made_good_by_the_next(session_factory, settings) -> None:
    """Optuna's study is written between the step's transactions: trials asked by a step killed before it stored
    its batch are failed, and a batch told by a step killed before it recorded that is told once."""
    sweep_id = _create(session_factory, settings, budget=12, batch_size=6)
    url = settings.sqlalchemy_url
    first = search_step(session_factory, url, sweep_id, max_chunk=10)
    for index in first.chunk_indices:
        run_chunk(session_factory, sweep_id, index)
    study = optuna.load_study(study_name=study_name(sweep_id), storage=storage(url))
    with session_factory() as session:
        (batch,) = session.execute(select(SearchBatch).where(SearchBatch.sweep_id == sweep_id)).scalars()
    for number, _ in batch.trials:  # a step told the batch, then died before recording it
        study.tell(int(number), [1.0, 1.0])
    lost = [study.ask().number for _ in range(2)]  # a step asked, then died before storing its batch
    second = search_step(session_factory, url, sweep_id, max_chunk=10)
    assert second.status == "asked" and second.batch_index == 1
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    assert [trials[n].state for n in lost] == [optuna.trial.TrialState.FAIL] * 2
    assert all(trials[int(n)].values == [1.0, 1.0] for n, _ in batch.trials), "told once: the first tell stands"
    with session_factory() as session:
        told = session.get(SearchBatch, batch.id)
        asked = session.execute(select(SearchBatch.trials).where(
            SearchBatch.sweep_id == sweep_id, SearchBatch.batch_index == 1)).scalar_one()
    assert told is not None and told.status == "told" and told.hypervolume is not None
    assert not {int(n) for n, _ in asked} & set(lost)
