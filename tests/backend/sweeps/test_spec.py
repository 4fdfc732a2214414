"""SweepSpec: sizes before running, deterministic expansion, the cap."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend.sweeps.spec import RangeAxis, SweepSpec, SweepTooLarge, check_size
from tests.sweeps_support import DEMO_SPEC, SEARCH_DEMO_SPEC


def test_the_readme_example_has_36_points_in_grid_order() -> None:
    spec = SweepSpec.model_validate(DEMO_SPEC)
    assert spec.size() == 36
    first, last = spec.points(0, 1)[0], spec.points(35, 36)[0]
    assert first.scenario == {"seq_len": 128} and first.overrides == {"rows": 8, "cols": 8, "scratchpad_kib": 64}
    assert last.scenario == {"seq_len": 512} and last.overrides == {"rows": 32, "cols": 32, "scratchpad_kib": 256}
    assert spec.points(10, 20) == spec.points(0, 36)[10:20]


def test_ranges_include_their_stop() -> None:
    assert RangeAxis(start=8, stop=64, step=8).values() == [8, 16, 24, 32, 40, 48, 56, 64]
    assert RangeAxis(start=0.5, stop=1.0, step=0.25).values() == [0.5, 0.75, 1.0]
    with pytest.raises(ValidationError, match="below start"):
        RangeAxis(start=2, stop=1, step=1)


def test_ranges_accept_min_max_as_well_as_start_stop() -> None:
    assert RangeAxis.model_validate({"min": 4, "max": 16, "step": 4}).values() == [4, 8, 12, 16]
    assert RangeAxis.model_validate({"start": 4, "stop": 16, "step": 4}) == RangeAxis.model_validate(
        {"min": 4, "max": 16, "step": 4})
    with pytest.raises(ValidationError, match="below start"):
        RangeAxis.model_validate({"min": 16, "max": 4, "step": 4})
    with pytest.raises(ValidationError, match="Extra inputs"):
        RangeAxis.model_validate({"min": 4, "max": 16, "step": 4, "end": 3})


def test_search_spec_runs_as_written_and_its_size_is_the_budget() -> None:
    spec = SweepSpec.model_validate(SEARCH_DEMO_SPEC)
    assert spec.grid_size() == 2 * 32 * 32 * 4 and spec.size() == 300
    assert SweepSpec.model_validate({**SEARCH_DEMO_SPEC, "budget": 10**9}).size() == spec.grid_size()
    with pytest.raises(ValidationError, match="needs budget"):
        SweepSpec.model_validate({k: v for k, v in SEARCH_DEMO_SPEC.items() if k != "budget"})
    with pytest.raises(ValidationError, match="apply to strategy 'search' only"):
        SweepSpec.model_validate({**DEMO_SPEC, "budget": 10})


def test_random_is_seeded_and_chunk_independent() -> None:
    spec = SweepSpec.model_validate({**DEMO_SPEC, "strategy": "random", "n_points": 50, "seed": 3})
    assert spec.size() == 50
    assert spec.points(0, 50) == spec.points(0, 50)
    assert spec.points(20, 30) == spec.points(0, 50)[20:30]
    other = SweepSpec.model_validate({**DEMO_SPEC, "strategy": "random", "n_points": 50, "seed": 4})
    assert other.points(0, 50) != spec.points(0, 50)


def test_specs_above_the_cap_are_refused_with_their_size() -> None:
    spec = SweepSpec.model_validate(DEMO_SPEC)
    assert check_size(spec, 36) == 36
    with pytest.raises(SweepTooLarge, match="has 36 points, above the limit of 35"):
        check_size(spec, 35)


@pytest.mark.parametrize(("change", "words"), [
    ({"models": []}, "models"), ({"objectives": ["speed"]}, "unknown objective"),
    ({"axes": {"rows": []}}, "no values"), ({"n_points": 5}, "random"), ({"colour": 1}, "colour"),
])
def test_malformed_specs_name_the_field(change, words) -> None:
    with pytest.raises(ValidationError, match=words):
        SweepSpec.model_validate({**DEMO_SPEC, **change})


def test_the_readme_first_example_is_the_demo_sweep() -> None:
    import json
    from pathlib import Path

    from backend.sweeps.demo import DEMO_SPEC as SERVED_DEMO

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    example = json.loads(readme.split("```json\n", 1)[1].split("```", 1)[0])
    assert example == DEMO_SPEC == SERVED_DEMO
    assert SweepSpec.model_validate(example).size() == 36
