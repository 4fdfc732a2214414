"""Fit `gemmini_exec`'s unsourced constants to DOSA's FireSim training rows, and check them by grouped cross-validation.

- Objective: least squares on log(predicted / measured) over the rows, each constant inside its bounds
  (`simulator/data/gemmini_measured.yaml`), scipy's trust-region-reflective `least_squares`.
- Cross-validation: 5 folds by layer shape (whole shapes held out, shapes shuffled with a fixed seed), each fold
  refitted on the other four; reported by kind (convolutions, matmul-like rows) as median |error| and Spearman.
- A constant within 0.1% of a bound is flagged: the data push it past what its source allows.

`python -m simulator.fit_firesim [--write]` prints the figures (and with --write stores the fitted values).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import spearmanr

from simulator.mapping.dosa_calls import ConvCall, MatmulCall, array_side, conv_call, matmul_call
from simulator.mapping.gemmini_exec import (
    CONSTANTS_FILE,
    Breakdown,
    CallWork,
    GemminiTiming,
    call_work,
    execution_cycles,
    measured_constants,
)
from simulator.measurements import FiresimMeasurement, firesim_training_set

FOLDS = 5
SEED = 27
AT_BOUND = 1e-3  # relative distance to a bound that counts as "at the bound"
# Robust loss: the 12 rows whose input window wraps (docs/firesim_fit.md) are modelled only to within 3x, and plain
# squares would let them pull every constant.
LOSS = "soft_l1"
LOSS_SCALE = 0.3
# The objective is piecewise smooth (maxima of components), with local minima: start also from these points of
# every constant's range and keep the best.
START_SHARES = (0.1, 0.5)


@dataclass(frozen=True)
class TrainingRows:
    """The training rows as Gemmini ran them: calls, array sides, kinds, shape groups, counts, measured cycles."""

    rows: tuple[FiresimMeasurement, ...]
    calls: list[ConvCall | MatmulCall]
    sides: np.ndarray
    matmul: np.ndarray  # bool: ran as tiled_matmul
    shape: np.ndarray  # layer-shape group index
    work: CallWork
    measured: np.ndarray


@cache
def training_rows() -> TrainingRows:
    rows = firesim_training_set()
    sides = [array_side(r.mapping) for r in rows]
    calls: list[ConvCall | MatmulCall] = [
        matmul_call(r.layer, r.mapping, s) if r.layer.runs_as_matmul else conv_call(r.layer, r.mapping)
        for r, s in zip(rows, sides, strict=True)]
    shapes: dict[object, int] = {}
    shape = [shapes.setdefault(r.layer, len(shapes)) for r in rows]
    return TrainingRows(rows, calls, np.array(sides), np.array([r.layer.runs_as_matmul for r in rows]),
                        np.array(shape), call_work(calls, sides), np.array([r.cycles for r in rows], dtype=float))


def bounds() -> tuple[np.ndarray, np.ndarray]:
    constants = measured_constants()
    names = GemminiTiming.names()
    return (np.array([constants[n].low for n in names]), np.array([constants[n].high for n in names]))


def predict(data: TrainingRows, timing: GemminiTiming) -> Breakdown:
    return execution_cycles(data.work, timing)


def fit(data: TrainingRows, mask: np.ndarray, start: GemminiTiming) -> GemminiTiming:
    """Constants minimising the (soft-L1) loss of log(predicted/measured) over the rows in `mask`, inside their
    bounds; from `start` and from `START_SHARES` of each range, the best kept."""
    low, high = bounds()

    def residuals(x: np.ndarray) -> np.ndarray:
        predicted = execution_cycles(data.work, GemminiTiming(*x)).total
        return np.log(predicted[mask] / data.measured[mask])

    span = high - low
    starts = [np.clip(start.vector(), low, high), *(low + share * span for share in START_SHARES)]
    results = [least_squares(residuals, x0, bounds=(low, high), x_scale=np.maximum(span, 1e-9) / 10,
                             loss=LOSS, f_scale=LOSS_SCALE) for x0 in starts]
    return GemminiTiming(*min(results, key=lambda r: r.cost).x)


def grouped_folds(shape: np.ndarray, folds: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """Fold index per row: whole layer shapes assigned round-robin after a seeded shuffle."""
    groups = np.unique(shape)
    order = np.random.default_rng(seed).permutation(groups)
    fold_of = {g: i % folds for i, g in enumerate(order)}
    return np.array([fold_of[s] for s in shape])


def cross_validated(data: TrainingRows, start: GemminiTiming) -> np.ndarray:
    """Out-of-fold predictions: each fold predicted by constants fitted on the other folds."""
    fold = grouped_folds(data.shape)
    predicted = np.empty_like(data.measured)
    for k in range(FOLDS):
        held = fold == k
        timing = fit(data, ~held, start)
        predicted[held] = execution_cycles(data.work, timing).total[held]
    return predicted


@dataclass(frozen=True)
class Score:
    rows: int
    median_abs_error: float
    spearman: float
    geomean_ratio: float


def score(predicted: np.ndarray, measured: np.ndarray) -> Score:
    ratio = predicted / measured
    rho = float(spearmanr(predicted, measured)[0]) if len(ratio) > 2 else float("nan")
    return Score(len(ratio), float(np.median(np.abs(ratio - 1))), rho, float(np.exp(np.mean(np.log(ratio)))))


def kinds(data: TrainingRows) -> dict[str, np.ndarray]:
    return {"conv": ~data.matmul, "matmul": data.matmul, "all": np.ones_like(data.matmul)}


def at_bounds(timing: GemminiTiming) -> dict[str, str]:
    """Constants at (within 0.1% of the range of) a bound: name -> "low" or "high"."""
    low, high = bounds()
    flagged = {}
    for name, value, lo, hi in zip(GemminiTiming.names(), timing.vector(), low, high, strict=True):
        span = max(hi - lo, 1e-12)
        if value - lo <= AT_BOUND * span:
            flagged[name] = "low"
        elif hi - value <= AT_BOUND * span:
            flagged[name] = "high"
    return flagged


def write_values(timing: GemminiTiming) -> None:
    """Store fitted values in the constants file, keeping its comments, bounds and sources."""
    path = resources.files("simulator") / "data" / CONSTANTS_FILE
    text = path.read_text(encoding="utf-8")
    for name, value in zip(GemminiTiming.names(), timing.vector(), strict=True):
        text = re.sub(rf"(\n  {name}:\n    value: )[^\n]*", rf"\g<1>{value:.6g}", text)
    with open(str(path), "w", encoding="utf-8") as handle:
        handle.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="store the all-rows fit in the constants file")
    parser.add_argument("--no-cv", action="store_true", help="skip the grouped cross-validation")
    args = parser.parse_args()
    data = training_rows()
    start = GemminiTiming(**{n: c.value for n, c in measured_constants().items()})
    timing = fit(data, np.ones(len(data.measured), dtype=bool), start)
    flagged = at_bounds(timing)
    for name, value in zip(GemminiTiming.names(), timing.vector(), strict=True):
        print(f"{name:22s} {value:10.3f}  {flagged.get(name, '')}")
    results = [("all rows", execution_cycles(data.work, timing).total)]
    if not args.no_cv:
        results.append(("grouped 5-fold CV", cross_validated(data, timing)))
    for label, predicted in results:
        for kind, mask in kinds(data).items():
            s = score(predicted[mask], data.measured[mask])
            print(f"{label:18s} {kind:7s} n={s.rows:5d} median|err|={s.median_abs_error:6.3f} "
                  f"spearman={s.spearman:6.4f} geomean={s.geomean_ratio:6.3f}")
    if args.write:
        write_values(timing)


if __name__ == "__main__":
    main()
