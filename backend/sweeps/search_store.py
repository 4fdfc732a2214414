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

import contextlib
import copy
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import numpy as np
import optuna
from optuna.storages._rdb import models as _rdb_models
from optuna.storages._rdb.storage import _create_scoped_session as _rdb_session
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import transaction
from backend.core.errors import shorten
from backend.models import ACTIVE_STATUSES, DesignPoint, SearchBatch, Sweep, SweepChunk, SweepStatus, utcnow
from backend.sweeps import jobs
from backend.sweeps.spec import RangeAxis, SweepSpec
from simulator.design_point import PointInputs
from simulator.pareto import pareto_mask
from simulator.search import IntAxis, Proposal, Search, hypervolume

log = logging.getLogger("dse.search")
_PARENTS = optuna.samplers.NSGAIISampler._get_parent_cache_key_prefix()

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


def delete_study(session: Session, sweep_id: int) -> None:
    """A search's Optuna study goes with its sweep (same database, Optuna's own tables)."""
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    with contextlib.suppress(KeyError):  # never started, or already deleted
        optuna.delete_study(study_name=study_name(sweep_id), storage=storage(url))


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


@dataclass(frozen=True)
class _Untold:
    """The last batch: all its chunks stored, its results not told to Optuna yet."""

    batch_id: int
    batch_index: int
    values: dict[int, list[float] | None]  # per trial it asked, in order; None: failed or not stored


@dataclass(frozen=True)
class _Progress:
    """What a step reads of its sweep, in one transaction, before it talks to Optuna."""

    spec: SweepSpec
    batch_count: int
    asked: int  # trials asked by every batch so far: the next batch's first position
    known: frozenset[int]  # those trials' numbers
    reference: list[float] | None  # the hypervolume's reference point, fixed by the first batch
    untold: _Untold | None


def search_step(factory: sessionmaker[Session], database_url: str, sweep_id: int, max_chunk: int) -> StepResult:
    """Tell the last batch, record its hypervolume, ask the next one (or finish). Safe to run any number of times.

    Steps: read the sweep (re-queue the chunks of a running batch never started, or wait), fail the trials lost by
    a step that died before storing its batch, tell the finished batch, check the budget, ask the next batch. Three
    transactions at most: the read, the told batch with the budget's verdict, the asked batch with its chunks (which
    are queued when it commits). Optuna's study is written between them, each write idempotent."""
    progress = _read_progress(factory, sweep_id)
    if isinstance(progress, StepResult):
        return progress
    stored = _StoredStudy.load(storage(database_url), sweep_id, progress.spec)
    stored.fail_lost_trials(progress.known)
    if progress.untold is not None:
        stored.tell(progress.untold)
    with transaction(factory) as session:
        if progress.untold is not None:
            _record_told(session, progress, sweep_id)
        finished = _check_budget(session, progress, sweep_id)
    return finished or _ask(factory, stored, progress, sweep_id, max_chunk)


def _insert_trials(rdb: optuna.storages.RDBStorage, study_id: int,
                   trials: list[optuna.trial.FrozenTrial]) -> list[tuple[int, int]]:
    """Stores `trials` in Optuna's tables in one transaction of a few bulk inserts (Optuna's `create_new_trial`
    takes a transaction and a few queries per parameter per trial: ~25 ms a trial, measured); numbered after the
    study's trials, its row locked as Optuna locks it so that concurrent steps number their trials apart."""
    with _rdb_session(rdb.scoped_session) as session:
        _rdb_models.StudyModel.find_or_raise_by_id(study_id, session, for_update=True)
        first = session.execute(select(func.count()).where(_rdb_models.TrialModel.study_id == study_id)).scalar_one()
        rows = []
        for offset, trial in enumerate(trials):
            row = _rdb_models.TrialModel(study_id=study_id, number=first + offset, state=trial.state,
                                         datetime_start=trial.datetime_start,
                                         datetime_complete=trial.datetime_complete)
            row.params = [_rdb_models.TrialParamModel(
                param_name=name, param_value=trial.distributions[name].to_internal_repr(value),
                distribution_json=optuna.distributions.distribution_to_json(trial.distributions[name]))
                for name, value in trial.params.items()]
            row.values = [_rdb_models.TrialValueModel(objective=objective, value=stored, value_type=kind)
                          for objective, (stored, kind) in enumerate(
                              _rdb_models.TrialValueModel.value_to_stored_repr(v) for v in trial.values or ())]
            row.system_attributes = [_rdb_models.TrialSystemAttributeModel(key=k, value_json=json.dumps(v))
                                     for k, v in trial.system_attrs.items()]
            row.user_attributes = [_rdb_models.TrialUserAttributeModel(key=k, value_json=json.dumps(v))
                                   for k, v in trial.user_attrs.items()]
            rows.append(row)
        session.add_all(rows)
        session.flush()
        return [(row.trial_id, row.number) for row in rows]  # (trial id, number)


