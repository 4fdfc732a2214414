"""Search core: exact hypervolume, and the ask/tell driver improves a known front without illegal proposals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.search import IntAxis, Search, hypervolume, run


def test_hypervolume_2d_and_3d_by_hand() -> None:
    assert hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), [4, 4]) == pytest.approx(6.0)
    assert hypervolume(np.array([[1.0, 1.0, 1.0]]), [2, 3, 4]) == pytest.approx(1 * 2 * 3)
    # two boxes overlapping in [0,1]^3: 8 + 8 - 1
    assert hypervolume(np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]), [2, 2, 2]) == pytest.approx(2 * 2 * 1 + 1)
    assert hypervolume(np.array([[5.0, 5.0]]), [4, 4]) == 0.0
    assert hypervolume(np.array([[3.0, -1.0]]), [0, 4], maximize=[True, False]) == pytest.approx(3 * 5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 5)] * 3), min_size=1, max_size=12))
def test_hypervolume_matches_cell_counting(points) -> None:
    """On an integer grid the dominated volume is the number of unit cells some point dominates."""
    ref = (6, 6, 6)
    cells = sum(any(all(p[j] <= c[j] for j in range(3)) for p in points)
                for c in itertools.product(range(6), repeat=3))
    assert hypervolume(np.array(points, dtype=float), ref) == pytest.approx(cells)


SPACE = {"x": IntAxis(0, 30), "y": IntAxis(0, 30), "shape": ["a", "b", "c"]}


def objectives(p: dict) -> tuple[float, float]:
    """A known trade-off: f1 grows with x, f2 falls with x; y and a bad shape only hurt."""
    penalty = {"a": 0.0, "b": 2.0, "c": 5.0}[p["shape"]]
    return (p["x"] + 0.2 * p["y"] + penalty, (30 - p["x"]) ** 2 / 30 + 0.3 * p["y"] + penalty)


def legal(p: dict) -> bool:
    return (p["x"] + p["y"]) % 4 != 3  # a quarter of the grid is illegal, like heads not dividing d_model


@pytest.mark.parametrize("sampler", ["nsga2", "tpe"])
def test_search_improves_hypervolume_and_never_proposes_illegal_points(sampler) -> None:
    grid = [dict(zip(SPACE, v, strict=True)) for v in itertools.product(range(31), range(31), SPACE["shape"])]
    exact = np.array([objectives(p) for p in grid if legal(p)])
    ref = exact.max(axis=0) * 1.1
    best = hypervolume(exact, ref)
    seen = []

    def evaluate(batch: list[dict]) -> list[tuple[float, float]]:
        seen.extend(batch)
        return [objectives(p) for p in batch]

    search = Search(SPACE, ["min", "min"], sampler=sampler, seed=1, population_size=20, legal=legal)
    history = run(search, evaluate, budget=200, batch=20)
    volumes = [hypervolume(values, ref) for values in history]
    keys = [tuple(p.values()) for p in seen]
    assert all(legal(p) for p in seen) and 150 <= len(seen) <= 200 and len(set(keys)) == len(keys)
    assert volumes[-1] > volumes[0]
    assert all(b >= a for a, b in itertools.pairwise(volumes))
    assert volumes[-1] >= 0.9 * best


def test_outcome_constraints_and_failed_points() -> None:
    search = Search(SPACE, ["min", "min"], seed=0)
    proposals = search.ask(10)
    for i, proposal in enumerate(proposals):
        values = None if i == 0 else objectives(proposal.params)
        search.tell(proposal.number, values, constraints=[proposal.params["x"] - 15.0])
    feasible = search.values()
    assert len(feasible) == sum(1 for p in proposals[1:] if p.params["x"] <= 15)
    assert len(search.values(feasible_only=False)) == 9


def test_study_in_rdb_storage_resumes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = Search(SPACE, ["min", "min"], storage=url, study_name="s", seed=0)
    for proposal in first.ask(5):
        first.tell(proposal.number, objectives(proposal.params))
    again = Search(SPACE, ["min", "min"], storage=url, study_name="s", seed=0)
    assert len(again.values()) == 5
    proposal = again.ask(1)[0]
    again.tell(proposal.number, objectives(proposal.params))
    assert len(again.values()) == 6


def test_repeated_points_are_not_evaluated_twice() -> None:
    tiny = {"x": IntAxis(0, 3), "shape": ["a", "b"]}  # 8 points
    seen: list[tuple] = []

    def evaluate(batch: list[dict]) -> list[tuple[float, float]]:
        seen.extend((p["x"], p["shape"]) for p in batch)
        return [(p["x"] + (p["shape"] == "b"), 3.0 - p["x"]) for p in batch]

    search = Search(tiny, ["min", "min"], seed=0, population_size=4, max_redraws=200)
    run(search, evaluate, budget=50, batch=4)
    assert len(seen) == len(set(seen)) <= 8
    assert len(search.values()) == len(seen)
    with pytest.raises(ValueError, match="directions"):
        Search(tiny, ["down"])


@pytest.mark.parametrize("sampler", ["random", "nsga2"])
def test_a_resumed_study_never_proposes_a_point_another_process_evaluated(tmp_path, sampler) -> None:
    """The search sweep's driver resumes the study in every step; what earlier steps evaluated is never asked again."""
    tiny = {"x": IntAxis(0, 3), "shape": ["a", "b"]}  # 8 points
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = Search(tiny, ["min", "min"], sampler=sampler, storage=url, study_name="s", seed=0, population_size=4,
                   max_redraws=200)
    evaluated = set()
    for proposal in first.ask(6):
        first.tell(proposal.number, (proposal.params["x"], 3.0 - proposal.params["x"]))
        evaluated.add((proposal.params["x"], proposal.params["shape"]))
    again = Search(tiny, ["min", "min"], sampler=sampler, storage=url, study_name="s", seed=1, population_size=4,
                   max_redraws=200)
    again.remember_evaluated()
    asked = {(p.params["x"], p.params["shape"]) for p in again.ask(8)}
    assert len(evaluated) == 6 and asked == set(itertools.product(range(4), "ab")) - evaluated
    assert len(again.values()) == 6, "a repeat told its stored values is no new result"
