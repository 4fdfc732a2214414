"""`POST /api/simulate` with a `layer`: one GEMM or convolution priced as `evaluate_layer` and the CLI price it
(`dse simulate-conv`, `dse simulate-gemm --mapping`, one JSON shape), illegal mappings and bad bodies as 422s that
name the field, library accelerators as for models. On SQLite and PostgreSQL (the `client` fixture)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from simulator.hardware import load_accelerator_preset
from simulator.layer import ConvLayer, GemmLayer, evaluate_layer
from simulator.measurements import to_validation_rows

pytestmark = pytest.mark.redis

CONV = {"kind": "conv", "batch": 1, "in_channels": 64, "out_channels": 64, "out_h": 56, "out_w": 56, "kernel_h": 3,
        "kernel_w": 3, "stride": 1}
CONV_FLAGS = ("--batch", "1", "--in-channels", "64", "--out-channels", "64", "--out-h", "56", "--out-w", "56",
              "--kernel-h", "3", "--kernel-w", "3", "--stride", "1")
GEMM_MAPPING = "L3[WIO] P4 - L2[WI] N1 K16X - L1[O] C32X - L0[W] P16"  # P = m 64, C = k 32, K = n 16 on 32x32


def dse_json(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "backend.cli.main", *args, "--json"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "240"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def simulate(client, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    answer = client.post("/api/simulate", json=body)
    assert answer.status_code == status, answer.text
    return answer.json()


def test_a_convolution_answers_what_the_cli_prints(client) -> None:
    """One schema for both: the API's body is the CLI's --json, under Gemmini's tiler (measured model, band)."""
    data = simulate(client, {"layer": CONV, "accelerator": "gemmini-firesim", "mapper": "gemmini"})
    assert data == dse_json("simulate-conv", *CONV_FLAGS, "--accelerator", "gemmini-firesim", "--mapper", "gemmini")
    assert data["model"] == "gemmini-measured" and data["breakdown"]["bound"] in ("host", "array", "reads", "writes",
                                                                                  "memory")
    assert data["cycles_low"] < data["cycles"] < data["cycles_high"] and "residuals" in data["band_source"]
    hw = load_accelerator_preset("gemmini-firesim")
    assert data["latency_s"] == pytest.approx(data["cycles"] / (hw.clock_ghz * 1e9))
    assert "tiled_conv_auto" in data["mapping"] and data["layer"].startswith("conv 1x64->64 out 56x56")


@pytest.mark.parametrize(("layer", "accelerator", "mapper"), [
    (GemmLayer(512, 768, 768), "gemmini-default", "optimal"),
    (GemmLayer(512, 768, 768), "gemmini-firesim", "gemmini"),
    (ConvLayer(2, 3, 64, 112, 112, 7, 7, 2), "gemmini-default", "optimal"),
    (ConvLayer(1, 256, 512, 28, 28, 1, 1, 2), "gemmini-firesim", "gemmini"),
])
def test_a_layer_costs_what_evaluate_layer_says(client, layer, accelerator, mapper) -> None:
    body = {"kind": layer.kind, **{name: getattr(layer, name) for name in (
        ("m", "k", "n") if layer.kind == "gemm" else ("batch", "in_channels", "out_channels", "out_h", "out_w",
                                                      "kernel_h", "kernel_w", "stride"))}}
    data = simulate(client, {"layer": body, "accelerator": accelerator, "mapper": mapper})
    expected = evaluate_layer(layer, load_accelerator_preset(accelerator), mapper=mapper)
    assert data["cycles"] == pytest.approx(expected.cycles, rel=1e-12) and data["model"] == expected.model
    assert data["mapper"] == mapper and data["kind"] == layer.kind
    if expected.model == "analytic":
        assert data["cycles_low"] is None and data["band_source"] == "not validated against measurements"
        assert data["breakdown"] is None and data["dram_bytes"] > 0


def test_a_gemm_under_an_explicit_mapping_is_the_clis(client) -> None:
    body = {"layer": {"kind": "gemm", "m": 64, "k": 32, "n": 16}, "accelerator": "gemmini-firesim",
            "overrides": {"rows": 32, "cols": 32}, "mapping": GEMM_MAPPING}
    data = simulate(client, body)
    assert data == dse_json("simulate-gemm", "--m", "64", "--k", "32", "--n", "16", "--accelerator",
                            "gemmini-firesim", "--rows", "32", "--cols", "32", "--mapping", GEMM_MAPPING)
    assert data["mapper"] == "explicit" and data["mapping"].startswith(f"explicit {GEMM_MAPPING}")


def test_a_training_rows_mapping_gives_the_cycles_of_simulate_conv(client) -> None:
    """A FireSim training row (the project's copy of DOSA's data) with its own mapping and the image it ran on."""
    row = next(r for r in to_validation_rows() if r["kind"] == "conv" and r["kernel_h"] == "3")
    sizes = {name: int(row[name]) for name in ("batch", "in_channels", "out_channels", "out_h", "out_w", "kernel_h",
                                               "kernel_w", "stride")}
    hardware = {name: int(row[name]) for name in ("rows", "cols", "scratchpad_kib", "accumulator_kib")}
    data = simulate(client, {"layer": {"kind": "conv", **sizes}, "accelerator": "gemmini-firesim",
                             "overrides": hardware, "mapping": row["mapping"]})
    flags = [part for name, value in {**sizes, **hardware}.items() for part in (f"--{name.replace('_', '-')}",
                                                                               str(value))]
    cli = dse_json("simulate-conv", *flags, "--accelerator", "gemmini-firesim", "--mapping", row["mapping"])
    assert data["cycles"] == cli["cycles"] and data["mapper"] == "explicit" and data["model"] == "gemmini-measured"
    assert data["cycles_low"] < data["cycles"] < data["cycles_high"]


