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
from simulator import catalog
from simulator.design_point import PointInputs
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


def assert_no_field_error(spec: SweepSpec, point: PointInputs) -> None:
    """What was accepted at the door never fails a point for a value alone: a point may still fail for its
    combination (a validator across fields, a tile that fits no memory), never for a field's type or bounds."""
    try:
        point.resolve(spec.definitions())
    except ValidationError as error:
        field_errors = [e for e in error.errors() if e["type"] not in ("value_error", "assertion_error")]
        assert not field_errors, f"accepted spec, point fails on a field: {field_errors} ({point})"
    except ValueError as error:  # the simulator's own checks of model dimensions
        assert "must be a positive integer" not in str(error) and "ffn_kind must be" not in str(error), error


def _parse_and_expand(data: Any) -> None:
    try:
        spec = SweepSpec.model_validate(data)
        size = check_size(spec, 1_000_000)
    except ValueError:  # ValidationError and SweepTooLarge are ValueErrors: a clean 422 in the API
        return
    assert size >= 0
    if spec.strategy == "search":  # a search expands the points Optuna asks for, by dimension key
        assert_no_field_error(spec, spec.point_of({d.key: d.value(0) for d in spec.dimensions()}))
        return
    for point in spec.points(0, min(size, 3)):
        assert point.model and point.accelerator
        assert_no_field_error(spec, point)
    if size > 3:
        assert_no_field_error(spec, spec.point(size - 1))  # the last point expands too


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid_specs())
def test_near_valid_sweep_specs_either_parse_and_expand_or_fail_cleanly(data: dict[str, Any]) -> None:
    _parse_and_expand(data)


# Real field names of every group with values from anything plausible to anything wrong: the door's checks must
# refuse exactly the specs whose points would fail on a value.
GROUP_FIELDS = {"axes": ["rows", "cols", "scratchpad_kib", "dataflow", "input_bits", "softmax_on", "clock_ghz"],
                "scenario_axes": ["batch", "generate_len", "image_size"],
                "option_axes": ["weight_precision", "sparsity", "tiling", "fuse_nonlinear"],
                "model_axes": ["num_layers", "d_model", "num_heads", "ffn_kind"]}
plausible = (st.integers(min_value=-8, max_value=5000) | st.sampled_from(
    ["ws", "os", "is", "int4", "int8", "int3", "2:4", "dense", "square", "accelerator", "host_cpu", "abc", "64, abc",
     "gated", "plain", ""]) | st.floats(min_value=-1, max_value=5000, allow_nan=False) | st.booleans())


def field_values(name: str) -> st.SearchStrategy[Any]:
    """Mostly values the field accepts (from the catalog's type, bounds and choices), sometimes anything plausible."""
    entry = catalog.entry(name)
    if entry.choices:
        valid: st.SearchStrategy[Any] = st.sampled_from(entry.choices)
    elif entry.type == "bool":
        valid = st.booleans()
    elif entry.type == "int":
        low = int(entry.minimum or 0) + (1 if entry.exclusive_minimum else 0)
        valid = st.integers(min_value=low, max_value=min(int(entry.maximum or 4096), low + 600))
    elif entry.type == "float":
        low = float(entry.minimum or 0)
        valid = st.floats(min_value=low, max_value=min(float(entry.maximum or 4096), low + 2048),
                          exclude_min=entry.exclusive_minimum, allow_nan=False)
    else:
        valid = st.sampled_from(["dense", "2:4", "4:8"])
    return st.integers(0, 11).flatmap(lambda k: plausible if k == 0 else valid)  # about one value in 12 is wrong


@st.composite
def value_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": "values", "models": draw(st.lists(st.sampled_from(
        ["bert-base", "gpt2", "t5-base", "resnet-18"]), min_size=1, max_size=2, unique=True)),
        "scenarios": [{"seq_len": draw(field_values("seq_len")),
                       **draw(st.dictionaries(st.sampled_from(["batch", "generate_len"]),
                                              field_values("batch"), max_size=1))}]}
    for group, names in GROUP_FIELDS.items():
        name_list = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
        spec[group] = {name: draw(st.lists(field_values(name), min_size=1, max_size=3)) for name in name_list}
    option = draw(st.sampled_from([*GROUP_FIELDS["option_axes"], None]))
    if option and option not in spec["option_axes"]:
        spec["options"] = {option: draw(field_values(option))}
    return spec


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value_specs())
def test_an_accepted_spec_never_fails_a_point_on_a_value(data: dict[str, Any]) -> None:
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
