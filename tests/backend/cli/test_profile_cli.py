"""`dse profile`: table, JSON, plot, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli.main import app

FIXTURES = Path(__file__).parents[2] / "simulator" / "fixtures" / "hf"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["profile", *args])


def test_table_shows_ops_and_totals() -> None:
    result = run("--model", "bert-base", "--seq-len", "128")
    assert result.exit_code == 0, result.output
    for text in ("q_proj", "qk_matmul", "softmax", "ffn_up", "layernorm_2", "model total", "22.425"):
        assert text in result.output


def test_json_document() -> None:
    result = run("--model", "bert-base", "--seq-len", "128", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["model"]["name"] == "bert-base"
    assert document["scenario"]["seq_len"] == 128
    keys = {"name", "kind", "layer_count", "m", "k", "n", "instances", "flops", "bytes_read", "bytes_written",
            "arithmetic_intensity", "elements"}
    assert all(keys <= set(op) for op in document["ops"])
    totals = document["totals"]
    assert {"flops", "gemm_flops", "bytes", "nonlinear_elements", "arithmetic_intensity"} <= set(totals)
    assert totals["gemm_flops"] == 22_347_251_712
    assert totals["flops"] == sum(op["flops"] * op["layer_count"] for op in document["ops"])


def test_decoder_reports_prefill_decode_and_per_token() -> None:
    result = run("--model", "gpt2", "--prompt-len", "32", "--generate-len", "100", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    phases = document["phases"]
    assert set(phases) == {"prefill", "decode"}
    assert phases["prefill"]["flops"] + phases["decode"]["flops"] == document["totals"]["flops"]
    assert document["decode_per_token"]["flops"] == phases["decode"]["flops"] // 100
    table = run("--model", "gpt2", "--prompt-len", "32", "--generate-len", "100")
    assert "decode per token" in table.output and "prefill total" in table.output


def test_config_import(tmp_path: Path) -> None:
    result = run("--config", str(FIXTURES / "llama-2-7b-hf" / "config.json"), "--seq-len", "64", "--json")
    assert result.exit_code == 0, result.output
    assert any(op["name"] == "ffn_gate" for op in json.loads(result.output)["ops"])


def test_plot_writes_html(tmp_path: Path) -> None:
    out = tmp_path / "share.html"
    result = run("--model", "bert-base", "--seq-len", "512", "--plot", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "FLOPs share by operator class" in html and "4096" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "bert-base", "--seq-len", "0"], "--seq-len: Input should be greater than 0"),
        (["--model", "bert-base", "--seq-len", "128", "--batch", "-1"], "--batch: Input should be greater than 0"),
        (["--model", "bert-base", "--seq-len", "1024"], "--allow-longer"),
        (["--model", "bert-bse", "--seq-len", "128"], "did you mean"),
        (["--seq-len", "128"], "exactly one of --model"),
        (["--model", "gpt2", "--prompt-len", "-3"], "--prompt-len: Input should be greater than or equal to 0"),
        (["--model", "bert-base"], "give seq_len"),
        (["--config", "/nonexistent/config.json", "--seq-len", "8"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_heads_not_dividing_d_model(tmp_path: Path) -> None:
    config = json.loads((FIXTURES / "bert-base-uncased" / "config.json").read_text(encoding="utf-8"))
    config["num_attention_heads"] = 7
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    result = run("--config", str(path), "--seq-len", "8")
    assert result.exit_code == 2
    assert "does not divide d_model" in result.output


def test_allow_longer() -> None:
    result = run("--model", "bert-base", "--seq-len", "1024", "--allow-longer", "--json")
    assert result.exit_code == 0, result.output


def test_installed_entry_point() -> None:
    dse = Path(sys.executable).with_name("dse")
    completed = subprocess.run([str(dse), "profile", "--model", "nope", "--seq-len", "8"], capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode == 2
    assert completed.stderr.strip().startswith("error: unknown model preset 'nope'")
    assert "Traceback" not in completed.stderr
