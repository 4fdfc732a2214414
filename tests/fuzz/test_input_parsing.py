"""Bad input never breaks the parsers: SweepSpec (pydantic + the simulator's name checks + expansion) and the
Hugging Face config.json import raise only their own clean validation errors, whatever they are given."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from backend.sweeps.spec import SweepSpec, check_size
from simulator.workload.hf_config import ConfigImportError, model_from_hf_config
from tests.sweeps_support import DEMO_SPEC

FIXTURES = Path(__file__).resolve().parents[1] / "simulator" / "fixtures" / "hf"
CONFIGS = sorted(FIXTURES.glob("*/config.json"))

json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(
    max_size=20)
json_values = st.recursive(json_scalars, lambda children: st.lists(children, max_size=4) | st.dictionaries(
    st.text(max_size=12), children, max_size=4), max_leaves=12)
axis_values = st.lists(json_scalars, max_size=5) | st.fixed_dictionaries(
    {"start": json_scalars, "stop": json_scalars, "step": json_scalars}) | json_values
FIELD_NAMES = ["rows", "cols", "scratchpad_kib", "dataflow", "seq_len", "batch", "d_model", "num_heads", "x"]


@st.composite
def near_valid_specs(draw: st.DrawFn) -> dict[str, Any]:
    """The README's spec with some fields replaced by anything JSON can say (valid values included)."""
    spec: dict[str, Any] = json.loads(json.dumps(DEMO_SPEC))
    for key in draw(st.lists(st.sampled_from(["name", "models", "scenarios", "accelerator", "axes", "model_axes",
                                              "scenario_axes", "option_axes", "options", "strategy", "n_points",
                                              "seed", "budget", "budget_s", "batch_size", "objectives", "owner"]),
                             max_size=4)):
        if key.endswith("axes"):
            spec[key] = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), axis_values, max_size=3))
        elif key == "strategy":
            spec[key] = draw(st.sampled_from(["grid", "random", "search"]) | json_scalars)
        elif key == "models":
            spec[key] = draw(st.lists(st.sampled_from(["bert-base", "gpt2", "nope"]) | json_scalars, max_size=3))
        else:
            spec[key] = draw(json_values)
    return spec


def _parse_and_expand(data: Any) -> None:
    try:
        spec = SweepSpec.model_validate(data)
        size = check_size(spec, 1_000_000)
    except ValueError:  # ValidationError and SweepTooLarge are ValueErrors: a clean 422 in the API
        return
    assert size >= 0
    if spec.strategy == "search":  # a search expands the points Optuna asks for, by dimension key
        spec.point_of({d.key: d.value(0) for d in spec.dimensions()})
        return
    for point in spec.points(0, min(size, 3)):
        assert point.model and point.accelerator
    if size > 3:
        spec.point(size - 1)  # the last point expands too


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid_specs())
def test_near_valid_sweep_specs_either_parse_and_expand_or_fail_cleanly(data: dict[str, Any]) -> None:
    _parse_and_expand(data)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_is_never_a_sweep_spec_crash(data: Any) -> None:
    _parse_and_expand(data)


def test_non_finite_ranges_are_refused_as_validation_errors() -> None:
    for axis in ({"start": 0, "stop": math.inf, "step": 1}, {"start": 0, "stop": 10, "step": math.nan},
                 {"start": -math.inf, "stop": 0, "step": 1}, {"start": 0, "stop": 1e300, "step": 1e-300}):
        with pytest.raises(ValidationError):
            SweepSpec.model_validate({**DEMO_SPEC, "axes": {"rows": axis}})


@st.composite
def mutated_configs(draw: st.DrawFn) -> Any:
    """A real config.json with fields dropped, replaced or added, or something that is not a config at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    config: dict[str, Any] = json.loads(draw(st.sampled_from(CONFIGS)).read_text())
    keys = sorted(config)
    for key in draw(st.lists(st.sampled_from(keys), max_size=3)):
        config.pop(key, None)
    for key in draw(st.lists(st.sampled_from(keys), max_size=4)):
        config[key] = draw(json_values)
    return config


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=mutated_configs(), raw=st.booleans(), junk=st.binary(max_size=40))
def test_config_json_import_fails_only_with_config_import_errors(tmp_path: Path, config: Any, raw: bool,
                                                                 junk: bytes) -> None:
    path = tmp_path / "model" / "config.json"
    path.parent.mkdir(exist_ok=True)
    if raw:
        path.write_bytes(junk)  # not JSON, maybe not even UTF-8
    else:
        path.write_text(json.dumps(config))
    try:
        spec = model_from_hf_config(path)
    except ConfigImportError as error:
        assert str(path) in str(error)
        return
    assert spec.d_model > 0 and spec.num_layers > 0
