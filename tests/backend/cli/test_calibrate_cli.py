"""`dse calibrate` end to end (real `dse` subprocesses, files in a temporary directory): it prints the fit and the
leave-one-out tables and writes a preset that `dse accelerator add` puts in the library, labelled calibrated there
and in `dse simulate`; bad measurements are one line on stderr naming the line, exit code 2."""

from __future__ import annotations

from pathlib import Path

import yaml

from backend.migrate import upgrade
from tests.backend.cli.test_library_cli import dse
from tests.simulator.test_calibrate import ALTERED_HOST, CONFIGURATIONS, measured_csv


def test_calibrate_writes_a_preset_the_library_takes_and_every_view_labels(tmp_path: Path) -> None:
    (tmp_path / "chip.csv").write_text(measured_csv("gemmini-default", ALTERED_HOST, CONFIGURATIONS[:2]))
    done = dse(tmp_path, "calibrate", "chip.csv", "--preset", "gemmini-default", "-o", "my-chip.yaml")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for text in ("Fitted constants of gemmini-default", "Host softmax cost (host_cycles_per_element_softmax)",
                 "Fit: simulated against measured cycles", "Leave-one-out: each row predicted by a refit without it",
                 "RMS log error", "wrote my-chip.yaml: my-chip, calibrated to chip.csv, ",
                 "add it to the team library: dse accelerator add my-chip my-chip.yaml"):
        assert text in out, text
    preset = yaml.safe_load((tmp_path / "my-chip.yaml").read_text())
    assert preset["name"] == "my-chip" and preset["calibration"]["base_preset"] == "gemmini-default"
    assert preset["host_cycles_per_element_softmax"] == 90.0
    assert preset["calibration"]["leave_one_out"]["rows_predicted"] == preset["calibration"]["rows"]

    upgrade(f"sqlite:///{tmp_path / 'var' / 'dse.sqlite3'}")
    added = dse(tmp_path, "accelerator", "add", "my-chip", "my-chip.yaml")
    assert added.returncode == 0, added.stderr
    assert "accelerator my-chip added: 16x16 ws, 256 KiB scratchpad, calibrated to chip.csv, " in added.stdout
    listed = dse(tmp_path, "accelerator", "list").stdout
    assert "my-chip" in listed and "calibrated to chip.csv" in listed
    simulated = dse(tmp_path, "simulate", "--model", "bert-base", "--seq-len", "128", "--accelerator", "my-chip")
    assert simulated.returncode == 0, simulated.stderr
    assert "bert-base on my-chip (16x16 ws), calibrated to chip.csv, " in simulated.stdout
    shipped = dse(tmp_path, "simulate", "--model", "bert-base", "--seq-len", "128", "--accelerator",
                  "gemmini-default-calibrated")
    assert "calibrated to survey_baseline_measurements.csv, " in shipped.stdout
    plain = dse(tmp_path, "simulate", "--model", "bert-base", "--seq-len", "128")
    assert "calibrated" not in plain.stdout


def test_bad_measurements_and_an_under_determined_fit_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("model,seq_len,accelerator,op_class,cycles\n"
                                      "bert-base,128,gemmini-default,softmax,-1\n")
    (tmp_path / "one.csv").write_text("model,seq_len,accelerator,op_class,cycles\n"
                                      "bert-base,128,gemmini-default,softmax,2e8\n")
    for args, message in (
            (("bad.csv",), "error: bad.csv: line 2: cycles must be a positive number, not -1"),
            (("missing.csv",), "error: missing.csv does not exist"),
            (("one.csv", "--fit", "host_cycles_per_element_softmax,gemm_efficiency"),
             "error: under-determined: no measured row moves gemm_efficiency; 1 measurement row cannot "
             "determine 2 constants"),
            (("one.csv", "--mapper", "greedy"), "error: options: mapper: Input should be 'optimal' or 'gemmini'")):
        done = dse(tmp_path, "calibrate", *args, "--preset", "gemmini-default", "-o", "out.yaml")
        assert done.returncode == 2, (args, done.stdout)
        assert message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.yaml").exists()
