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


def test_validate_prices_every_training_row_on_gemmini_firesim() -> None:
    """The training set's own mappings on the measured model: docs/firesim_fit.md's all-rows figures."""
    result = dse("validate", "--firesim-training", "--accelerator", "gemmini-firesim", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["rows"]) == 1567
    summary = data["summary"]
    for field in ("median_abs_error", "mean_abs_error", "spearman", "geomean_ratio", "within_band"):
        assert isinstance(summary[field], float)
        assert all(isinstance(figures[field], float) for figures in summary["by_kind"].values())
    assert {kind: figures["rows"] for kind, figures in summary["by_kind"].items()} == {"conv": 1236, "gemm": 331}
    assert summary["median_abs_error"] < 0.15 and summary["spearman"] > 0.97
    assert all(figures["median_abs_error"] < 0.15 for figures in summary["by_kind"].values())
    assert all(row["model"] == "gemmini-measured" and row["mapper"] == "explicit" for row in data["rows"])
    assert all(row["cycles_low"] < row["cycles_high"] and row["predicted_cycles"] > 0 for row in data["rows"])
    assert not any("not evaluated" in note for note in data["notes"])


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


def test_simulate_conv_json_has_cycles_and_the_band() -> None:
    result = dse("simulate-conv", "--batch", "1", "--in-channels", "64", "--out-channels", "64", "--out-h", "56",
                 "--out-w", "56", "--kernel-h", "3", "--kernel-w", "3", "--stride", "1", "--accelerator",
                 "gemmini-firesim", "--rows", "32", "--cols", "32", "--mapper", "gemmini", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kind"] == "conv" and data["cycles"] >= data["compute_cycles"] > 0
    assert data["model"] == "gemmini-measured" and data["gemm"] is None and "tiled_conv_auto" in data["mapping"]
    assert data["cycles_low"] < data["cycles_high"] and data["breakdown"]["bound"] in ("host", "array", "reads",
                                                                                       "writes", "memory")
    analytic = json.loads(dse("simulate-conv", "--batch", "1", "--in-channels", "64", "--out-channels", "64",
                              "--out-h", "56", "--out-w", "56", "--kernel-h", "3", "--kernel-w", "3", "--stride",
                              "1", "--json").stdout)
    assert analytic["model"] == "analytic" and analytic["cycles_low"] is None
    assert analytic["band_source"] == "not validated against measurements"
    assert analytic["gemm"] == {"m": 3136, "k": 576, "n": 64}
    # mapper gemmini on an accelerator whose pricing is analytic (gemmini-default) is the analytic model too
    tiler = json.loads(dse("simulate-conv", "--batch", "1", "--in-channels", "64", "--out-channels", "64",
                           "--out-h", "56", "--out-w", "56", "--kernel-h", "3", "--kernel-w", "3", "--stride", "1",
                           "--mapper", "gemmini", "--json").stdout)
    assert tiler["model"] == "analytic" and tiler["cycles_low"] is None


STEM_MAPPING = "L3[WIO] K8 Q28 - L2[WI] N1 K4X - L1[O] K2 S7 R7 Q4 P7 C3X - L0[W] P16"


def test_mapping_option_prices_the_mapping() -> None:
    stem = dse(*CONV, "--accelerator", "gemmini-firesim", "--rows", "4", "--cols", "4", "--mapping", STEM_MAPPING,
               "--json")
    assert stem.returncode == 0, stem.stderr
    data = json.loads(stem.stdout)
    assert data["cycles"] == pytest.approx(9_853_947, rel=0.01) and data["mapper"] == "explicit"  # measured
    gemm = dse("simulate-gemm", "--m", "64", "--k", "32", "--n", "16", "--accelerator", "gemmini-firesim",
               "--mapping", "L3[WIO] P4 - L2[WI] N1 K16X - L1[O] C32X - L0[W] P16", "--rows", "32", "--cols", "32",
               "--json")
    assert gemm.returncode == 0, gemm.stderr
    data = json.loads(gemm.stdout)
    assert data["cycles"] > 0 and data["cycles_low"] < data["cycles"] < data["cycles_high"]
    table = dse("simulate-gemm", "--m", "64", "--k", "32", "--n", "16", "--accelerator", "gemmini-firesim",
                "--mapping", "L3[WIO] P4 - L2[WI] N1 K16X - L1[O] C32X - L0[W] P16", "--rows", "32", "--cols", "32")
    assert "error band" in table.stdout and "band: grouped 5-fold CV residuals" in table.stdout


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
        ((*CONV, "--mapping", STEM_MAPPING, "--scratchpad-kib", "64"),
         "error: the mapping's tile does not fit the scratchpad: it needs 52.6094 KiB"),
        ((*CONV, "--mapping", STEM_MAPPING, "--cols", "32"), "its array is square"),
        (("simulate-gemm", "--m", "64", "--k", "32", "--n", "16", "--mapping",
          "L3[WIO] P4 - L2[WI] N1 K8X - L1[O] C32X - L0[W] P16"), "does not tile the layer"),
        ((*CONV, "--mapping", "L3[WIO] K8 - L2[WI] N1 K4X - L1[O] C3X - L0[W] P16"), "does not tile the layer"),
        ((*CONV, "--mapping", "L3[WIO] K8"), "has 1 level(s)"),
    ]
    for args, message in cases:
        result = dse(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)


def test_rows_naming_no_mapper_take_the_accelerators_default(tmp_path: Path) -> None:
    """gemmini-firesim is priced by the measured model: its rows run Gemmini's tiler unless they say otherwise;
    `--mapper optimal` and a row's own mapper column still decide."""
    measurements = tmp_path / "m.csv"
    measurements.write_text("kind,m,k,n,mapper,cycles\ngemm,128,256,64,,9000\ngemm,128,256,64,optimal,9000\n",
                            encoding="utf-8")
    default = json.loads(dse("validate", str(measurements), "--accelerator", "gemmini-firesim", "--json").stdout)
    assert default["mapper"] == "gemmini"
    assert [row["model"] for row in default["rows"]] == ["gemmini-measured", "analytic"]
    asked = json.loads(dse("validate", str(measurements), "--accelerator", "gemmini-firesim", "--mapper", "optimal",
                           "--json").stdout)
    assert asked["mapper"] == "optimal" and [row["model"] for row in asked["rows"]] == ["analytic", "analytic"]
    analytic = json.loads(dse("validate", str(measurements), "--accelerator", "gemmini-default", "--json").stdout)
    assert analytic["mapper"] == "optimal" and {row["model"] for row in analytic["rows"]} == {"analytic"}
