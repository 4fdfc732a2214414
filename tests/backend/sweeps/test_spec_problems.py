"""A refused spec names every mistake at once, each at its field (so the form marks every row), and an unknown axis
name is answered with where it belongs or a did-you-mean over accelerator fields and options alike."""

from __future__ import annotations

import pytest

from tests.sweeps_support import DEMO_SPEC

pytestmark = pytest.mark.redis


def _errors(client, spec: dict) -> dict[str, str]:
    answer = client.post("/api/sweeps/estimate", json=spec)
    assert answer.status_code == 422, answer.text
    return {error["loc"]: error["msg"] for error in answer.json()["errors"]}


def test_four_mistakes_are_named_in_one_answer_each_at_its_field(client) -> None:
    errors = _errors(client, {**DEMO_SPEC, "name": "x" * 201, "objectives": [],
                              "axes": {"rows": [-8, 16], "colz": [8], "cols": [8]}})
    assert errors["name"] == "must be at most 200 characters"
    assert errors["objectives"] == "give at least 1"
    assert errors["axes.colz"].startswith("unknown axis 'colz' (did you mean the accelerator field cols?)")
    assert "-8 is not an integer from 1" in errors["axes.rows"]
    assert set(errors) == {"name", "objectives", "axes.colz", "axes.rows"}, errors
    errors = _errors(client, {**DEMO_SPEC, "name": "", "objectives": [], "axes": {"rows": [-8, 16], "rowz": [8]},
                              "scenarios": [{"seq_len": "abc"}]})
    assert set(errors) == {"name", "objectives", "axes.rows", "axes.rowz", "scenarios.0.seq_len"}, errors
    assert "-8 is not an integer from 1" in errors["axes.rows"] and "'abc' is not an integer" in errors[
        "scenarios.0.seq_len"]


def test_an_unknown_axis_lists_accelerator_fields_and_options(client) -> None:
    message = _errors(client, {**DEMO_SPEC, "axes": {"weight_precison": ["int4"]}})["axes.weight_precison"]
    assert message.startswith("unknown axis 'weight_precison' (did you mean the option weight_precision?)")
    fields, options = message.split("; accelerator fields (axes): ")[1].split("; options (option_axes): ")
    assert "rows" in fields.split(", ") and "scratchpad_kib" in fields.split(", ")
    assert {"weight_precision", "mapper"} <= set(options.split(", ")) and not message.endswith("…")


@pytest.mark.parametrize(("group", "name", "says"), [
    ("axes", "weight_precision", "'weight_precision' is a simulator option, not an accelerator field: vary it under "
                                 "option_axes"),
    ("option_axes", "rows", "'rows' is an accelerator field, not an option: vary it under axes"),
])
def test_a_name_in_the_wrong_group_is_told_where_it_belongs(client, group, name, says) -> None:
    spec = {**DEMO_SPEC, "axes": {}, group: {name: ["int4"] if group == "axes" else [8]}}
    assert _errors(client, spec)[f"{group}.{name}"] == says


def test_an_option_axis_is_estimated_like_any_axis(client) -> None:
    answer = client.post("/api/sweeps/estimate", json={**DEMO_SPEC, "option_axes": {
        "weight_precision": ["int8", "int4"]}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["points"] == 72 and answer.json()["dimensions"]["option_axes.weight_precision"] == 2
