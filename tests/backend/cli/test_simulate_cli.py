"""`dse simulate` and `dse simulate-gemm` through the real command line (subprocess): output and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def dse(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "240"}  # help text unwrapped
    return subprocess.run([sys.executable, "-m", "backend.cli.main", *args], capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize(("timing", "cycles"), [("scalesim", 14), ("gemmini", 15)])
def test_simulate_gemm_json_hand_computed(timing: str, cycles: int) -> None:
    """WS 2x2, (3x4).(4x2), ideal memory. SCALE-Sim's convention: 2 folds x (2 preload + 3 + 2 + 2 - 2) = 14;
    Gemmini's mesh: first preload 2 + 2 folds x 4 (3 rows in 2-row blocks) + fill/drain 5 = 15."""
    result = dse("simulate-gemm", "--m", "3", "--k", "4", "--n", "2", "--rows", "2", "--cols", "2",
                 "--dataflow", "ws", "--timing", timing, "--ideal-memory", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"cycles", "compute_cycles", "stall_cycles", "transfer_cycles", "dram_bytes",
                         "compulsory_dram_bytes", "l2_bytes", "utilization", "mapping"}
    assert data["cycles"] == data["compute_cycles"] == cycles
    assert data["stall_cycles"] == 0 and data["transfer_cycles"] == 0  # ideal memory: no transfers to wait for


def test_simulate_gemm_memory_options() -> None:
    result = dse("simulate-gemm", "--m", "512", "--k", "768", "--n", "768", "--rows", "16", "--cols", "16",
                 "--dataflow", "os", "--scratchpad-kib", "64", "--accumulator-kib", "64",
                 "--dram-bytes-per-cycle", "1", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cycles"] >= data["dram_bytes"] / 1 and data["stall_cycles"] > 0


@pytest.mark.parametrize(("args", "message"), [
    (("simulate-gemm", "--m", "64", "--k", "64", "--n", "64", "--scratchpad-kib", "0.5", "--json"),
     "no tile of GEMM 64x64x64 fits on chip"),
    (("simulate-gemm", "--m", "64", "--k", "64", "--n", "64", "--dataflow", "is", "--json"), "dataflow"),
    (("simulate", "--model", "bert-base", "--seq-len", "128", "--accelerator", "gemmini-defualt"),
     "did you mean gemmini-default"),
    (("simulate", "--model", "bert-base", "--seq-len", "128", "--rows", "0"), "rows"),
    (("simulate", "--model", "bert-base", "--seq-len", "128", "--softmax-on", "accelerator"),
     "nonlinear_elements_per_cycle"),
    (("simulate", "--model", "bert-base", "--seq-len", "128", "--sparsity", "3:2"), "sparsity must be"),
    (("simulate", "--model", "bert-base", "--seq-len", "128", "--accelerator", "gemmini-firesim", "--mapper",
      "gemmini", "--cols", "32"), "its array is square, DIM x DIM (this one is 16x32); set pricing: analytic"),
])
def test_errors_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    result = dse(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_simulate_table_and_json() -> None:
    table = dse("simulate", "--model", "bert-base", "--accelerator", "gemmini-default", "--seq-len", "128")
    assert table.returncode == 0, table.stderr
    assert "softmax" in table.stdout and "latency" in table.stdout and "bottleneck" in table.stdout
    result = dse("simulate", "--model", "bert-base", "--accelerator", "gemmini-transformer", "--seq-len", "128",
                 "--rows", "32", "--cols", "32", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["latency_cycles"] > 0 and report["ops"]
    assert {"op_class", "cycles", "bound", "mapping"} <= set(report["ops"][0])
    assert report["accelerator"] == "gemmini-transformer[rows=32,cols=32]"


def test_simulate_prints_the_latency_band_or_that_there_is_none() -> None:
    """On gemmini-firesim, mapper gemmini: the measured model's band beside latency and what it covers; with
    `--pricing analytic` no band, and the JSON says so."""
    args = ("simulate", "--model", "resnet-50", "--accelerator", "gemmini-firesim", "--mapper", "gemmini")
    table = dse(*args)
    assert table.returncode == 0, table.stderr
    latency = next(line for line in table.stdout.splitlines() if line.startswith("latency "))
    assert "(measured-model band " in latency and " ms – " in latency
    assert "band: measured model on " in table.stdout and "grouped-CV error bands" in table.stdout
    report = json.loads(dse(*args, "--json").stdout)
    assert report["latency_low_s"] < report["latency_s"] < report["latency_high_s"]
    conv = next(op for op in report["ops"] if op["name"] == "conv1")
    assert conv["pricing"] == "gemmini-measured" and conv["cycles_low"] < conv["cycles"] < conv["cycles_high"]
    analytic = dse(*args, "--pricing", "analytic")
    assert analytic.returncode == 0, analytic.stderr
    assert "(not validated against measurements)" in analytic.stdout and "measured-model band" not in analytic.stdout
    data = json.loads(dse(*args, "--pricing", "analytic", "--json").stdout)
    assert (data["latency_low_s"], data["latency_high_s"]) == (None, None)
    assert data["validation"] == "not validated against measurements"


def test_every_catalog_parameter_is_a_flag() -> None:
    """The flags come from the simulator's catalog: every scenario, accelerator and option field is one."""
    from simulator import catalog

    text = dse("simulate", "--help").stdout
    for entry in catalog.PARAMETERS:
        if entry.source in ("scenario", "accelerator", "options"):
            assert f"--{entry.name.replace('_', '-')} " in text, entry.name