def _adopt_trials(study: optuna.Study, trials: list[optuna.trial.FrozenTrial]) -> None:
    """Adds `trials` to an in-memory study as `Study.add_trials` does, with a shallow copy of each (renumbered)
    instead of its deep copy and validation: measured, those took half of a step's time at a thousand trials. The
    sampler writes only to the trials it asks, so sharing the stored trials' dictionaries is safe."""
    memory = study._storage
    assert isinstance(memory, optuna.storages.InMemoryStorage)
    info = memory._studies[study._study_id]
    for stored in trials:
        trial = copy.copy(stored)
        memory._max_trial_id += 1
        trial.number, trial._trial_id = len(info.trials), memory._max_trial_id
        memory._trial_id_to_study_id_and_number[trial._trial_id] = (study._study_id, trial.number)
        info.trials.append(trial)
        info.param_distribution.update(trial.distributions)
        memory._update_cache(trial._trial_id, study._study_id)


def _finish_trials(rdb: optuna.storages.RDBStorage, told: dict[int, list[float] | None]) -> None:
    """Running trials (by id) told their values (None: failed), in one transaction; a trial finished meanwhile (by
    a concurrent run of the step) is left as it is."""
    if not told:
        return
    with _rdb_session(rdb.scoped_session) as session:
        rows = session.execute(select(_rdb_models.TrialModel).where(
            _rdb_models.TrialModel.trial_id.in_(list(told)),
            _rdb_models.TrialModel.state == optuna.trial.TrialState.RUNNING).with_for_update()).scalars()
        now = datetime.now()
        for row in rows:
            values = told[row.trial_id]
            row.state = optuna.trial.TrialState.FAIL if values is None else optuna.trial.TrialState.COMPLETE
            row.datetime_complete = now
            row.values = [_rdb_models.TrialValueModel(objective=objective, value=stored, value_type=kind)
                          for objective, (stored, kind) in enumerate(
                              _rdb_models.TrialValueModel.value_to_stored_repr(v) for v in values or ())]


def _read_progress(factory: sessionmaker[Session], sweep_id: int) -> _Progress | StepResult:
    """The sweep's batches and the values of the batch to tell; marks the sweep running. A step that finds its last
    batch still being evaluated has nothing to tell or ask: it re-queues that batch's orphans and waits."""
    with transaction(factory) as session:
        sweep = session.get(Sweep, sweep_id)
        if sweep is None or sweep.status not in ACTIVE_STATUSES:
            return StepResult("skipped", reason="sweep gone" if sweep is None else f"sweep {sweep.status}")
        spec = SweepSpec.stored(sweep.spec)
        batches = list(session.execute(select(SearchBatch).where(SearchBatch.sweep_id == sweep_id)
                                       .order_by(SearchBatch.batch_index)).scalars())
        last = batches[-1] if batches else None
        if last is not None and last.chunks_left > 0:
            return _requeue_orphans(session, sweep_id, last)
        now = utcnow()
        session.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status == SweepStatus.QUEUED)
                        .values(status=SweepStatus.RUNNING, started_at=now, updated_at=now))
        untold = None
        if last is not None and last.status != "told":
            numbers = [int(number) for number, _ in last.trials]
            stored = _stored_values(session, spec, sweep_id, numbers)
            untold = _Untold(last.id, last.batch_index, {number: stored.get(number) for number in numbers})
        return _Progress(spec, len(batches), sum(len(batch.trials) for batch in batches),
                         frozenset(int(number) for batch in batches for number, _ in batch.trials),
                         batches[0].reference if batches else None, untold)


def _requeue_orphans(session: Session, sweep_id: int, running: SearchBatch) -> StepResult:
    """Queues again the chunks of the running batch that never started (the step that created them was killed
    before the broker had them); a chunk queued twice runs once."""
    never = list(session.execute(select(SweepChunk.chunk_index).where(
        SweepChunk.sweep_id == sweep_id, SweepChunk.status == SweepStatus.QUEUED, SweepChunk.attempts == 0,
        SweepChunk.start_index >= running.first_position).order_by(SweepChunk.chunk_index)).scalars())
    jobs.queue(session, *jobs.run_chunks(sweep_id, never))
    return StepResult("waiting", running.batch_index, never)


