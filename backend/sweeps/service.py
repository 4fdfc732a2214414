"""Sweeps: create (with its chunks, queued after commit), list, read, cancel, delete, and the progress a person sees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from backend.core.errors import Conflict, NotFound
from backend.core.settings import Settings
from backend.models import ACTIVE_STATUSES, FINAL_STATUSES, Sweep, SweepChunk, SweepStatus, utcnow
from backend.sweeps import annotations, jobs, search_store
from backend.sweeps.fingerprint import simulator_fingerprint
from backend.sweeps.spec import SweepSpec, check_size
from backend.sweeps.strategies import strategy_of

MIN_CHUNK_POINTS = 16  # a slow workload (LLM decode, ~20 points/s) still shows progress within seconds
MAX_CHUNK_POINTS = 5000
DEFAULT_POINTS_PER_S = 200.0  # one worker process, before any sweep has been measured


def estimate(spec: SweepSpec, settings: Settings) -> int:
    """Points the spec expands to; refuses specs above the cap (SweepTooLarge). Its names were checked when the
    spec was validated."""
    return check_size(spec, settings.max_sweep_points)


def workload_key(spec: Mapping[str, Any]) -> str:
    """What evaluation speed depends on most: the models, and whether they decode (one op row per decode group)."""
    decodes = any(scenario.get("generate_len") for scenario in spec.get("scenarios", [])) or \
        "generate_len" in spec.get("scenario_axes", {})
    return f"{','.join(sorted(spec.get('models', [])))}|{'decode' if decodes else 'single pass'}"


@dataclass(frozen=True)
class Speed:
    """Evaluation speed of one worker process for a spec, and where the figure comes from."""

    points_per_s: float
    source: str


def measured_speed(session: Session, spec: Mapping[str, Any] | None = None) -> Speed | None:
    """Points/s of one worker on recent sweeps of the same workload (models, decoding or not), else on any recent
    sweep; None before anything was measured."""
    recent = session.execute(select(Sweep.spec, Sweep.done_points + Sweep.failed_points, Sweep.compute_s)
                             .where(Sweep.compute_s > 0).order_by(Sweep.id.desc()).limit(50)).all()
    if spec is not None:
        key = workload_key(spec)
        same = [(points, seconds) for stored, points, seconds in recent if workload_key(stored) == key]
        if same:
            rate = sum(p for p, _ in same) / sum(t for _, t in same)
            return Speed(rate, f"measured on {len(same)} earlier sweep{'s' if len(same) > 1 else ''} of this "
                               f"workload ({key.replace('|', ', ')})")
    if recent[:20]:
        points = sum(p for _, p, _ in recent[:20])
        seconds = sum(t for _, _, t in recent[:20])
        return Speed(points / seconds, "measured on recent sweeps of other workloads")
    return None


def measured_search_speed(session: Session) -> Speed | None:
    """Points/s of earlier finished searches, over their wall time: a search waits for its driver between batches
    (Optuna's tell and ask), which the chunks' evaluation time (`measured_speed`) does not count."""
    rows = session.execute(select(Sweep.spec, Sweep.done_points + Sweep.failed_points, Sweep.started_at,
                                  Sweep.finished_at)
                           .where(Sweep.status == SweepStatus.DONE, Sweep.started_at.is_not(None),
                                  Sweep.finished_at.is_not(None))
                           .order_by(Sweep.id.desc()).limit(200)).all()
    searches = [(points, (_aware(end) - _aware(start)).total_seconds()) for stored, points, start, end in rows
                if stored.get("strategy") == "search"][:20]
    seconds = sum(s for _, s in searches)
    if not searches or seconds <= 0:
        return None
    return Speed(sum(p for p, _ in searches) / seconds,
                 f"measured on {len(searches)} earlier search{'es' if len(searches) > 1 else ''}, wall time from "
                 "start to end (evaluation and the driver's steps between batches)")


def chunk_size_for(session: Session, settings: Settings, spec: Mapping[str, Any] | None = None) -> int:
    """A chunk of about `chunk_target_s` seconds at the speed measured for this workload, within bounds."""
    if settings.chunk_size:
        return settings.chunk_size
    speed = measured_speed(session, spec)
    rate = speed.points_per_s if speed else DEFAULT_POINTS_PER_S
    return int(min(max(rate * settings.chunk_target_s, MIN_CHUNK_POINTS), MAX_CHUNK_POINTS))


def create_sweep(session: Session, spec: SweepSpec, settings: Settings) -> Sweep:
    """A queued sweep and its chunk rows; its work is queued on the session and sent when the caller commits."""
    total = estimate(spec, settings)
    strategy = strategy_of(spec)
    size, count = strategy.chunks_at_creation(spec, total, chunk_size_for(session, settings,
                                                                          spec.model_dump(mode="json")))
    sweep = Sweep(name=spec.name, owner=spec.owner or "anonymous", spec=spec.model_dump(mode="json"),
                  status=SweepStatus.QUEUED, total_points=total, done_points=0, failed_points=0, chunk_size=size,
                  chunk_count=count, chunks_done=0, chunks_failed=0, compute_s=0.0, created_at=utcnow(),
                  simulator_fingerprint=simulator_fingerprint())
    session.add(sweep)
    session.flush()
    if count:
        session.execute(SweepChunk.__table__.insert(), [
            {"sweep_id": sweep.id, "chunk_index": index, "start_index": index * size,
             "stop_index": min(total, (index + 1) * size), "status": "queued", "attempts": 0,
             "points_ok": 0, "points_failed": 0}
            for index in range(count)
        ])
    jobs.queue(session, *strategy.start(sweep.id, count))
    return sweep


@dataclass(frozen=True)
class SearchState:
    """A `search` sweep's sampler, budget and hypervolume per batch."""

    sampler: str
    budget: int
    budget_s: float | None
    batch_size: int
    study_name: str
    batches: list[dict[str, Any]]
    stopped: str | None = None


def search_state(session: Session, sweep: Sweep) -> SearchState | None:
    """The search driver's state (None for grid and random sweeps)."""
    spec = SweepSpec.stored(sweep.spec)
    if spec.strategy != "search":
        return None
    return SearchState(sampler=spec.sampler, budget=spec.budget or 0, budget_s=spec.budget_s,
                       batch_size=spec.search_batch_size(), study_name=search_store.study_name(sweep.id),
                       batches=search_store.hypervolume_history(session, sweep.id), stopped=why_stopped(sweep, spec))


def why_stopped(sweep: Sweep, spec: SweepSpec) -> str | None:
    """Why a finished search stopped where it did, read from its counters (the driver sets `total_points` to the
    points evaluated when it stops before its budget): budget, the whole space, time, the sampler, or cancelled."""
    if sweep.status in ACTIVE_STATUSES:
        return None
    finished = sweep.done_points + sweep.failed_points
    if sweep.status == SweepStatus.CANCELLED:
        return f"cancelled after {finished:,} of {spec.size():,} points"
    if not sweep.done_points:
        return f"no point could be evaluated ({sweep.failed_points:,} failed; the errors say why)"
    if finished >= spec.size():
        if spec.size() >= spec.grid_size():
            return f"the whole space was evaluated: all {spec.grid_size():,} points (the budget was {spec.budget:,})"
        return f"its budget of {spec.size():,} points was evaluated"
    started, ended = _aware(sweep.started_at), _aware(sweep.finished_at)
    if spec.budget_s is not None and started and ended and (ended - started).total_seconds() >= spec.budget_s:
        return (f"its time budget of {spec.budget_s:g} s ran out after {finished:,} of {spec.size():,} points (the "
                "running batch finished)")
    return (f"the sampler proposed no new point after {finished:,} of {spec.size():,}: every draw repeated a point "
            f"already evaluated (of {spec.grid_size():,} in the space), so more asking would only find duplicates")


def get_sweep(session: Session, sweep_id: int) -> Sweep:
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        raise NotFound(f"sweep {sweep_id} does not exist")
    return sweep


def list_sweeps(session: Session, limit: int = 100, offset: int = 0, status: SweepStatus | None = None,
                owner: str | None = None, tag: str | None = None, text: str | None = None) -> tuple[list[Sweep], int]:
    """Newest first; `tag` keeps the sweeps carrying it, `text` those whose name, tags or notes contain it."""
    query = select(Sweep)
    if status:
        query = query.where(Sweep.status == status)
    if owner:
        query = query.where(Sweep.owner == owner)
    if tag:
        query = query.where(annotations.has_tag(tag))
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(func.lower(column).like(pattern, escape="\\")
                                  for column in (Sweep.name, Sweep.tags, Sweep.notes))))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Sweep.id.desc()).limit(limit).offset(offset)).scalars().all()
    return list(rows), int(total)


