"""One device's area by component is a set of metrics (columns a sweep colours or filters by), and they add up to
`area_mm2` and match the report's breakdown, in one-point and batch evaluation alike."""

from __future__ import annotations

import pytest

from simulator import Options, evaluate, load_accelerator_preset
from simulator.batch import evaluate_batch
from simulator.catalog import METRICS
from simulator.workload import Scenario, Workload, load_model_preset

PARTS = ("pe_array", "scratchpad", "accumulator", "nonlinear", "fixed")


@pytest.mark.parametrize("preset", ["gemmini-default", "gemmini-transformer-32x32"])
def test_area_components_add_up_and_are_columns(preset: str) -> None:
    accelerator = load_accelerator_preset(preset)
    workload = Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=128))
    report = evaluate(workload, accelerator, Options())
    names = {entry.name for entry in METRICS}
    assert {f"area_{part}_mm2" for part in PARTS} <= names
    assert sum(getattr(report, f"area_{part}_mm2") for part in PARTS) == pytest.approx(report.area_mm2, rel=1e-12)
    for part in PARTS:
        assert getattr(report, f"area_{part}_mm2") == report.area_breakdown_mm2[part]
    bigger = accelerator.model_copy(update={"scratchpad_kib": accelerator.scratchpad_kib * 2})
    batch = evaluate_batch([(workload, accelerator, Options()), (workload, bigger, Options())])
    assert batch.metrics["area_scratchpad_mm2"][0] == report.area_scratchpad_mm2
    assert batch.metrics["area_scratchpad_mm2"][1] > report.area_scratchpad_mm2
    assert batch.metrics["area_pe_array_mm2"][1] == report.area_pe_array_mm2
