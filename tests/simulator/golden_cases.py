"""The design points whose full reports are pinned in tests/simulator/golden/*.json.

Regenerate them only in a commit that changes a formula (`DSE_UPDATE_GOLDEN=1 pytest tests/simulator/test_golden.py`)
and say in that commit what moved and why.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from simulator import Options, Report, evaluate, load_accelerator_preset
from simulator.workload import Scenario, Workload, load_model_preset

GOLDEN_DIR = Path(__file__).parent / "golden"
RELATIVE_TOLERANCE = 1e-9

ACCELERATORS = ("gemmini-default", "gemmini-transformer", "gemmini-32x32")
# name -> (model preset, scenario fields, options)
WORKLOADS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "bert-base-128": ("bert-base", {"seq_len": 128}, {}),
    "bert-base-512": ("bert-base", {"seq_len": 512}, {}),
    "gpt2-kv": ("gpt2", {"prompt_len": 64, "generate_len": 64}, {}),
    "gpt2-no-kv": ("gpt2", {"prompt_len": 64, "generate_len": 16}, {"kv_cache": False}),
    "llama-2-7b-decode": ("llama-2-7b", {"prompt_len": 128, "generate_len": 32}, {}),
    "resnet-50": ("resnet-50", {}, {}),
    "vit-b-16": ("vit-b-16", {}, {}),
}
# Quantization and sparsity variants: (workload, accelerator, extra accelerator fields, options).
VARIANTS: dict[str, tuple[str, str, dict[str, Any], dict[str, Any]]] = {
    "bert-base-512-int4": ("bert-base-512", "gemmini-transformer", {},
                           {"weight_precision": "int4", "activation_precision": "int4"}),
    "bert-base-512-2of4": ("bert-base-512", "gemmini-transformer", {"sparse_support": True}, {"sparsity": "2:4"}),
    "llama-2-7b-decode-int4": ("llama-2-7b-decode", "gemmini-transformer", {}, {"weight_precision": "int4"}),
    "llama-2-7b-decode-2of4": ("llama-2-7b-decode", "gemmini-32x32", {"sparse_support": True}, {"sparsity": "2:4"}),
    # Gemmini's own tiler, and the LayerNorm fusions that lose with a 128 KiB accumulator (survey Sec 5.5)
    "bert-base-512-gemmini-tiler": ("bert-base-512", "gemmini-transformer", {}, {"mapper": "gemmini"}),
    "bert-base-512-ln-fusion": ("bert-base-512", "gemmini-transformer", {"accumulator_kib": 128},
                                {"mapper": "gemmini", "fusion": "wout_layernorm+ffn2_layernorm",
                                 "gemm_output": "accumulator"}),
    # Gemmini's measured execution model (pricing gemmini-measured, mapper gemmini): latency, band, per-op cycles
    "resnet-50-measured": ("resnet-50", "gemmini-firesim", {}, {"mapper": "gemmini", "gemm_output": "accumulator"}),
    "bert-base-128-measured": ("bert-base-128", "gemmini-firesim", {},
                               {"mapper": "gemmini", "gemm_output": "accumulator"}),
}

# Serving points (issue 29): batched decode, eight-way tensor parallelism, mixture of experts.
# name -> (model, accelerator, accelerator overrides, scenario, options)
SERVING: dict[str, tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "llama-3-8b-tp1-batch32": ("llama-3-8b", "gemmini-transformer-32x32", {},
                               {"prompt_len": 512, "generate_len": 128, "batch": 32}, {}),
    "llama-3-70b-tp8": ("llama-3-70b", "gemmini-transformer-32x32", {"link_gb_s": 50, "link_latency_us": 2},
                        {"prompt_len": 2048, "generate_len": 256, "tensor_parallel": 8}, {}),
    "mixtral-8x7b-tp4-batch8": ("mixtral-8x7b", "gemmini-transformer-32x32", {},
                                {"prompt_len": 512, "generate_len": 64, "batch": 8, "tensor_parallel": 4}, {}),
}


def cases() -> dict[str, tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """case name -> (model, accelerator, accelerator overrides, scenario, options)."""
    out = {f"{name}@{entry[1]}": entry for name, entry in SERVING.items()}
    for workload, (model, scenario, options) in WORKLOADS.items():
        for accelerator in ACCELERATORS:
            out[f"{workload}@{accelerator}"] = (model, accelerator, {}, scenario, options)
    for name, (workload, accelerator, overrides, options) in VARIANTS.items():
        model, scenario, base_options = WORKLOADS[workload]
        out[f"{name}@{accelerator}"] = (model, accelerator, overrides, scenario, {**base_options, **options})
    return out


def report_of(case: str) -> Report:
    model, accelerator, overrides, scenario, options = cases()[case]
    workload = Workload(model=load_model_preset(model), scenario=Scenario(**scenario))
    return evaluate(workload, load_accelerator_preset(accelerator, **overrides), Options(**options))


def path_of(case: str) -> Path:
    return GOLDEN_DIR / f"{case.replace('@', '__')}.json"


def write(case: str) -> None:
    path_of(case).write_text(json.dumps(report_of(case).model_dump(mode="json"), indent=1, sort_keys=True) + "\n")


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every place two JSON values differ: numbers beyond the relative tolerance, anything else unequal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{where}.{key}: missing" for key in expected if key not in actual]
        out += [f"{where}.{key}: unexpected" for key in actual if key not in expected]
        for key in expected:
            if key in actual:
                out += differences(expected[key], actual[key], f"{where}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items expected, {len(actual)} found"]
        pairs = enumerate(zip(expected, actual, strict=True))
        return [d for i, (e, a) in pairs for d in differences(e, a, f"{where}[{i}]")]
    numbers = (int, float)
    if (isinstance(expected, numbers) and isinstance(actual, numbers)
            and not isinstance(expected, bool) and not isinstance(actual, bool)):
        if math.isclose(expected, actual, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-300):
            return []
        return [f"{where}: {expected!r} expected, {actual!r} found ({(actual - expected) / (expected or 1):+.3e})"]
    return [] if expected == actual else [f"{where}: {expected!r} expected, {actual!r} found"]