def cancel_sweep(session: Session, sweep_id: int) -> Sweep:
    """Stops the remaining chunks: their tasks see the status and return without evaluating."""
    sweep = get_sweep(session, sweep_id)
    if sweep.status in FINAL_STATUSES:
        raise Conflict(f"sweep {sweep_id} is already {sweep.status}; only queued or running sweeps can be cancelled")
    now = utcnow()
    session.execute(update(Sweep).where(Sweep.id == sweep_id, Sweep.status.in_(ACTIVE_STATUSES))
                    .values(status=SweepStatus.CANCELLED, finished_at=now, updated_at=now))
    session.execute(update(SweepChunk).where(SweepChunk.sweep_id == sweep_id,
                                             SweepChunk.status == SweepStatus.QUEUED)
                    .values(status=SweepStatus.CANCELLED))
    session.refresh(sweep)
    return sweep


def delete_sweep(session: Session, sweep_id: int) -> None:
    sweep = get_sweep(session, sweep_id)
    if sweep.status not in FINAL_STATUSES:
        raise Conflict(f"sweep {sweep_id} is {sweep.status}; cancel it first (POST /api/sweeps/{sweep_id}/cancel)")
    strategy_of(sweep.spec).forget(session, sweep_id)  # first: nothing written yet (SQLite's lock is free)
    session.execute(delete(Sweep).where(Sweep.id == sweep_id))  # points and chunks go by ON DELETE CASCADE


@dataclass(frozen=True)
class Progress:
    finished_points: int
    fraction: float
    points_per_s: float | None
    eta_s: float | None
    elapsed_s: float | None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite returns naive UTC
        return moment.replace(tzinfo=UTC)
    return moment


def progress(sweep: Sweep) -> Progress:
    finished = sweep.done_points + sweep.failed_points
    fraction = finished / sweep.total_points if sweep.total_points else 1.0
    started, updated = _aware(sweep.started_at), _aware(sweep.finished_at or sweep.updated_at)
    elapsed = (updated - started).total_seconds() if started and updated else None
    rate = finished / elapsed if elapsed and elapsed > 0 and finished else None
    eta = None
    if sweep.status in ACTIVE_STATUSES and rate:
        eta = (sweep.total_points - finished) / rate
    elif sweep.status in FINAL_STATUSES:
        eta = 0.0
    return Progress(finished, fraction, rate, eta, elapsed)
