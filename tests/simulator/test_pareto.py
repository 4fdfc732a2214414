"""The one Pareto function against a brute-force definition, and its speed on 10^6 points."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulator.pareto import pareto_front, pareto_mask


def _brute_force(values: np.ndarray) -> np.ndarray:
    mask = np.ones(len(values), dtype=bool)
    for i, point in enumerate(values):
        if np.isnan(point).any():
            mask[i] = False
            continue
        others = values[~np.isnan(values).any(axis=1)]
        mask[i] = not ((others <= point).all(axis=1) & (others < point).any(axis=1)).any()
    return mask


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5).flatmap(lambda k: arrays(np.float64, st.tuples(st.integers(1, 60), st.just(k)),
                                                  elements=st.sampled_from([0.0, 1.0, 2.0, 3.0, np.nan]))))
def test_matches_the_definition_with_ties_and_nans(values: np.ndarray) -> None:
    assert (pareto_mask(values) == _brute_force(values)).all()


def test_maximise_flips_a_column() -> None:
    values = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 5.0]])  # latency (min), throughput (max)
    assert pareto_mask(values, [False, True]).tolist() == [True, True, False]
    assert pareto_front(values, [False, True]).tolist() == [0, 1]


def test_many_copies_of_one_point_are_all_on_the_front() -> None:
    assert pareto_mask(np.ones((5, 3))).all()


@pytest.mark.parametrize("k", [2, 3])
def test_a_million_points_in_well_under_a_second(k: int) -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(size=(1_000_000, k))
    started = time.perf_counter()
    mask = pareto_mask(values)
    elapsed = time.perf_counter() - started
    sample = rng.choice(len(values), 2000, replace=False)
    front = values[mask]
    for i in sample:  # spot-check: sampled points are on the front iff nothing on the front dominates them
        dominated = ((front <= values[i]).all(axis=1) & (front < values[i]).any(axis=1)).any()
        assert mask[i] == (not dominated)
    assert elapsed < 1.0, f"{k}-D Pareto of 10^6 points took {elapsed:.2f} s"


def test_a_large_front_stays_fast() -> None:
    x = np.random.default_rng(2).random(1_000_000)
    started = time.perf_counter()
    assert pareto_mask(np.c_[x, 1 - x]).all()
    assert time.perf_counter() - started < 1.5
