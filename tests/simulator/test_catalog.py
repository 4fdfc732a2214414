"""The catalog is derived from the simulator's own fields: nothing is missing, bounds and choices are the fields'."""

from __future__ import annotations

import pytest

from simulator import AcceleratorSpec, Options, Report, catalog, evaluate
from simulator.design_point import PointInputs
from simulator.workload import Scenario


def test_every_scalar_of_a_report_is_a_metric_with_a_label_unit_and_direction() -> None:
    scalars = [name for name, info in Report.model_fields.items()
               if info.annotation in (float, float | None, int | None) or name in ("bottleneck", "fused_groups")]
    assert [m.name for m in catalog.METRICS] == scalars
    for metric in catalog.METRICS:
        assert metric.label and metric.kind == "metric"
        assert metric.direction in ("min", "max") or metric.categorical
    throughput = catalog.entry("throughput_per_s")
    assert (throughput.title, throughput.direction) == ("Throughput (inferences/s)", "max")


def test_every_input_field_is_a_parameter_once() -> None:
    names = [p.name for p in catalog.PARAMETERS]
    assert len(names) == len(set(names))
    assert set(AcceleratorSpec.model_fields) - set(names) == {"name", "description"}
    assert set(Options.model_fields) <= set(names)
    assert set(Scenario.model_fields) - set(names) == {"allow_longer"}  # a switch of the run, not a design input
    assert {"model", "accelerator", "num_layers", "d_model", "num_kv_heads"} <= set(names)


def test_bounds_choices_and_types_are_the_fields_own() -> None:
    rows = catalog.entry("rows")
    assert (rows.type, rows.minimum, rows.maximum, rows.default) == ("int", 1, 4096, 16)
    assert catalog.entry("dataflow").choices == ("ws", "os")
    assert catalog.entry("weight_precision").nullable
    assert catalog.check_value("rows", 32) == 32
    for name, bad in (("rows", -8), ("rows", 0), ("scratchpad_kib", "64, abc"), ("seq_len", 0),
                      ("generate_len", -5), ("weight_precision", "int3"), ("dataflow", "is")):
        with pytest.raises(ValueError, match=name):
            catalog.check_value(name, bad)


def test_a_record_holds_the_resolved_inputs_and_the_metrics() -> None:
    inputs = PointInputs(model="llama-2-7b", scenario={"prompt_len": 16, "generate_len": 4}, overrides={"rows": 32})
    resolved = inputs.resolve()
    report = evaluate(resolved.workload, resolved.accelerator, resolved.options)
    row = catalog.record(inputs, resolved, report)
    assert (row["rows"], row["cols"], row["num_kv_heads"], row["accelerator"]) == (32, 16, 32, "gemmini-default")
    assert row["latency_s"] == report.latency_s and row["bottleneck"] == report.bottleneck
    assert report.accelerator == "gemmini-default[rows=32]"  # the report names the design it evaluated


def test_a_failed_point_stores_only_values_of_the_columns_type() -> None:
    inputs = PointInputs(model="bert-base", scenario={"seq_len": "abc"}, overrides={"rows": 32})
    with pytest.raises(ValueError, match="seq_len"):
        inputs.resolve()
    row = catalog.record(inputs, None, None)
    assert (row["seq_len"], row["rows"], row["model"], row["latency_s"]) == (None, 32, "bert-base", None)
