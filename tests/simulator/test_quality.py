"""The quality column: published rows looked up by model preset and effective setting, never estimated."""

from __future__ import annotations

import pytest

from simulator import AcceleratorSpec, Options, Scenario, Workload, evaluate
from simulator.lower import check_support
from simulator.options import PRECISIONS
from simulator.quality import published_quality, quality_rows
from simulator.workload import list_model_presets, load_model_preset, with_dimensions

ROW = {"paper": "P", "table": "Tab. 1", "model": "bert-base", "task": "T", "metric": "accuracy",
       "higher_is_better": True, "method": "M", "weight_precision": "int4", "activation_precision": "int8",
       "baseline": 80.0, "value": 79.25}


def test_a_row_matches_only_its_model_and_exact_setting() -> None:
    found = published_quality("bert-base", ("int4", "int8", "dense"), rows=(ROW,))
    assert found is not None and found.loss == pytest.approx(0.75) and found.source.startswith("P, Tab. 1: T")
    assert published_quality("bert-large", ("int4", "int8", "dense"), rows=(ROW,)) is None
    assert published_quality("bert-base", ("int4", "int4", "dense"), rows=(ROW,)) is None
    assert published_quality("bert-base", ("int4", "int8", "2:4"), rows=(ROW,)) is None


def test_loss_is_positive_when_worse_in_either_kind_of_metric() -> None:
    perplexity = {**ROW, "metric": "perplexity", "higher_is_better": False, "baseline": 5.0, "value": 5.5}
    accuracy_gain = {**ROW, "value": 80.5}
    assert published_quality("bert-base", ("int4", "int8", "dense"), rows=(perplexity,)).loss == pytest.approx(0.5)
    assert published_quality("bert-base", ("int4", "int8", "dense"), rows=(accuracy_gain,)).loss == pytest.approx(-0.5)


def _setting(row: dict) -> tuple[str, str, str]:
    return row["weight_precision"], row["activation_precision"], row.get("sparsity", "dense")


def test_shipped_rows_are_complete_unique_and_reachable() -> None:
    """Every row cites its paper and table, names a preset, and is a setting some accelerator can run:
    a row no design point can reach would be dead data."""
    rows = quality_rows()
    assert rows, "the table has published rows"
    presets = set(list_model_presets())
    keys = [(row["model"], _setting(row)) for row in rows]
    assert len(keys) == len(set(keys)), "one row per (model, setting): the first would hide the others"
    for row in rows:
        assert row["paper"] and row["table"] and row["source"] and row["task"] and row["metric"], row
        assert row["model"] in presets, row["model"]
        weights, activations, sparsity = _setting(row)
        (weight_bits, kind), (activation_bits, activation_kind) = PRECISIONS[weights], PRECISIONS[activations]
        assert kind == activation_kind, f"{row['method']}: no array runs {weights} weights with {activations}"
        hw = AcceleratorSpec(array_format=kind, weight_bits=weight_bits, input_bits=activation_bits,
                             sparse_support=sparsity != "dense")
        check_support(hw, Options(weight_precision=weights, activation_precision=activations, sparsity=sparsity))


def test_evaluate_reports_the_row_of_the_points_effective_setting() -> None:
    """A preset runs at its own 8-bit integer formats unless told otherwise, so its default point is int8/int8."""
    bert = load_model_preset("bert-base")
    workload = Workload(model=bert, scenario=Scenario(seq_len=64))
    row = next(r for r in quality_rows() if r["model"] == "bert-base" and _setting(r) == ("int8", "int8", "dense"))
    default = evaluate(workload, AcceleratorSpec(), Options())
    assert default.quality_loss == pytest.approx(row["baseline"] - row["value"])
    assert row["paper"] in default.quality_source
    explicit = evaluate(workload, AcceleratorSpec(), Options(weight_precision="int8", activation_precision="int8"))
    assert explicit.quality_loss == default.quality_loss
    int4 = evaluate(workload, AcceleratorSpec(), Options(weight_precision="int4", activation_precision="int4"))
    assert int4.quality_loss is None and int4.quality_source is None  # nothing published for bert-base at int4
    smaller = Workload(model=with_dimensions(bert, num_layers=6), scenario=Scenario(seq_len=64))
    assert evaluate(smaller, AcceleratorSpec(), Options()).quality_loss is None  # another shape, no row applies
