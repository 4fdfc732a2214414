"""`dse validate` and `dse simulate-conv` through the real command line (subprocess): the bundled FireSim training
set end to end, JSON fields, the predictions file, and bad input as exit code 2 with one clear line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def dse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli.main", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "240"})


def test_validate_runs_the_bundled_training_set() -> None:
    result = dse("validate", "--firesim-training", "--accelerator", "gemmini-default", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["rows"]) == 1567
    summary = data["summary"]
    for field in ("median_abs_error", "mean_abs_error", "spearman", "geomean_ratio"):
        assert isinstance(summary[field], float)
        assert all(isinstance(figures[field], float) for figures in summary["by_kind"].values())
    assert {kind: figures["rows"] for kind, figures in summary["by_kind"].items()} == {"conv": 1236, "gemm": 331}
    assert all(row["predicted_cycles"] > 0 for row in data["rows"])


def test_validate_a_file_prints_the_table_and_writes_predictions(tmp_path: Path) -> None:
    measurements = tmp_path / "m.csv"
    measurements.write_text("kind,m,k,n,batch,in_channels,out_channels,out_h,out_w,kernel_h,kernel_w,stride,cycles\n"
                            "gemm,128,768,768,,,,,,,,,300000\nconv,,,,1,64,64,56,56,3,3,1,500000\n")
    out = tmp_path / "predictions.csv"
    result = dse("validate", str(measurements), "--mapper", "gemmini", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "GEMM 128x768x768" in result.stdout and "median |error|" in result.stdout
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["kind"] for r in rows] == ["gemm", "conv"] and rows[0]["mapper"] == "gemmini"
    assert float(rows[0]["error"]) == pytest.approx(float(rows[0]["predicted_cycles"]) / 300000 - 1)


def test_simulate_conv_json_has_cycles() -> None:
    result = dse("simulate-conv", "--batch", "1", "--in-channels", "64", "--out-channels", "64", "--out-h", "56",
                 "--out-w", "56", "--kernel-h", "3", "--kernel-w", "3", "--stride", "1", "--rows", "32",
                 "--cols", "32", "--mapper", "gemmini", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kind"] == "conv" and data["cycles"] >= data["compute_cycles"] > 0
    assert data["gemm"] == {"m": 3136, "k": 576, "n": 64} and "Gemmini tiler" in data["mapping"]


CONV = ("simulate-conv", "--batch", "1", "--in-channels", "3", "--out-channels", "64", "--out-h", "112", "--out-w",
        "112", "--kernel-h", "7", "--kernel-w", "7", "--stride", "2")


def test_bad_input_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,m,k,n,scratchpad_kb,cycles\ngemm,1,2,3,64,5\n")
    cases = [
        (("validate", str(bad)), "error: line 1: unknown column 'scratchpad_kb' (did you mean scratchpad_kib?)"),
        (("validate",), "error: give a MEASUREMENTS.csv file or --firesim-training"),
        (("validate", "--firesim-training", "--accelerator", "gemmini-defualt"),
         "error: unknown accelerator preset 'gemmini-defualt'; did you mean gemmini-default"),
        ((*CONV, "--mapping", "L3[WIO] K8 Q28 - L2[WI] N1 K4X - L1[O] K2 S7 R7 Q4 P7 C3X - L0[W] P16"),
         "error: explicit mappings are not evaluated yet"),
        ((*CONV, "--mapping", "L3[WIO] K8 - L2[WI] N1 K4X - L1[O] C3X - L0[W] P16"), "does not tile the layer"),
        ((*CONV, "--mapping", "L3[WIO] K8"), "has 1 level(s)"),
    ]
    for args, message in cases:
        result = dse(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)
