"""`evaluate_batch` (arrays, simulator/batch.py) agrees with `evaluate` (the reference) on every metric and
breakdown, for random points drawn over every accelerator, option and scenario field of the catalog, failures
included."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from simulator import AcceleratorSpec, Options, evaluate, load_accelerator_preset
from simulator.batch import QUANTITIES, evaluate_batch
from simulator.catalog import METRICS, OP_CLASSES, PARAMETERS, PHASES, Entry
from simulator.fusion import NAMES as FUSION_GROUPS
from simulator.options import PRECISIONS
from simulator.workload import Scenario, Workload, load_model_preset

# One model per family, and a mixture of experts (the model is not a field of the point's records; the scenario's
# fields are drawn).
MODELS = ["bert-base", "vit-b-16", "resnet-50", "gpt2", "llama-2-7b", "t5-base", "mixtral-8x7b"]
# Where a field's catalog range is wider than a test can evaluate quickly, or mostly infeasible, the sub-range it is
# drawn from (checked to lie within the catalog's bounds); every other numeric field is drawn over its bounds.
SENSIBLE: dict[str, tuple[float, float]] = {
    "rows": (2, 64), "cols": (2, 64), "input_bits": (8, 32), "weight_bits": (8, 32), "accumulator_bits": (16, 48),
    "scratchpad_kib": (128, 4096), "accumulator_kib": (32, 1024), "dram_bytes_per_cycle": (1, 128),
    "dram_latency_cycles": (1, 500), "l2_kib": (64, 4096), "l2_bytes_per_cycle": (4, 256),
    "l2_latency_cycles": (1, 200), "dma_request_bytes": (8, 512), "dma_max_in_flight": (1, 64), "clock_ghz": (0.2, 3),
    "technology_nm": (5, 90), "nonlinear_elements_per_cycle": (1, 64), "nonlinear_passes": (1, 8),
    "host_cycles_per_element_softmax": (1, 100), "host_cycles_per_element_normalization": (1, 100),
    "host_cycles_per_element_activation": (1, 100), "host_cycles_per_element_residual": (1, 100),
    "host_cycles_per_element_quantization": (1, 100), "gemm_efficiency": (0.3, 1),
    "memory_gib": (1, 256), "link_gb_s": (1, 400), "link_latency_us": (0.1, 10), "tensor_parallel": (1, 2),
    "prefill_chunk": (4, 64), "pipeline_parallel": (1, 2), "batch": (1, 8), "seq_len": (8, 512), "prompt_len": (1, 128),
    "generate_len": (1, 8),
    "image_size": (32, 256)}
# Choices drawn more often than the others: most float-array points would be refused (no float format as narrow as
# most drawn widths), and so would most measured-model points under mapper gemmini (its array is square, int8/int32):
# refusals are cheap to check but teach less (test_measured_pricing_agrees_with_evaluate draws where it runs).
LIKELIER = {"array_format": "int", "pricing": "analytic"}
EDGE = 0.1  # the share of draws at a minimum of 0 (no L2, no DMA limit, no lanes, no latency, ...) or at None


def _number(rng: random.Random, entry: Entry) -> float:
    low, high = SENSIBLE.get(entry.name, (entry.minimum, entry.maximum))
    assert low is not None and high is not None, f"{entry.name}: give it a sub-range in SENSIBLE"
    assert entry.minimum is None or low >= entry.minimum, entry.name
    assert entry.maximum is None or high <= entry.maximum, entry.name
    if entry.minimum == 0 and not entry.exclusive_minimum and rng.random() < EDGE:
        return 0
    value = math.exp(rng.uniform(math.log(low), math.log(high))) if low > 0 else rng.uniform(low, high)
    if entry.exclusive_minimum and entry.minimum is not None:
        value = max(value, math.nextafter(entry.minimum, math.inf))
    return round(value) if entry.type == "int" else value


def _precision(width: str) -> Callable[[random.Random, dict[str, Any]], str | None]:
    """Mostly a precision the array runs (its number format, no wider than its `width` field), or None on an
    integer array; sometimes any precision (then the point is refused, which is checked too)."""
    def draw_one(rng: random.Random, values: dict[str, Any]) -> str | None:
        if rng.random() < 0.05:
            return rng.choice([*PRECISIONS, None])
        fitting = [name for name, (bits, kind) in PRECISIONS.items()
                   if kind == values["array_format"] and bits <= values[width]]
        if values["array_format"] == "int":
            fitting.append(None)
        return rng.choice(fitting or list(PRECISIONS))
    return draw_one


def _fusion(rng: random.Random, _: dict[str, Any]) -> str | None:
    if rng.random() < 0.3:
        return rng.choice([None, "none"])
    return "+".join(rng.sample(FUSION_GROUPS, rng.randint(1, len(FUSION_GROUPS))))


def _sparsity(rng: random.Random, _: dict[str, Any]) -> str:
    if rng.random() < 0.5:
        return "dense"
    m = rng.randint(2, 8)
    return f"{rng.randint(1, m - 1)}:{m}"


def _devices(_: random.Random, values: dict[str, Any]) -> int:
    """Devices are the split's product (any other value is refused by the scenario)."""
    return values["tensor_parallel"] * values["pipeline_parallel"]


