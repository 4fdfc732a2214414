"""`dse profile` and `dse simulate` for a CNN (ResNet-50), beside a Transformer, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from backend.cli.main import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_profile_resnet_50_table_shows_unfused_and_fused_totals() -> None:
    result = run("profile", "--model", "resnet-50")
    assert result.exit_code == 0, result.output
    for text in ("224×224 px", "conv1", "conv2_1.b", "conv4_2-6.c", "conv5_1.shortcut.bn", "pool5", "fc",
                 "model total", "7.753", "model total, fused", "7.732"):
        assert text in result.output, text


def test_profile_resnet_50_json_has_the_transformer_shape_plus_fusion() -> None:
    cnn = run("profile", "--model", "resnet-50", "--json")
    bert = run("profile", "--model", "bert-base", "--seq-len", "128", "--json")
    assert cnn.exit_code == 0 and bert.exit_code == 0, cnn.output + bert.output
    cnn_doc, bert_doc = json.loads(cnn.output), json.loads(bert.output)
    assert set(cnn_doc) == set(bert_doc)
    assert set(cnn_doc["ops"][0]) == set(bert_doc["ops"][0])
    assert cnn_doc["model"]["family"] == "cnn" and cnn_doc["scenario"]["image_size"] == 224
    assert cnn_doc["totals"]["flops"] == 7_753_431_968
    assert cnn_doc["fused"]["bytes"] < cnn_doc["totals"]["bytes"]
    assert cnn_doc["fused_classes"]["normalization"]["bytes"] == 0
    assert bert_doc["fused"] == bert_doc["totals"]  # Transformer ops carry no fusion marker
    assert {op["fusion"] for op in cnn_doc["ops"]} == {"", "folded", "output_path", "accumulate"}


def test_profile_cnn_resolution_batch_and_layer_file(tmp_path: Path) -> None:
    result = run("profile", "--model", "resnet-18", "--image-size", "112", "--batch", "2", "--json")
    assert result.exit_code == 0, result.output
    conv1 = json.loads(result.output)["ops"][0]
    assert (conv1["name"], conv1["m"], conv1["k"], conv1["n"]) == ("conv1", 2 * 56 * 56, 147, 64)
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\nfamily: cnn\nimage_size: 8\nlayers:\n"
                    "  - {type: conv, name: c, out_channels: 4, kernel: 3, batchnorm: false, relu: false}\n")
    result = run("profile", "--config", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"]["flops"] == 2 * 64 * 27 * 4
    bad = run("profile", "--model", "resnet-50", "--image-size", "0")
    assert bad.exit_code == 2 and "--image-size: Input should be greater than 0" in bad.output


def test_simulate_resnet_50_beside_bert_base() -> None:
    cnn = run("simulate", "--model", "resnet-50", "--accelerator", "gemmini-default", "--json")
    bert = run("simulate", "--model", "bert-base", "--seq-len", "128", "--accelerator", "gemmini-default", "--json")
    assert cnn.exit_code == 0 and bert.exit_code == 0, cnn.output + bert.output
    cnn_report, bert_report = json.loads(cnn.output), json.loads(bert.output)
    assert cnn_report["model"] == "resnet-50" and cnn_report["latency_s"] > 0
    classes = cnn_report["cycles_by_class"]
    assert classes["convolution"] > 0.5 * cnn_report["latency_cycles"]  # a CNN on the CNN-tuned baseline
    # on the measured SoC's DRAM rate (3.06 B/cycle, docs/firesim_fit.md) ResNet-50's weight and activation streams
    # outlast its arithmetic; BERT-Base waits on its host-run non-linear ops
    assert cnn_report["bottleneck"] == "memory" and bert_report["bottleneck"] == "non-linear"
    assert cnn_report["utilization"] > 5 * bert_report["utilization"]
    table = run("simulate", "--model", "resnet-50", "--accelerator", "gemmini-default")
    assert table.exit_code == 0, table.output
    assert "resnet-50 on gemmini-default" in table.output and "folded" in table.output
    small = run("simulate", "--model", "resnet-50", "--image-size", "112", "--json")
    assert small.exit_code == 0, small.output
    assert json.loads(small.output)["macs"] < 0.3 * cnn_report["macs"]