@pytest.mark.parametrize(("body", "words"), [
    ({"layer": {"kind": "gemm", "m": 64, "k": 32, "n": 16}, "accelerator": "gemmini-firesim",
      "overrides": {"rows": 32, "cols": 32}, "mapping": "L3[WIO] P8 - L2[WI] N1 K16X - L1[O] C32X - L0[W] P16"},
     ["mapping: ", "does not tile the layer", "P: the factors multiply to 128, the layer's P is 64"]),
    ({"layer": {"kind": "gemm", "m": 64, "k": 32, "n": 16}, "accelerator": "gemmini-firesim",
      "mapping": GEMM_MAPPING}, ["mapping: ", "need a 32x32 array; this accelerator has 16x16"]),
    ({"layer": {"kind": "conv", "batch": 1, "in_channels": 3, "out_channels": 64, "out_h": 112, "out_w": 112,
                "kernel_h": 7, "kernel_w": 7, "stride": 2}, "accelerator": "gemmini-firesim",
      "overrides": {"scratchpad_kib": 64},
      "mapping": "L3[WIO] K8 Q28 - L2[WI] N1 K4X - L1[O] K2 S7 R7 Q4 P7 C3X - L0[W] P16"},
     ["mapping: ", "does not fit the scratchpad"]),
    ({"layer": {"kind": "gemm", "m": 64, "k": 32, "n": 16}, "mapping": "L3[WIO] K8"}, ["mapping: ", "1 level(s)"]),
])
def test_an_illegal_mapping_is_a_422_at_mapping(client, body, words) -> None:
    answer = simulate(client, body, 422)
    assert all(word in answer["detail"] for word in words), answer
    assert answer["errors"][0]["loc"] == "mapping" and "\n" not in answer["detail"]


@pytest.mark.parametrize(("body", "words"), [
    ({"model": "bert-base", "scenario": {"seq_len": 128}, "layer": {"kind": "gemm", "m": 8, "k": 8, "n": 8}},
     ["`model`", "`layer`", "exactly one"]),
    ({"accelerator": "gemmini-default"}, ["`model`", "`layer`", "exactly one"]),
    ({"layer": {"kind": "gemm", "m": 0, "k": 8, "n": 8}}, ["layer.gemm.m", "at least 1"]),
    ({"layer": {**CONV, "kernel_h": 65}}, ["layer.conv.kernel_h", "at most 64"]),
    ({"layer": {"kind": "gemv", "m": 8}}, ["layer", "'gemm', 'conv'"]),
    ({"layer": {"kind": "gemm", "m": 8, "k": 8}}, ["layer.gemm.n", "required"]),
    ({"layer": {"kind": "gemm", "m": 8, "k": 8, "n": 8}, "accelerator": "gemini-firesim"}, ["gemmini-firesim"]),
    ({"layer": {"kind": "gemm", "m": 8, "k": 8, "n": 8}, "overrides": {"rows": 0}}, ["rows"]),
    ({"layer": {"kind": "gemm", "m": 8, "k": 8, "n": 8}, "mapper": "best"}, ["mapper", "'optimal' or 'gemmini'"]),
    ({"layer": {"kind": "gemm", "m": 8, "k": 8, "n": 8}, "scenario": {"seq_len": 128}}, ["scenario"]),
    ({"model": "bert-base", "scenario": {"seq_len": 128}, "mapping": GEMM_MAPPING}, ["`mapping`", "options.mapper"]),
    ({"layer": {**CONV, "out_w": 55}, "accelerator": "gemmini-firesim", "mapper": "gemmini"}, ["not square"]),
    ({"layer": {"kind": "gemm", "m": 8, "k": 8, "n": 8}, "accelerator": "gemmini-os", "mapping": GEMM_MAPPING},
     ["weight-stationary only"]),
])
def test_bad_layer_bodies_are_422_naming_the_problem(client, body, words) -> None:
    answer = simulate(client, body, 422)
    assert all(word in answer["detail"] for word in words), answer


def test_a_library_accelerator_runs_a_layer_as_its_preset_with_overrides(client) -> None:
    made = client.post("/api/accelerators", json={"name": "firesim-32", "preset": "gemmini-firesim",
                                                  "overrides": {"rows": 32, "cols": 32}})
    assert made.status_code == 201, made.text
    layer = {"kind": "gemm", "m": 64, "k": 32, "n": 16}
    mine = simulate(client, {"layer": layer, "accelerator": "firesim-32", "mapping": GEMM_MAPPING})
    preset = simulate(client, {"layer": layer, "accelerator": "gemmini-firesim", "overrides": {"rows": 32, "cols": 32},
                               "mapping": GEMM_MAPPING})
    assert mine["cycles"] == preset["cycles"] and mine["accelerator"] == "firesim-32"


def test_openapi_documents_both_answers(client) -> None:
    document = client.get("/openapi.json").json()
    answer = document["paths"]["/api/simulate"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in answer["anyOf"]} == {"PointOut", "LayerOut"}
    layer = document["components"]["schemas"]["SimulateRequest"]["properties"]["layer"]
    assert "discriminator" in str(layer) and "GemmLayerIn" in str(layer) and "ConvLayerIn" in str(layer)