# Fields whose draw depends on the accelerator's (or the scenario's), or whose text has a grammar of its own.
SPECIAL: dict[str, Callable[[random.Random, dict[str, Any]], Any]] = {
    "weight_precision": _precision("weight_bits"), "activation_precision": _precision("input_bits"),
    "fusion": _fusion, "sparsity": _sparsity, "devices": _devices}


def draw(rng: random.Random, source: str, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """A value for every catalogued field of `source` (`given`: the accelerator's values, for SPECIAL draws)."""
    values: dict[str, Any] = {}
    for entry in (e for e in PARAMETERS if e.source == source):
        if entry.name in SPECIAL:
            values[entry.name] = SPECIAL[entry.name](rng, given or values)
        elif entry.nullable and rng.random() < EDGE:
            values[entry.name] = None
        elif entry.choices:
            likelier = LIKELIER.get(entry.name)
            values[entry.name] = likelier if likelier and rng.random() < 0.8 else rng.choice(entry.choices)
        elif entry.type == "bool":
            values[entry.name] = rng.random() < 0.5
        else:
            values[entry.name] = _number(rng, entry)
    return values


def random_points(seed: int, count: int) -> list[tuple[Workload, AcceleratorSpec, Options]]:
    """Points whose records are valid (a workload, accelerator or options its own validators refuse is no point);
    many still cannot be evaluated (a format the array lacks, a tile that fits no memory): those are kept."""
    rng = random.Random(seed)
    points: list[tuple[Workload, AcceleratorSpec, Options]] = []
    while len(points) < count:
        hardware = draw(rng, "accelerator")
        try:
            workload = Workload(model=load_model_preset(rng.choice(MODELS)), scenario=Scenario(**draw(rng, "scenario")))
            hw = AcceleratorSpec(**hardware)
        except ValueError:  # e.g. a decode length on an encoder, lanes on an accelerator that needs none
            continue
        points.append((workload, hw, Options(**draw(rng, "options", hardware))))
    return points


def test_every_field_is_drawn_over_several_values() -> None:
    points = random_points(0, 60)
    records = {"scenario": [w.scenario for w, _, _ in points], "accelerator": [hw for _, hw, _ in points],
               "options": [o for _, _, o in points]}
    for entry in PARAMETERS:
        if entry.source in records:
            seen = {getattr(record, entry.name) for record in records[entry.source]}
            assert len(seen) > 1, entry.name


def _assert_agree(report: Any, batch: Any, i: int) -> None:
    for metric in METRICS:
        expected, got = getattr(report, metric.name), batch.metrics[metric.name][i]
        if isinstance(expected, float):
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-300), (i, metric.name)
        else:
            assert got == expected, (i, metric.name)
    columns = [("op_class", name) for name in OP_CLASSES] + [("phase", name) for name in PHASES]
    for q, quantity in enumerate(QUANTITIES):
        for c, (by, name) in enumerate(columns):
            expected = sum(getattr(op, quantity) for op in report.ops if getattr(op, by) == name)
            assert batch.breakdown[i, q, c] == pytest.approx(expected, rel=1e-9, abs=1e-300), (i, quantity, name)


