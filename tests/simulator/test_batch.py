"""`evaluate_batch` (arrays, simulator/batch.py) agrees with `evaluate` (the reference) on every metric and
breakdown, for random points of every model family, accelerator preset and option, failures included."""

from __future__ import annotations

import random

import pytest

from simulator import Options, evaluate, load_accelerator_preset
from simulator.batch import QUANTITIES, evaluate_batch
from simulator.catalog import METRICS, OP_CLASSES, PHASES
from simulator.workload import Scenario, Workload, load_model_preset

WORKLOADS = [("bert-base", {"seq_len": 128}), ("bert-base", {"seq_len": 512}), ("vit-b-16", {}),
             ("resnet-50", {}), ("gpt2", {"prompt_len": 64, "generate_len": 16}),
             ("gpt2", {"prompt_len": 0, "generate_len": 8}), ("llama-2-7b", {"prompt_len": 32, "generate_len": 4}),
             ("t5-base", {"seq_len": 64, "generate_len": 8}), ("bert-base", {"seq_len": 128, "batch": 4})]
PRESETS = ["gemmini-default", "gemmini-transformer", "gemmini-32x32", "gemmini-os", "gemmini-8x8",
           "survey-analytic", "gemmini-transformer-32x32"]
HARDWARE = {"rows": [8, 16, 32], "cols": [8, 16, 32], "scratchpad_kib": [16, 64, 256], "accumulator_kib": [8, 64, 256],
            "dram_bytes_per_cycle": [4, 16, 64], "l2_kib": [0, 512], "clock_ghz": [0.5, 1.0], "technology_nm": [7, 45],
            "nonlinear_elements_per_cycle": [4, 16], "dram_latency_cycles": [40, 200], "timing": ["gemmini", "scalesim",
                                                                                                 "analytic"]}
OPTIONS = {"mapper": ["optimal", "gemmini"], "mapping_objective": ["latency", "energy", "edp"],
           "tiling": ["search", "square"], "gemm_output": ["requantized", "accumulator"],
           "fusion": [None, "none", "attention+ffn1_activation", "wout_layernorm+ffn2_layernorm+residual",
                      "qk_softmax+conv_epilogue"], "weight_precision": [None, "int4", "fp16"],
           "sparsity": ["dense", "2:4"], "kv_cache": [True, False]}


def random_points(seed: int, count: int) -> list[tuple[Workload, object, Options]]:
    rng = random.Random(seed)
    points = []
    while len(points) < count:
        model, scenario = rng.choice(WORKLOADS)
        overrides = {name: rng.choice(values) for name, values in HARDWARE.items() if rng.random() < 0.4}
        if rng.random() < 0.3:
            overrides["sparse_support"] = True
        options = {name: rng.choice(values) for name, values in OPTIONS.items() if rng.random() < 0.4}
        try:
            hw = load_accelerator_preset(rng.choice(PRESETS), **overrides)
        except ValueError:  # e.g. lanes on an accelerator that needs none: not a point
            continue
        points.append((Workload(model=load_model_preset(model), scenario=Scenario(**scenario)), hw, Options(**options)))
    return points


@pytest.mark.parametrize("seed", range(4))
def test_the_batch_agrees_with_evaluate(seed: int) -> None:
    points = random_points(seed, 60)
    batch = evaluate_batch(points)
    failed = 0
    for i, (workload, hw, options) in enumerate(points):
        try:
            report = evaluate(workload, hw, options)
        except ValueError as error:
            failed += 1
            assert batch.errors[i] is not None and str(batch.errors[i]) == str(error), (i, error, batch.errors[i])
            assert batch.metrics["latency_s"][i] is None
            continue
        assert batch.errors[i] is None, (i, batch.errors[i])
        for metric in METRICS:
            expected, got = getattr(report, metric.name), batch.metrics[metric.name][i]
            if isinstance(expected, float):
                assert got == pytest.approx(expected, rel=1e-9, abs=1e-300), (i, metric.name)
            else:
                assert got == expected, (i, metric.name)
        for q, quantity in enumerate(QUANTITIES):
            for c, op_class in enumerate(OP_CLASSES):
                expected = sum(getattr(op, quantity) for op in report.ops if op.op_class == op_class)
                assert batch.breakdown[i, q, c] == pytest.approx(expected, rel=1e-9, abs=1e-300), (i, op_class)
            for p, phase in enumerate(PHASES):
                expected = sum(getattr(op, quantity) for op in report.ops if op.phase == phase)
                assert batch.breakdown[i, q, len(OP_CLASSES) + p] == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert failed < len(points)  # the draw exercises real evaluations


@pytest.mark.parametrize(("model", "scenario", "preset"), [("bert-base", {"seq_len": 512}, "gemmini-transformer"),
                                                            ("gpt2", {"prompt_len": 16, "generate_len": 8},
                                                             "gemmini-default"),
                                                            ("resnet-50", {}, "gemmini-32x32")])
def test_points_that_share_their_lowering_are_priced_together(model: str, scenario: dict, preset: str) -> None:
    """A hardware grid over what does not change the operator work (bandwidths, latencies, clock, node, lanes, host
    costs): one lowering group whose non-GEMM ops are priced as arrays."""
    workload = Workload(model=load_model_preset(model), scenario=Scenario(**scenario))
    points = [(workload, load_accelerator_preset(preset, dram_bytes_per_cycle=bw, dram_latency_cycles=latency,
                                                 clock_ghz=clock, technology_nm=node, l2_bytes_per_cycle=l2_bw,
                                                 host_cycles_per_element_softmax=host), Options())
              for bw in (8, 32) for latency in (50, 300) for clock in (0.5, 2.0) for node in (7, 22)
              for l2_bw in (8, 16) for host in (10, 60)]
    batch = evaluate_batch(points)
    for i, (w, hw, options) in enumerate(points):
        report = evaluate(w, hw, options)
        for metric in METRICS:
            expected = getattr(report, metric.name)
            if isinstance(expected, float):
                assert batch.metrics[metric.name][i] == pytest.approx(expected, rel=1e-9), (i, metric.name)
            else:
                assert batch.metrics[metric.name][i] == expected
