"""Multi-objective search over design points: hypervolume, and an ask/tell driver around Optuna's samplers.

Pure (no Celery, no database code of its own): `Search.ask(n)` proposes a batch of points, the caller evaluates
them however it likes (in-process, or as Celery chunks) and `Search.tell` returns each point's objective values.
The study lives in Optuna's storage: in memory by default, or any Optuna RDB URL (`storage=`), so a service can
keep it in its own database and resume it from another process with the same `study_name`.

Constraints come in two kinds:
- `legal(params) -> bool`: a point that may not be proposed at all (e.g. num_heads not dividing d_model).
  Such samples are never returned by `ask`, so every proposal is legal. NSGA-II is told they failed (they then
  take no place in a generation). TPE ignores failed trials and would propose the same illegal point again and
  again, so it is told they are complete but infeasible (constraint "legal" = 1, worst objectives), which
  teaches it to avoid the region. Either way they are never part of `values()`.
- outcome constraints (e.g. latency <= 5 ms): `tell(..., constraints=[g1, …])` with g <= 0 feasible; they are
  stored on the trial (Optuna's `Trial.set_constraint`), and NSGA-II and TPE rank feasible points first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import optuna

from simulator.pareto import pareto_mask

_ILLEGAL = "illegal"  # user attribute of a sample that `legal` refused (never proposed, never a result)
_REPEAT = "repeat"  # user attribute of a sample equal to an evaluated point (told its values, not re-evaluated)
Direction = Literal["min", "max"]
SamplerName = Literal["nsga2", "tpe", "random"]


# -- hypervolume -------------------------------------------------------------------------------------------


def hypervolume(values: np.ndarray, reference: Sequence[float], maximize: Sequence[bool] | None = None) -> float:
    """Volume dominated by `values` (n x k) and bounded by `reference` (every objective minimised unless
    `maximize[j]`). Points not strictly better than the reference in every objective add nothing.

    Exact: 2-D by one sort; k-D by slicing along the last objective (HSO), which is fine for the fronts of a
    sweep (hundreds of points, k <= 4).
    """
    points = np.asarray(values, dtype=np.float64)
    if points.ndim == 1:
        points = points[None, :]
    ref = np.asarray(reference, dtype=np.float64)
    if maximize is not None:
        flip = np.asarray(maximize, dtype=bool)
        points, ref = np.where(flip, -points, points), np.where(flip, -ref, ref)
    points = points[np.all(np.isfinite(points), axis=1) & np.all(points < ref, axis=1)]
    if points.size == 0:
        return 0.0
    points = points[pareto_mask(points)]
    return float(_hv(np.unique(points, axis=0), ref))


def _hv(points: np.ndarray, ref: np.ndarray) -> float:
    k = points.shape[1]
    if k == 1:
        return float(ref[0] - points[:, 0].min())
    if k == 2:
        order = np.lexsort((points[:, 1], points[:, 0]))
        x, y = points[order, 0], points[order, 1]
        best = np.minimum.accumulate(y)
        widths = np.diff(np.append(x, ref[0]))
        return float(np.sum(widths * (ref[1] - best)))
    order = np.argsort(points[:, -1])
    points = points[order]
    levels = np.append(points[:, -1], ref[-1])
    total = 0.0
    for i in range(len(points)):
        depth = levels[i + 1] - levels[i]
        if depth > 0:
            slab = points[: i + 1, :-1]
            total += depth * _hv(slab[pareto_mask(slab)], ref[:-1])
    return total


# -- search space ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntAxis:
    low: int
    high: int
    step: int = 1


@dataclass(frozen=True)
class FloatAxis:
    low: float
    high: float
    log: bool = False


SearchAxis = Sequence[Any] | IntAxis | FloatAxis  # a list is categorical


@dataclass(frozen=True)
class Proposal:
    """One proposed design point: `number` is the handle to `tell` its result with."""

    number: int
    params: dict[str, Any]


def _suggest(trial: optuna.Trial, name: str, axis: SearchAxis) -> Any:
    if isinstance(axis, IntAxis):
        return trial.suggest_int(name, axis.low, axis.high, step=axis.step)
    if isinstance(axis, FloatAxis):
        return trial.suggest_float(name, axis.low, axis.high, log=axis.log)
    return trial.suggest_categorical(name, list(axis))


def make_sampler(name: SamplerName, seed: int, population_size: int = 50) -> optuna.samplers.BaseSampler:
    """NSGA-II (default: generations of `population_size`), TPE (constant liar, so a batch of pending trials is
    spread out), or random (the baseline)."""
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"unknown sampler '{name}'; choose nsga2, tpe or random")


def _outcome_constraints(trial: optuna.trial.FrozenTrial) -> list[float]:
    """The outcome constraints `tell` stored on a trial (`c0`, `c1`, …), in order."""
    stored = trial.constraints
    return [stored[f"c{index}"] for index in range(len(stored)) if f"c{index}" in stored]


class Search:
    """Ask/tell driver: proposes batches of legal points from `space`, learns from their objective values."""

    def __init__(self, space: Mapping[str, SearchAxis], directions: Sequence[Direction], *,
                 sampler: SamplerName = "nsga2", seed: int = 0, population_size: int = 50,
                 legal: Callable[[dict[str, Any]], bool] | None = None,
                 storage: str | optuna.storages.BaseStorage | None = None, study_name: str | None = None,
                 max_redraws: int | None = None) -> None:
        if not space:
            raise ValueError("the search space has no axes")
        bad = [d for d in directions if d not in ("min", "max")]
        if bad:
            raise ValueError(f"directions must be 'min' or 'max', got {bad}")
        self.space = dict(space)
        self.legal = legal
        self.max_redraws = max_redraws
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(
            storage=storage, study_name=study_name, load_if_exists=storage is not None,
            directions=["minimize" if d == "min" else "maximize" for d in directions],
            sampler=make_sampler(sampler, seed, population_size))
        self._pending: dict[int, optuna.Trial] = {}
        self._illegal_as_infeasible = sampler == "tpe"
        self._keys: dict[int, tuple] = {}
        self._known: dict[tuple, tuple[list[float] | None, list[float]]] = {}  # evaluated points this process knows of

    def ask(self, n: int) -> list[Proposal]:
        """Up to `n` legal proposals never evaluated before.

        A sample equal to an evaluated point is told its known values at once (no new evaluation), one equal to a
        point of this batch is dropped, an illegal one is told to the sampler; all are drawn again. After
        `max_redraws` such draws (default 2n) the batch is returned short; a batch under half full means the sampler
        has mostly converged (each draw costs a sampler call, so a converged search should stop, not redraw).
        """
        proposals: list[Proposal] = []
        in_batch: set[tuple] = set()
        redraws = 0
        max_redraws = self.max_redraws if self.max_redraws is not None else 2 * n
        while len(proposals) < n and redraws <= max_redraws:
            trial = self.study.ask()
            params = {name: _suggest(trial, name, axis) for name, axis in self.space.items()}
            key = tuple(params.values())
            if self.legal is not None and not self.legal(params):
                if self._illegal_as_infeasible:
                    trial.set_user_attr(_ILLEGAL, True)
                    trial.set_constraint("legal", 1.0)
                    self.study.tell(trial, [math.inf if d == optuna.study.StudyDirection.MINIMIZE else -math.inf
                                            for d in self.study.directions])
                else:
                    self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            elif key in self._known:
                trial.set_user_attr(_REPEAT, True)
                values, constraints = self._known[key]
                for index, value in enumerate(constraints):
                    trial.set_constraint(f"c{index}", value)
                self.study.tell(trial, values, state=None if values else optuna.trial.TrialState.FAIL)
            elif key in in_batch:
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                in_batch.add(key)
                self._pending[trial.number] = trial
                self._keys[trial.number] = key
                proposals.append(Proposal(trial.number, params))
                continue
            redraws += 1
        return proposals

    def remember_evaluated(self) -> None:
        """Learns every point the study holds as evaluated, whichever process told it (a study in shared storage,
        resumed by another process), so `ask` never proposes one of them again: a sample equal to one is told its
        stored values instead."""
        names = list(self.space)
        for trial in self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
            if all(name in trial.params for name in names):
                self._known.setdefault(tuple(trial.params[name] for name in names),
                                       (list(trial.values), _outcome_constraints(trial)))

    def tell(self, number: int, values: Sequence[float] | None, constraints: Sequence[float] | None = None) -> None:
        """The objective values of proposal `number` (None or a NaN: the point failed to evaluate)."""
        trial: optuna.Trial | int | None = self._pending.pop(number, None)
        if trial is None:  # asked by another process on the same storage: Optuna accepts the trial number
            if constraints is not None:
                raise ValueError("outcome constraints are told by the process that asked the trial")
            trial = number
        elif constraints is not None:
            for index, value in enumerate(constraints):
                trial.set_constraint(f"c{index}", float(value))
        failed = values is None or any(not np.isfinite(v) for v in values)
        key = self._keys.pop(number, None)
        if key is not None:
            self._known[key] = (None if failed else [float(v) for v in values],
                                [float(c) for c in constraints or ()])
        if failed:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, [float(v) for v in values])

    def values(self, feasible_only: bool = True) -> np.ndarray:
        """Objective values of all completed points (n x k), in the study's directions as given."""
        trials = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        rows = [t.values for t in trials if not t.user_attrs.get(_ILLEGAL) and not t.user_attrs.get(_REPEAT)
                and (not feasible_only or all(c <= 0 for c in t.constraints.values()))]
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(self.study.directions))


def run(search: Search, evaluate: Callable[[list[dict[str, Any]]], list[Sequence[float] | None]], budget: int,
        batch: int) -> list[np.ndarray]:
    """Drive `search` for `budget` evaluations in batches; returns the completed values after each batch."""
    history = []
    done = 0
    while done < budget:
        wanted = min(batch, budget - done)
        proposals = search.ask(wanted)
        for proposal, values in zip(proposals, evaluate([p.params for p in proposals]), strict=True):
            search.tell(proposal.number, values)
        done += len(proposals)
        history.append(search.values())
        if len(proposals) < wanted / 2:  # converged: most draws repeat evaluated points
            break
    return history
