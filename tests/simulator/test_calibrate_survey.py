"""The worked example: the survey's baseline split as measurements, and the shipped calibrated preset made from them
(benchmarks/calibrate_survey_baseline.py) — which must be what that script's calibration gives today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

from simulator import evaluate
from simulator.calibrate import parse_measurements
from simulator.design_point import NO_DEFINITIONS, PointInputs
from simulator.hardware import load_accelerator_preset, load_accelerator_preset_data

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "calibrate_survey_baseline.py"
PAPER = yaml.safe_load((ROOT / "benchmarks" / "data" / "gemmini_case_study_paper.yaml").read_text())


def _script():
    spec = importlib.util.spec_from_file_location("calibrate_survey_baseline", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _same(shipped, made, where: str = "") -> None:
    """Equal mappings; numbers to 1e-6 (the fit's floats are written at 4 significant digits)."""
    if isinstance(made, dict):
        assert isinstance(shipped, dict) and shipped.keys() == made.keys(), where
        for key in made:
            _same(shipped[key], made[key], f"{where}.{key}")
    elif isinstance(made, float) and not isinstance(made, bool):
        assert shipped == pytest.approx(made, rel=1e-6), where
    else:
        assert shipped == made, where


def test_the_shipped_preset_is_what_the_script_calibrates_today() -> None:
    """If the simulator's numbers move, this fails: run `benchmarks/calibrate_survey_baseline.py --write --date
    <the shipped date>` and review the difference (the constants are fitted, not chosen)."""
    script = _script()
    shipped = load_accelerator_preset_data(script.NAME)
    made = script.calibration(shipped["calibration"]["date"]).preset
    _same(shipped, yaml.safe_load(yaml.safe_dump(made, sort_keys=False)))


def test_the_measurements_follow_from_the_published_split_and_our_mac_count() -> None:
    """matmul = MACs / (256 PEs x 74%), total = matmul / its 1% share, each class = its share x total."""
    rows = {r.op_class: r for r in parse_measurements(_script().MEASUREMENTS.read_text())}
    point = PointInputs(model="bert-base", scenario={"seq_len": 512}, accelerator="gemmini-default").resolve()
    macs = evaluate(point.workload, point.accelerator, point.options).macs
    assert macs == 12 * (4 * 768**2 * 512 + 2 * 768 * 3072 * 512 + 2 * 512**2 * 768)
    shares = PAPER["baseline_time_share_percent"]
    matmul = macs / (point.accelerator.peak_macs_per_cycle * PAPER["baseline_matmul_utilization_percent"] / 100)
    total = matmul / (shares["matmul"] / 100)
    assert set(rows) == set(shares)
    for op_class, share in shares.items():
        assert rows[op_class].cycles == pytest.approx(share / 100 * total, abs=0.5), op_class
        assert (rows[op_class].model, rows[op_class].seq_len, rows[op_class].accelerator) == (
            "bert-base", 512, "gemmini-default")


def test_the_shipped_preset_is_named_like_any_preset_and_says_it_is_calibrated() -> None:
    spec = load_accelerator_preset("gemmini-default-calibrated")
    calibration = NO_DEFINITIONS.calibration("gemmini-default-calibrated")
    assert calibration is not None and calibration.label.startswith(
        "calibrated to survey_baseline_measurements.csv, ")
    assert set(calibration.fitted) == {"host_cycles_per_element_softmax", "host_cycles_per_element_normalization",
                                       "host_cycles_per_element_activation", "host_cycles_per_element_residual",
                                       "host_cycles_per_element_quantization", "dram_latency_cycles"}
    assert calibration.options == {"mapper": "gemmini"}
    base = load_accelerator_preset("gemmini-default")
    assert spec.host_cycles_per_element_residual > 10 * base.host_cycles_per_element_residual  # the survey's slow host
    assert NO_DEFINITIONS.calibration("gemmini-default") is None