@pytest.mark.parametrize("seed", range(6))
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
        _assert_agree(report, batch, i)
    assert failed < len(points) / 2  # the draw exercises real evaluations


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


def test_measured_pricing_agrees_with_evaluate() -> None:
    """Gemmini's measured execution model (mapper gemmini, pricing gemmini-measured) over a grid of arrays and
    memories, with analytic points and a non-square array among them: the same metrics, bands and errors both
    ways."""
    rng = random.Random(7)
    points = []
    for model, scenario in (("resnet-50", {}), ("bert-base", {"seq_len": 128}), ("gpt2", {"prompt_len": 8,
                                                                                         "generate_len": 2})):
        workload = Workload(model=load_model_preset(model), scenario=Scenario(**scenario))
        for side in (8, 16, 32):
            for pricing in ("gemmini-measured", "analytic"):
                hw = load_accelerator_preset("gemmini-firesim", rows=side, cols=side, pricing=pricing,
                                             scratchpad_kib=rng.choice([256, 1024, 4096]),
                                             accumulator_kib=rng.choice([64, 256, 4096]))
                points.append((workload, hw, Options(mapper="gemmini", gemm_output="accumulator")))
        points.append((workload, load_accelerator_preset("gemmini-firesim", cols=32), Options(mapper="gemmini")))
    batch = evaluate_batch(points)
    measured = 0
    for i, (workload, hw, options) in enumerate(points):
        try:
            report = evaluate(workload, hw, options)
        except ValueError as error:
            assert str(batch.errors[i]) == str(error), i
            assert hw.rows == hw.cols or "set pricing: analytic" in str(error)
            continue
        assert batch.errors[i] is None, (i, batch.errors[i])
        _assert_agree(report, batch, i)
        assert (report.latency_low_s is None) == (hw.pricing == "analytic")
        measured += report.latency_low_s is not None
    assert measured == 9


def test_gemm_works_asking_alike_request_alike() -> None:
    """`evaluate_batch` asks the search once for GEMMs whose `GemmWork.asked` is equal: every field (and op shape)
    that changes `request` must change `asked` too."""
    from dataclasses import fields, replace

    from simulator.lower import GemmWork, lower

    hw = load_accelerator_preset("gemmini-transformer")
    options = Options()
    lowered = lower(Workload(model=load_model_preset("gpt2"), scenario=Scenario(prompt_len=16, generate_len=2)), hw,
                    options)
    work = next(w for w in lowered.work if isinstance(w, GemmWork))
    key = hw.hardware_key()
    changed = {"k": work.k + 1, "a_bits": work.a_bits / 2, "b_bits": work.b_bits / 2, "out_bits": work.out_bits * 2,
               "a_source": "chip", "b_source": "l2", "c_dest": "chip", "whole_rows": not work.whole_rows,
               "fusion": "other", "b_transposed": not work.b_transposed,
               "op": replace(work.op, m=work.op.m + 1, n=work.op.n + 1)}
    assert set(changed) == {f.name for f in fields(GemmWork)}
    for name, value in changed.items():
        other = replace(work, **{name: value})
        if other.request(key, options) != work.request(key, options):
            assert other.asked() != work.asked(), name
    renamed = replace(work, op=replace(work.op, name="another op"))
    assert renamed.asked() == work.asked() and renamed.request(key, options) == work.request(key, options)
