"""Strategy `search`: Optuna ask/tell over batches, each batch evaluated by the workers as ordinary chunks.

`search_step(sweep)` is the driver, run as a Celery task and queued again once per batch (by the chunk that
completes a batch, in the transaction that stores it), so no process has to stay alive:

1. tell Optuna the stored results of the last batch (idempotent: finished trials are skipped), and record the
   hypervolume of everything stored so far on the batch row (one reference point per sweep, fixed by the first
   batch, so the hypervolume never decreases);
2. stop when the budget (points or seconds) is spent or the sampler has converged;
3. otherwise ask the next batch and store it with its chunks in one transaction; the unique (sweep, batch) key
   lets only one of two concurrent steps win (the loser fails its asked trials).

A batch's point has `point_index` = its Optuna trial number, so a retried chunk writes nothing twice. The study
lives in the service database (Optuna's RDB storage, study `sweep-<id>`), so a restarted or killed worker loses
nothing: every step starts from what the database holds.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC
from functools import cache
from typing import Any

import numpy as np
import optuna
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import transaction
from backend.core.errors import shorten
from backend.models import ACTIVE_STATUSES, DesignPoint, SearchBatch, Sweep, SweepChunk, SweepStatus, utcnow
from backend.sweeps import jobs
from backend.sweeps.spec import RangeAxis, SweepSpec
from simulator.design_point import PointInputs
from simulator.pareto import pareto_mask
from simulator.search import IntAxis, Search, hypervolume

log = logging.getLogger("dse.search")

CHUNKS_PER_BATCH = 4  # a batch is split so that several worker processes evaluate it in parallel
REFERENCE_MARGIN = 1.1  # the reference point: the first batch's worst value of each objective, 10 % beyond


def study_name(sweep_id: int) -> str:
    return f"sweep-{sweep_id}"


@cache
def storage(url: str) -> optuna.storages.BaseStorage:
    """Optuna's storage on the service database (its tables come from our migration 0005), with Optuna's own
    cache of finished trials in front (as `optuna.storages.get_storage` does for a URL)."""
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 60}
    rdb = optuna.storages.RDBStorage(url, engine_kwargs=kwargs, skip_compatibility_check=True,
                                     skip_table_creation=True)
    return optuna.storages._CachedStorage(rdb)


def search_space(spec: SweepSpec) -> dict[str, Any]:
    """One Optuna parameter per dimension (named by its key): integral ranges as stepped ints, the rest categorical."""
    space: dict[str, Any] = {}
    for dimension in spec.dimensions():
        axis = dimension.axis
        if isinstance(axis, RangeAxis) and axis.count() > 1 and axis.integral:
            space[dimension.key] = IntAxis(int(axis.value(0)), int(axis.value(axis.count() - 1)), int(axis.step))
        else:
            space[dimension.key] = dimension.values()
    return space


def chunk_points(session: Session, spec: SweepSpec, sweep_id: int, start: int,
                 stop: int) -> list[tuple[int, PointInputs]]:
    """The points at positions [start, stop) of a search sweep (a chunk lies inside one batch), keyed by their
    trial numbers."""
    batch = session.execute(select(SearchBatch).where(
        SearchBatch.sweep_id == sweep_id, SearchBatch.first_position <= start)
        .order_by(SearchBatch.first_position.desc()).limit(1)).scalar_one()
    trials = batch.trials[start - batch.first_position: stop - batch.first_position]
    return [(int(number), spec.point_of(params)) for number, params in trials]


def trial(session: Session, spec: SweepSpec, sweep_id: int, number: int) -> tuple[int, PointInputs] | None:
    """(position in the sweep's sequence, inputs) of one asked trial; None when no batch asked it."""
    for batch in session.execute(select(SearchBatch).where(SearchBatch.sweep_id == sweep_id)
                                 .order_by(SearchBatch.batch_index)).scalars():
        for offset, (asked, params) in enumerate(batch.trials):
            if int(asked) == number:
                return batch.first_position + offset, spec.point_of(params)
    return None


def chunk_finished(session: Session, sweep_id: int, start: int) -> bool:
    """Counts a finished chunk on its batch; True for the chunk that completes the batch (exactly one)."""
    batch_id = session.execute(select(SearchBatch.id).where(
        SearchBatch.sweep_id == sweep_id, SearchBatch.first_position <= start)
        .order_by(SearchBatch.first_position.desc()).limit(1)).scalar_one()
    session.execute(update(SearchBatch).where(SearchBatch.id == batch_id)
                    .values(chunks_left=SearchBatch.chunks_left - 1))
    return session.execute(select(SearchBatch.chunks_left).where(SearchBatch.id == batch_id)).scalar_one() <= 0


def batch_complete(session: Session, sweep_id: int) -> bool:
    """The last batch has all its chunks stored but was not told yet (a step is due)."""
    last = session.execute(select(SearchBatch).where(SearchBatch.sweep_id == sweep_id)
                           .order_by(SearchBatch.batch_index.desc()).limit(1)).scalar_one_or_none()
    return last is not None and last.chunks_left <= 0 and last.status != "told"


def _stored_values(session: Session, spec: SweepSpec, sweep_id: int,
                   numbers: list[int] | None = None) -> dict[int, list[float] | None]:
    columns = [getattr(DesignPoint, name) for name in spec.objectives]
    query = select(DesignPoint.point_index, DesignPoint.error, *columns).where(DesignPoint.sweep_id == sweep_id)
    if numbers is not None:
        query = query.where(DesignPoint.point_index.in_(numbers))
    values: dict[int, list[float] | None] = {}
    for index, error, *row in session.execute(query):
        ok = error is None and all(v is not None and math.isfinite(float(v)) for v in row)
        values[int(index)] = [float(v) for v in row] if ok else None
    return values


@dataclass
class StepResult:
    status: str  # asked | finished | waiting | skipped
    batch_index: int | None = None
    chunk_indices: list[int] = field(default_factory=list)
    reason: str = ""


def _finish_sweep(session: Session, sweep_id: int, reason: str) -> None:
    sweep = session.get(Sweep, sweep_id)
    assert sweep is not None
    finished = sweep.done_points + sweep.failed_points
    now = utcnow()
    session.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status.in_(ACTIVE_STATUSES)).values(
        status=SweepStatus.DONE if sweep.done_points > 0 else SweepStatus.FAILED, finished_at=now, updated_at=now,
        total_points=finished if reason != "budget" else Sweep.total_points,
        error=Sweep.error if sweep.done_points > 0 else (sweep.error or "no point of the search evaluated")))
    log.info("search sweep %d finished (%s): %d points", sweep_id, reason, finished)