@dataclass
class _StoredStudy:
    """The sweep's study in Optuna's RDB storage, read once per step.

    Optuna's samplers query the storage on every suggestion (the NSGA-II sampler re-reads the study's trials for
    each parameter), which against RDB storage is a few SQL transactions each: measured, ~96 % of a search's wall
    time. So a step reads the stored trials once, lets the sampler work on an in-memory copy, and writes back only
    the trials it added, one transaction each (`write_back`)."""

    storage: optuna.storages.BaseStorage
    study_id: int
    trials: list[optuna.trial.FrozenTrial]

    @classmethod
    def load(cls, storage: optuna.storages.BaseStorage, sweep_id: int, spec: SweepSpec) -> _StoredStudy:
        study = optuna.create_study(storage=storage, study_name=study_name(sweep_id), load_if_exists=True,
                                    directions=["minimize" if d == "min" else "maximize" for d in spec.directions()])
        return cls(storage, study._study_id, list(storage.get_all_trials(study._study_id, deepcopy=False)))

    @property
    def rdb(self) -> optuna.storages.RDBStorage:
        rdb = self.storage._backend if isinstance(self.storage, optuna.storages._CachedStorage) else self.storage
        assert isinstance(rdb, optuna.storages.RDBStorage)
        return rdb

    def fail_lost_trials(self, known: frozenset[int]) -> None:
        """Trials asked by a step that died before storing its batch are never evaluated: they failed."""
        _finish_trials(self.rdb, {t._trial_id: None for t in self.trials
                                  if t.state == optuna.trial.TrialState.RUNNING and t.number not in known})

    def tell(self, untold: _Untold) -> None:
        """Each trial of the batch its stored values (a point failed or never stored: a failed trial); a trial told
        by an earlier run of this step is skipped."""
        running = {t.number: t._trial_id for t in self.trials if t.state == optuna.trial.TrialState.RUNNING}
        _finish_trials(self.rdb, {running[number]: values for number, values in untold.values.items()
                                  if number in running})

    def search(self, progress: _Progress) -> tuple[Search, dict[int, int]]:
        """An in-memory study holding the stored finished trials, with a sampler seeded for the next batch; and the
        stored trial id of each in-memory one."""
        spec = progress.spec
        search = Search(search_space(spec), spec.directions(), sampler=spec.sampler,
                        seed=(spec.seed * 1_000_003 + progress.batch_count) % 2**32,
                        population_size=max(2, spec.search_batch_size()))
        self.trials = list(self.storage.get_all_trials(self.study_id, deepcopy=False))
        finished = [t for t in self.trials if t.state != optuna.trial.TrialState.RUNNING]
        _adopt_trials(search.study, finished)
        stored_id = {m._trial_id: t._trial_id for m, t in zip(search.study.get_trials(deepcopy=False), finished,
                                                               strict=True)}
        memory_id = {v: k for k, v in stored_id.items()}
        for key, value in self.storage.get_study_system_attrs(self.study_id).items():
            if key.startswith(_PARENTS):  # NSGA-II's parents of a generation, by trial id
                value = [memory_id[i] for i in value if i in memory_id]
            search.study._storage.set_study_system_attr(search.study._study_id, key, value)
        return search, stored_id

    def write_back(self, search: Search, stored_id: dict[int, int], proposals: list[Proposal]) -> list[Proposal]:
        """Stores the trials `search` added (its proposals running, its repeated or illegal draws finished) and the
        sampler's new study attributes; returns the proposals numbered as stored (a concurrent step may have
        stored trials meanwhile)."""
        added = search.study.get_trials(deepcopy=False)[len(stored_id):]
        numbers: dict[int, int] = {}
        for trial, (trial_id, number) in zip(added, _insert_trials(self.rdb, self.study_id, added), strict=True):
            stored_id[trial._trial_id] = trial_id
            numbers[trial.number] = number
        known = self.storage.get_study_system_attrs(self.study_id)
        for key, value in search.study._storage.get_study_system_attrs(search.study._study_id).items():
            if key not in known:
                self.storage.set_study_system_attr(
                    self.study_id, key, [stored_id[i] for i in value] if key.startswith(_PARENTS) else value)
        return [Proposal(numbers[p.number], p.params) for p in proposals]

    def fail(self, proposals: list[Proposal]) -> None:
        """The proposals of a batch another step stored first: never evaluated."""
        numbers = {p.number for p in proposals}
        _finish_trials(self.rdb, {t._trial_id: None for t in self.storage.get_all_trials(self.study_id, deepcopy=False)
                                  if t.number in numbers and t.state == optuna.trial.TrialState.RUNNING})


