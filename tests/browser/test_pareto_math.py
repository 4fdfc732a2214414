"""The dashboard's front (frontend/static/js/pareto_math.js, for brushed subsets) follows simulator/pareto.py's rule
exactly, ties included: identical points do not dominate each other."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.pareto import pareto_mask

FRONT = """([columns, objectives, directions]) => import('/js/pareto_math.js').then((m) =>
  m.paretoFront(columns, objectives, directions, columns.a.map((_, i) => i)))"""


def _front_in_browser(page, values: np.ndarray, directions: list[str]) -> list[int]:
    names = ["a", "b", "c"][: values.shape[1]]
    columns = {name: values[:, k].tolist() for k, name in enumerate(names)}
    return sorted(page.evaluate(FRONT, [columns, names, directions]))


def test_the_issues_example_keeps_every_copy(dashboard, page) -> None:
    page.goto(dashboard.base_url)
    values = np.array([[1, 5], [1, 5], [2, 3], [3, 1], [2, 3]], dtype=float)
    assert _front_in_browser(page, values, ["min", "min"]) == [0, 1, 2, 3, 4] == list(np.flatnonzero(
        pareto_mask(values)))


@pytest.mark.parametrize("k", [2, 3])
def test_random_data_with_many_ties_matches_the_server(dashboard, page, k: int) -> None:
    page.goto(dashboard.base_url)
    rng = np.random.default_rng(k)
    for trial in range(20):
        values = rng.integers(0, 6, size=(60, k)).astype(float)  # six levels: ties and duplicates everywhere
        directions = [("min", "max")[(trial >> j) & 1] for j in range(k)]
        expected = np.flatnonzero(pareto_mask(values, [d == "max" for d in directions])).tolist()
        assert _front_in_browser(page, values, directions) == expected, (values.tolist(), directions)