def _hypervolume(session: Session, spec: SweepSpec, sweep_id: int,
                 reference: list[float] | None) -> tuple[float, int, list[float] | None]:
    rows = [v for v in _stored_values(session, spec, sweep_id).values() if v is not None]
    if not rows:
        return 0.0, 0, reference
    values = np.asarray(rows, dtype=np.float64)
    maximize = [d == "max" for d in spec.directions()]
    if reference is None:
        worst = np.where(maximize, values.min(axis=0), values.max(axis=0))
        reference = [float(w / REFERENCE_MARGIN if m else w * REFERENCE_MARGIN) if w > 0 else
                     float(w * REFERENCE_MARGIN if m else w / REFERENCE_MARGIN) if w < 0 else (-1e-12 if m else 1e-12)
                     for w, m in zip(worst, maximize, strict=True)]
    signed = np.where(maximize, -values, values)
    front = int(pareto_mask(signed).sum())
    return hypervolume(values, reference, maximize), front, reference


def search_step(factory: sessionmaker[Session], database_url: str, sweep_id: int, max_chunk: int) -> StepResult:
    """Tell the last batch, record its hypervolume, ask the next one (or finish). Safe to run any number of times.

    The chunks it creates (or finds never started) are queued in the transaction that records them."""
    with transaction(factory) as session:
        sweep = session.get(Sweep, sweep_id)
        if sweep is None or sweep.status not in ACTIVE_STATUSES:
            return StepResult("skipped", reason="sweep gone" if sweep is None else f"sweep {sweep.status}")
        spec = SweepSpec.stored(sweep.spec)
        batches = list(session.execute(select(SearchBatch).where(SearchBatch.sweep_id == sweep_id)
                                       .order_by(SearchBatch.batch_index)).scalars())
        last = batches[-1] if batches else None
        if last is not None and last.chunks_left > 0:
            # Still being evaluated; chunks never started (a step killed before it queued them) are queued again.
            never = list(session.execute(select(SweepChunk.chunk_index).where(
                SweepChunk.sweep_id == sweep_id, SweepChunk.status == SweepStatus.QUEUED, SweepChunk.attempts == 0,
                SweepChunk.start_index >= last.first_position).order_by(SweepChunk.chunk_index)).scalars())
            jobs.queue(session, *jobs.run_chunks(sweep_id, never))
            return StepResult("waiting", last.batch_index, never)
        known = {int(number) for batch in batches for number, _ in batch.trials}
        reference = batches[0].reference if batches else None
        started = sweep.started_at
        now = utcnow()
        session.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status == SweepStatus.QUEUED)
                        .values(status=SweepStatus.RUNNING, started_at=now, updated_at=now))

    search = Search(search_space(spec), spec.directions(), sampler=spec.sampler,
                    seed=(spec.seed * 1_000_003 + len(batches)) % 2**32,
                    population_size=max(2, spec.search_batch_size()), storage=storage(database_url),
                    study_name=study_name(sweep_id))
    study = search.study
    trials = study.get_trials(deepcopy=False)
    for trial in trials:  # asked by a step that died before storing its batch: never evaluated
        if trial.state == optuna.trial.TrialState.RUNNING and trial.number not in known:
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)

    if last is not None and last.status != "told":
        numbers = [int(number) for number, _ in last.trials]
        with factory() as session:
            values = _stored_values(session, spec, sweep_id, numbers)
        for number in numbers:
            told = values.get(number)
            if told is None:
                study.tell(number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
            else:
                study.tell(number, told, skip_if_finished=True)
        with transaction(factory) as session:
            hv, front, reference = _hypervolume(session, spec, sweep_id, reference)
            session.execute(update(SearchBatch).where(SearchBatch.id == last.id).values(
                status="told", hypervolume=hv, front_size=front, reference=reference, finished_at=utcnow()))
        log.info("search sweep %d batch %d: hypervolume %.6g, front %d", sweep_id, last.batch_index, hv, front)

    with transaction(factory) as session:
        sweep = session.get(Sweep, sweep_id)
        assert sweep is not None
        asked = sum(len(batch.trials) for batch in batches)
        remaining = spec.size() - asked
        if remaining <= 0:
            _finish_sweep(session, sweep_id, "budget")
            return StepResult("finished", reason="budget")
        begun = started or sweep.started_at
        if begun is not None and begun.tzinfo is None:
            begun = begun.replace(tzinfo=UTC)
        if (spec.budget_s is not None and batches and begun is not None
                and (utcnow() - begun).total_seconds() >= spec.budget_s):  # at least one batch, however short
            _finish_sweep(session, sweep_id, "time budget")
            return StepResult("finished", reason="time budget")

    # Points already evaluated (by any step) are not proposed again: the search core tells them their values.
    space_names = list(search.space)
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if all(name in trial.params for name in space_names):
            search._known.setdefault(tuple(trial.params[name] for name in space_names), (list(trial.values), []))
    proposals = search.ask(min(spec.search_batch_size(), remaining))
    if not proposals:
        with transaction(factory) as session:
            _finish_sweep(session, sweep_id, "converged")
        return StepResult("finished", reason="converged")

    batch_index = len(batches)
    size = len(proposals)
    per_chunk = max(1, min(max_chunk, math.ceil(size / CHUNKS_PER_BATCH)))
    try:
        with transaction(factory) as session:
            first_chunk = session.execute(select(Sweep.chunk_count).where(Sweep.id == sweep_id)).scalar_one()
            bounds = [(start, min(size, start + per_chunk)) for start in range(0, size, per_chunk)]
            session.add(SearchBatch(sweep_id=sweep_id, batch_index=batch_index, first_position=asked,
                                    trials=[[p.number, p.params] for p in proposals], chunks_left=len(bounds),
                                    status="running", created_at=utcnow()))
            session.flush()
            session.execute(SweepChunk.__table__.insert(), [
                {"sweep_id": sweep_id, "chunk_index": first_chunk + i, "start_index": asked + start,
                 "stop_index": asked + stop, "status": SweepStatus.QUEUED, "attempts": 0, "points_ok": 0,
                 "points_failed": 0}
                for i, (start, stop) in enumerate(bounds)])
            session.execute(update(Sweep).where(Sweep.id == sweep_id).values(
                chunk_count=Sweep.chunk_count + len(bounds), chunk_size=per_chunk, updated_at=utcnow()))
            jobs.queue(session, *jobs.run_chunks(sweep_id, list(range(first_chunk, first_chunk + len(bounds)))))
    except IntegrityError:  # another step asked this batch first
        for proposal in proposals:
            study.tell(proposal.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
        return StepResult("skipped", reason="batch asked by another step")
    log.info("search sweep %d batch %d: %d points in %d chunks", sweep_id, batch_index, size, len(bounds))
    return StepResult("asked", batch_index, list(range(first_chunk, first_chunk + len(bounds))))


def fail_search(factory: sessionmaker[Session], sweep_id: int, error: str) -> None:
    now = utcnow()
    with transaction(factory) as session:
        session.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status.in_(ACTIVE_STATUSES))
                        .values(status=SweepStatus.FAILED, error=shorten(error), finished_at=now, updated_at=now))


def hypervolume_history(session: Session, sweep_id: int) -> list[dict[str, Any]]:
    """Per batch: its index, points, hypervolume and front size once told (for the API and the dashboard)."""
    rows = session.execute(select(SearchBatch).where(SearchBatch.sweep_id == sweep_id)
                           .order_by(SearchBatch.batch_index)).scalars()
    history = []
    total = 0
    for batch in rows:
        total += len(batch.trials)
        history.append({"batch": batch.batch_index, "points": len(batch.trials), "cumulative_points": total,
                         "hypervolume": batch.hypervolume, "front_size": batch.front_size,
                         "status": batch.status})
    return history
