"""Architecture-search and knob axes through the service's sweep expansion (backend.sweeps.spec/simulation)."""

from __future__ import annotations

import pytest

from backend.sweeps.evaluation import evaluate_points
from backend.sweeps.spec import SweepSpec


def spec(**fields: object) -> SweepSpec:
    return SweepSpec(name="arch", models=["bert-base"], scenarios=[{"seq_len": 64}],
                     accelerator="gemmini-transformer", **fields)


def test_model_axes_expand_validate_and_record_illegal_points() -> None:
    sweep = spec(model_axes={"num_layers": [3, 6], "d_model": [384, 400], "num_heads": [6]},
                 scenario_axes={"batch": [1, 2]}, option_axes={"weight_precision": ["int8", "int4"]})
    assert sweep.size() == 2 * 2 * 1 * 2 * 2  # exact: illegal shapes are counted and stored as errors
    outcomes = evaluate_points(list(enumerate(sweep.points(0, sweep.size()))))
    errors = [o for o in outcomes if o.error]
    assert len(errors) == 8 and all("num_heads must divide d_model" in o.error for o in errors)
    good = next(o for o in outcomes if not o.error)
    assert {good.columns[k] for k in ("num_layers", "d_model", "num_heads")} <= {3, 6, 384}
    assert good.columns["batch"] in (1, 2) and good.columns["latency_s"] > 0


def test_unknown_model_axis_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model axis 'hidden'"):
        spec(model_axes={"hidden": [1]})
    with pytest.raises(ValueError, match="unknown scenario axis 'batches' .did you mean batch.."):
        spec(scenario_axes={"batches": [1]})
