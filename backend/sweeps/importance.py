"""Which knob drives an objective: the share of its variance each varied parameter explains, over a sweep's points.

Optuna's fANOVA evaluator (a random forest fitted to the points, its variance split by parameter; Hutter et al.,
ICML 2014) does the statistics: the points become trials of an in-memory study, nothing of ours is estimated.
Bounded: at most MAX_POINTS points are read (an evenly spread sample past that) and the forest is small, so the
answer takes seconds at any sweep size.
"""

from __future__ import annotations

import difflib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.columns import METRICS, NUMERIC_METRICS, PARAMETERS
from backend.models import DesignPoint, Sweep
from backend.sweeps.results import BadQuery, ResultQuery, where
from backend.sweeps.spec import varied_columns

MAX_POINTS = 2_000
# A bounded forest: fANOVA's cost grows with the leaves (Optuna's default, 64 trees of depth 64, takes minutes on
# 1,000 points of continuous axes); 32 trees of depth 8 take a second or two and rank the same parameters.
FOREST = {"n_trees": 32, "max_depth": 8}
SEED = 0  # the forest is random: a fixed seed gives the same answer each time
METHOD = (f"fANOVA (Optuna's FanovaImportanceEvaluator: {FOREST['n_trees']} trees of depth {FOREST['max_depth']}, "
          f"seed {SEED})")
MIN_POINTS = 8
# A sample keeps the points whose (index x a large odd number) mod a prime falls below a share of the prime: a
# deterministic, evenly spread pick over up to 10^9 indices (within 64-bit integers on both databases).
_HASH_MULTIPLIER = 2_654_435_761
_HASH_MODULUS = 1_000_003


class NotEnoughData(ValueError):
    """The sweep cannot answer the question (too few points, or fewer than two varied parameters): a 422 that says
    what is missing."""


@dataclass(frozen=True)
class Importance:
    objective: str
    importance: dict[str, float]  # parameter -> share of the objective's variance, summing to 1
    points: int  # points the evaluator saw
    sampled: bool  # a sample of the sweep's points (it has more than MAX_POINTS)


def check_objective(name: str) -> str:
    if name in NUMERIC_METRICS:
        return name
    close = difflib.get_close_matches(name, NUMERIC_METRICS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise BadQuery(f"unknown objective '{name[:50]}'{hint}; choose a numeric metric: {', '.join(NUMERIC_METRICS)}")


def _read_points(session: Session, sweep: Sweep, objective: str, parameters: list[str],
                 filters: list[str]) -> tuple[list[tuple[Any, ...]], bool]:
    """The evaluated points' parameter values and objective value (rows: parameters..., objective) that pass the
    filters, at most MAX_POINTS of them, spread evenly over the sweep."""
    target = getattr(DesignPoint, objective)
    conditions = [*where(sweep.id, ResultQuery(columns=["id"], filters=filters, sort=[])), target.is_not(None)]
    matching = session.execute(select(func.count()).select_from(DesignPoint).where(*conditions)).scalar_one()
    sampled = matching > MAX_POINTS
    if sampled:  # a hash of the index, not every n-th point: that would hold a grid's fastest axes fixed
        share = int(_HASH_MODULUS * MAX_POINTS * 0.95 / matching)
        conditions.append((DesignPoint.point_index * _HASH_MULTIPLIER) % _HASH_MODULUS < share)
    columns = [getattr(DesignPoint, name) for name in parameters]
    statement = select(*columns, target).where(*conditions).order_by(DesignPoint.point_index).limit(MAX_POINTS)
    return [tuple(row) for row in session.execute(statement)], sampled


def _distribution(values: list[Any]) -> BaseDistribution | None:
    """The parameter's distribution over the values it takes (None when it takes one value only)."""
    distinct = set(values)
    if len(distinct) < 2:
        return None
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in distinct):
        return FloatDistribution(float(min(distinct)), float(max(distinct)))
    return CategoricalDistribution(sorted(distinct, key=str))


def _trial_value(value: Any, distribution: BaseDistribution) -> Any:
    return float(value) if isinstance(distribution, FloatDistribution) else value


_answers: OrderedDict[tuple[Any, ...], Importance] = OrderedDict()
_answers_lock = threading.Lock()
CACHED_ANSWERS = 64


def importance(session: Session, sweep: Sweep, objective: str, filters: list[str] | None = None) -> Importance:
    """Each varied parameter's share of `objective`'s variance (fANOVA), over the sweep's evaluated points (those
    that pass `filters`, in the results' syntax: one workload, say). Answers are kept per sweep state: the sweep's
    counters move with every stored chunk, so a kept answer is never stale, and asking again costs nothing."""
    key = (str(session.get_bind().engine.url), sweep.id, sweep.created_at, sweep.done_points, sweep.failed_points,
           objective, tuple(filters or ()))
    with _answers_lock:
        if key in _answers:
            _answers.move_to_end(key)
            return _answers[key]
    found = _importance(session, sweep, objective, filters or [])
    with _answers_lock:
        _answers[key] = found
        while len(_answers) > CACHED_ANSWERS:
            _answers.popitem(last=False)
    return found


def _importance(session: Session, sweep: Sweep, objective: str, filters: list[str]) -> Importance:
    objective = check_objective(objective)
    candidates = [name for name in varied_columns(sweep.spec) if name in PARAMETERS]
    rows, sampled = _read_points(session, sweep, objective, candidates, filters)
    if len(rows) < MIN_POINTS:
        among = " that pass the filters" if filters else ""
        raise NotEnoughData(f"parameter importance needs at least {MIN_POINTS} evaluated points{among} with a value "
                            f"of {objective}; sweep {sweep.id} has {len(rows)}")
    columns = {name: [row[k] for row in rows] for k, name in enumerate(candidates)}
    distributions = {name: d for name, values in columns.items()
                     if None not in values and (d := _distribution(values)) is not None}
    if len(distributions) < 2:
        varied = ", ".join(distributions) or "none"
        raise NotEnoughData(f"parameter importance compares the parameters a sweep varies; sweep {sweep.id} varies "
                            f"fewer than two (varied: {varied}), so there is nothing to rank")
    targets = [float(row[-1]) for row in rows]
    if max(targets) == min(targets):
        raise NotEnoughData(f"{objective} is the same at every point of sweep {sweep.id}: no parameter moves it")
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "new study created" line per request
    study = optuna.create_study(direction="maximize" if METRICS[objective].direction == "max" else "minimize")
    study.add_trials([optuna.trial.create_trial(
        params={name: _trial_value(columns[name][k], d) for name, d in distributions.items()},
        distributions=distributions, value=value) for k, value in enumerate(targets)])
    shares = get_param_importances(study, evaluator=FanovaImportanceEvaluator(**FOREST, seed=SEED), normalize=True)
    return Importance(objective=objective, importance={name: float(share) for name, share in shares.items()},
                      points=len(rows), sampled=sampled)