def _record_told(session: Session, progress: _Progress, sweep_id: int) -> None:
    """The told batch's row: its status, the hypervolume of everything stored so far and the reference point."""
    assert progress.untold is not None
    hv, front, reference = _hypervolume(session, progress.spec, sweep_id, progress.reference)
    session.execute(update(SearchBatch).where(SearchBatch.id == progress.untold.batch_id).values(
        status="told", hypervolume=hv, front_size=front, reference=reference, finished_at=utcnow()))
    log.info("search sweep %d batch %d: hypervolume %.6g, front %d", sweep_id, progress.untold.batch_index, hv,
             front)


def _check_budget(session: Session, progress: _Progress, sweep_id: int) -> StepResult | None:
    """Finishes the sweep once its points are all asked, or its seconds spent (after one batch, however short)."""
    sweep = session.get(Sweep, sweep_id)
    assert sweep is not None
    reason = None
    if progress.spec.size() - progress.asked <= 0:
        reason = "budget"
    elif (progress.spec.budget_s is not None and progress.batch_count and sweep.started_at is not None
          and _seconds_since(sweep.started_at) >= progress.spec.budget_s):
        reason = "time budget"
    if reason is None:
        return None
    _finish_sweep(session, sweep_id, reason)
    return StepResult("finished", reason=reason)


def _seconds_since(moment: datetime) -> float:
    """Seconds from `moment` (stored naive on SQLite: UTC) to now."""
    return (utcnow() - (moment if moment.tzinfo else moment.replace(tzinfo=UTC))).total_seconds()


def _ask(factory: sessionmaker[Session], stored: _StoredStudy, progress: _Progress, sweep_id: int,
         max_chunk: int) -> StepResult:
    """Asks the next batch of points never evaluated and stores it with its chunks; none left: the search has
    converged. Of two steps that ask the same batch only one stores it (unique (sweep, batch)): the other fails the
    trials it asked."""
    search, stored_id = stored.search(progress)
    search.remember_evaluated()
    proposals = search.ask(min(progress.spec.search_batch_size(), progress.spec.size() - progress.asked))
    if not proposals:
        with transaction(factory) as session:
            _finish_sweep(session, sweep_id, "converged")
        return StepResult("finished", reason="converged")
    proposals = stored.write_back(search, stored_id, proposals)
    try:
        with transaction(factory) as session:
            chunk_indices = _store_batch(session, sweep_id, progress, proposals, max_chunk)
    except IntegrityError:  # another step asked this batch first
        stored.fail(proposals)
        return StepResult("skipped", reason="batch asked by another step")
    log.info("search sweep %d batch %d: %d points in %d chunks", sweep_id, progress.batch_count, len(proposals),
             len(chunk_indices))
    return StepResult("asked", progress.batch_count, chunk_indices)


def _store_batch(session: Session, sweep_id: int, progress: _Progress, proposals: list[Proposal],
                 max_chunk: int) -> list[int]:
    """The batch's row and its chunks (split so that several workers evaluate it), queued when the session commits;
    returns the chunks' indices."""
    size = len(proposals)
    per_chunk = max(1, min(max_chunk, math.ceil(size / CHUNKS_PER_BATCH)))
    bounds = [(start, min(size, start + per_chunk)) for start in range(0, size, per_chunk)]
    first_chunk = session.execute(select(Sweep.chunk_count).where(Sweep.id == sweep_id)).scalar_one()
    session.add(SearchBatch(sweep_id=sweep_id, batch_index=progress.batch_count, first_position=progress.asked,
                            trials=[[p.number, p.params] for p in proposals], chunks_left=len(bounds),
                            status="running", created_at=utcnow()))
    session.flush()
    session.execute(SweepChunk.__table__.insert(), [
        {"sweep_id": sweep_id, "chunk_index": first_chunk + i, "start_index": progress.asked + start,
         "stop_index": progress.asked + stop, "status": SweepStatus.QUEUED, "attempts": 0, "points_ok": 0,
         "points_failed": 0}
        for i, (start, stop) in enumerate(bounds)])
    session.execute(update(Sweep).where(Sweep.id == sweep_id).values(
        chunk_count=Sweep.chunk_count + len(bounds), chunk_size=per_chunk, updated_at=utcnow()))
    indices = list(range(first_chunk, first_chunk + len(bounds)))
    jobs.queue(session, *jobs.run_chunks(sweep_id, indices))
    return indices


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
