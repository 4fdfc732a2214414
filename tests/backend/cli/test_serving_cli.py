"""`dse serving` through the real command line (subprocess): the JSON fields, the low-rate run against the batch-1
report, accelerator flags, the curve, and bad input as exit code 2 with one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from simulator import Scenario, Workload, evaluate, load_accelerator_preset, load_model_preset


def dse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli.main", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "240"})


RUN = ("serving", "--model", "llama-3-8b", "--accelerator", "gemmini-transformer-32x32", "--requests", "200",
       "--prompt-len", "256", "--generate-len", "32")


def test_json_has_percentiles_goodput_and_requests() -> None:
    result = dse(*RUN, "--rate", "0.001", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for field in ("ttft_s", "tpot_s"):
        assert set(data[field]) >= {"p50", "p99"} and data[field]["p50"] <= data[field]["p99"]
    assert data["requests"] == 200 and data["goodput_tokens_per_s"] > 0
    batch_1 = evaluate(Workload(model=load_model_preset("llama-3-8b"), scenario=Scenario(prompt_len=256,
                                                                                        generate_len=32)),
                       load_accelerator_preset("gemmini-transformer-32x32"))
    assert data["tpot_s"]["p50"] == pytest.approx(batch_1.tpot_s, rel=0.05)


def test_accelerator_flags_slo_and_curve_apply() -> None:
    wide = json.loads(dse(*RUN, "--rate", "2", "--json").stdout)
    small = dse(*RUN, "--rate", "2", "--rows", "8", "--cols", "8", "--max-batch", "4", "--slo-tpot-ms", "1",
                "--curve", "--json")
    assert small.returncode == 0, small.stderr
    data = json.loads(small.stdout)
    assert data["max_batch"] == 4 and data["peak_batch"] == 4
    assert data["ttft_s"]["p50"] > wide["ttft_s"]["p50"]
    assert data["goodput_tokens_per_s"] == 0 and data["slo_met"] == 0
    assert [point["batch"] for point in data["curve"]["points"]] == [1, 2, 4]
    assert data["curve"]["goodput_batch"] is None and "no batch meets TPOT <= 1 ms" in data["curve"]["note"]


def test_the_table_names_the_percentiles() -> None:
    result = dse(*RUN, "--rate", "1", "--prompt-len-max", "512", "--generate-len-max", "64")
    assert result.returncode == 0, result.stderr
    assert "time to first token" in result.stdout and "p99" in result.stdout and "goodput" in result.stdout


@pytest.mark.parametrize(("extra", "message"), [
    (("--rate", "1", "--prompt-len-max", "10"), "high (10) is below low (256)"),
    (("--rate", "0"), "rate_per_s"),
    (("--rate", "1", "--prompt-len", "9000"), "max positions"),
    (("--rate", "1", "--accelerator", "no-such-chip"), "no-such-chip"),
])
def test_bad_input_is_one_line_and_exit_code_2(extra: tuple[str, ...], message: str) -> None:
    args = list(RUN)
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    result = dse(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
