"""The lowering's and the mapping cache's keys are derived from each field's `Knob.reads`: every accelerator field,
perturbed alone to other legal values, must leave a stage's result unchanged when the field is outside that stage's
key (else the cache would hand one accelerator's result to another), change the stage's fields when it is inside,
and change the stage's result (and its key) somewhere when it says the stage reads it (else the declaration is wrong
the other way). The mapping cache's key (`HardwareKey`) is what the formulas read, derived from the declared fields
(`gemm_fields`) alone."""

from __future__ import annotations

import math
import typing
from functools import cache
from typing import Any

import annotated_types
import pytest
from pydantic import ValidationError

from simulator import load_accelerator_preset
from simulator.hardware.spec import GEMM_FIELDS, LOWERING_FIELDS, AcceleratorSpec, HardwareKey
from simulator.lower import GemmWork, Lowered, lower
from simulator.mapping.gemm import MappingError, cache_clear, gemm_cost
from simulator.measured import measured_band
from simulator.options import Options
from simulator.vocabulary import STAGES, Knob
from simulator.workload import Scenario, Workload, load_model_preset

FIELDS = tuple(AcceleratorSpec.model_fields)

# Accelerators on which every field matters somewhere: an L2 with the DMA's request limit, no L2, analytic timing
# without a request limit, output-stationary SCALE-Sim timing, float PEs with structured sparsity, and memories small
# enough that a fusion group's whole-row tiles are at the edge of fitting.
ON_ACCELERATOR = {"softmax_on": "accelerator", "normalization_on": "accelerator", "activation_on": "accelerator",
                  "residual_on": "accelerator", "nonlinear_elements_per_cycle": 16.0}
BASES: dict[str, tuple[str, dict[str, Any]]] = {
    # the pre-fit round trip (L2 40 + DRAM 100) and DRAM rate, so the DMA's slots bind and the request fields count
    "l2-dma": ("gemmini-default", {"l2_latency_cycles": 40, "dram_latency_cycles": 100, "dram_bytes_per_cycle": 16}),
    "no-l2": ("gemmini-transformer", {"l2_kib": 0.0}),
    "analytic": ("survey-analytic", {}),
    "os-scalesim": ("gemmini-os", {"timing": "scalesim"}),
    "float-sparse": ("gemmini-default", {"array_format": "float", "input_bits": 16, "weight_bits": 16,
                                         "sparse_support": True, **ON_ACCELERATOR}),
    "tight": ("gemmini-default", {"scratchpad_kib": 16.0, "accumulator_kib": 2.0, "l2_kib": 64.0, **ON_ACCELERATOR}),
}
WORKLOADS = (("bert-base", {"seq_len": 128}), ("gpt2", {"prompt_len": 16, "generate_len": 8}), ("resnet-18", {}))
OPTIONS = (Options(), Options(mapper="gemmini", gemm_output="accumulator", fusion="qk_softmax+ffn2_layernorm+residual"),
           Options(sparsity="2:4", fuse_nonlinear=False, keep_scores_on_chip=False))
FLOAT_OPTIONS = (Options(weight_precision="fp16", activation_precision="fp16", sparsity="2:4"),
                 Options(weight_precision="fp16", activation_precision="fp16", fusion="attention+wout_layernorm"))
# GEMMs: square-ish, a decode GEMV, a tall one with N:M-like widths, a fused row-wise consumer's, scores on chip.
GEMMS: tuple[tuple[tuple[int, int, int], dict[str, Any]], ...] = (
    ((256, 768, 768), {}),
    ((1, 4096, 1024), {"mapper": "gemmini"}),
    ((197, 384, 1536), {"a_bits": 6.5, "b_transposed": True, "objective": "energy", "tiling": "square"}),
    ((64, 512, 128), {"whole_rows": True, "a_source": "l2", "c_dest": "l2", "objective": "edp"}),
    ((128, 64, 128), {"c_dest": "chip", "b_source": "l2"}),
)


def base(name: str) -> AcceleratorSpec:
    preset, overrides = BASES[name]
    return load_accelerator_preset(preset, **overrides)


def _bounds(name: str) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for meta in AcceleratorSpec.model_fields[name].metadata:
        if isinstance(meta, annotated_types.Ge):
            low = float(meta.ge)
        elif isinstance(meta, annotated_types.Gt):
            low = math.nextafter(float(meta.gt), math.inf)
        elif isinstance(meta, annotated_types.Le):
            high = float(meta.le)
    return low, high


def _candidates(name: str, value: Any) -> list[Any]:
    """Other values of the field's type: the other choices of a Literal, the other bool, scaled and shifted numbers
    within its bounds."""
    annotation = AcceleratorSpec.model_fields[name].annotation
    if typing.get_origin(annotation) is typing.Literal:
        return [choice for choice in typing.get_args(annotation) if choice != value]
    if annotation is bool:
        return [not value]
    if annotation is str:
        return [f"{value}-perturbed"]
    low, high = _bounds(name)
    numbers = (value * 2, value / 2, value * 4, value / 4, value + 1, value - 1, 0, 1)
    if annotation is int:
        numbers = tuple(int(x) for x in numbers)
    return list(dict.fromkeys(x for x in numbers if low <= x <= high and x != value))


def perturbed(hw: AcceleratorSpec, name: str) -> list[AcceleratorSpec]:
    """Up to three legal accelerators that differ from `hw` in `name` alone."""
    found = []
    for value in _candidates(name, getattr(hw, name)):
        try:
            found.append(AcceleratorSpec.model_validate({**hw.model_dump(), name: value}))
        except ValidationError:
            continue
    return found[:3]


def workload(model: str, scenario: dict[str, Any]) -> Workload:
    return Workload(model=load_model_preset(model), scenario=Scenario(**scenario))


def lowered(hw: AcceleratorSpec) -> list[Lowered | str]:
    """The lowering of every workload under every option that the accelerator's number format runs."""
    options = FLOAT_OPTIONS if hw.array_format == "float" else OPTIONS
    results: list[Lowered | str] = []
    for model, scenario in WORKLOADS:
        for option in options:
            try:
                results.append(lower(workload(model, scenario), hw, option))
            except ValueError as error:
                results.append(f"{type(error).__name__}: {error}")
    return results


@cache
def measured_works() -> tuple[GemmWork, ...]:
    """GEMMs and convolutions (with their geometry) of two workloads, for Gemmini's measured execution model."""
    hw = load_accelerator_preset("gemmini-default")
    return tuple(work for model, scenario in (WORKLOADS[0], WORKLOADS[2])
                 for work in lower(workload(model, scenario), hw, Options()).work if isinstance(work, GemmWork))


def uncached_gemms(hw: AcceleratorSpec) -> list[Any]:
    """Every GEMM's cost searched afresh with the whole accelerator in place of its key, so the search's formulas may
    read any field: one they read outside the key shows as a difference. The gemm stage's measured pricing too
    (`measured_band` under mapper gemmini: cycles and band where `pricing` says so), likewise given the whole
    accelerator."""
    results: list[Any] = []
    for shape, kwargs in GEMMS:
        cache_clear()
        try:
            results.append(gemm_cost(*shape, hw, hardware_key=hw, **kwargs))
        except MappingError as error:
            results.append(str(error))
    cache_clear()
    for work in measured_works():
        try:
            results.append(measured_band(work, hw, "gemmini"))
        except ValueError as error:
            results.append(str(error))
    return results


@cache
def reference(kind: str, name: str) -> list[Any]:
    return (lowered if kind == "lowering" else uncached_gemms)(base(name))


def test_every_accelerator_field_declares_the_stages_that_read_it() -> None:
    for name, info in AcceleratorSpec.model_fields.items():
        knobs = [meta for meta in info.metadata if isinstance(meta, Knob)]
        assert knobs and knobs[0].reads is not None, f"{name} does not say which stages read it"
        assert knobs[0].reads <= STAGES


def test_the_keys_are_the_declared_fields() -> None:
    hw = base("l2-dma")
    assert hw.gemm_fields()._fields == GEMM_FIELDS
    assert hw.gemm_fields() == tuple(getattr(hw, name) for name in GEMM_FIELDS)
    assert hw.lowering_key() == tuple(getattr(hw, name) for name in LOWERING_FIELDS)
    assert {"gemm_efficiency", "technology_nm", "dma_max_in_flight", "l2_latency_cycles", "pricing"} <= set(
        GEMM_FIELDS)
    assert "pricing" in HardwareKey._fields
    assert "clock_ghz" not in GEMM_FIELDS and "clock_ghz" not in LOWERING_FIELDS


def test_the_hardware_key_derives_the_links_from_the_gemm_fields_as_the_accelerator_does() -> None:
    for name in BASES:
        for hw in [base(name), *perturbed(base(name), "dma_max_in_flight"), *perturbed(base(name), "l2_kib")]:
            fields = hw.gemm_fields()
            for quantity in ("scratchpad_bytes", "accumulator_bytes", "l2_bytes", "local_link", "memory_link",
                             "request_link", "dram_link_bytes_per_cycle"):
                assert getattr(fields, quantity) == getattr(hw, quantity), (name, quantity)
            assert hw.hardware_key() == HardwareKey.of(fields) == HardwareKey.of(hw)


@pytest.mark.parametrize("field", FIELDS)
def test_a_field_outside_the_lowering_key_cannot_change_the_lowering(field: str) -> None:
    if field in LOWERING_FIELDS:
        for name in BASES:
            for other in perturbed(base(name), field):
                assert other.lowering_key() != base(name).lowering_key(), (field, name)
        return
    for name in BASES:
        for other in perturbed(base(name), field):
            assert other.lowering_key() == base(name).lowering_key()
            assert lowered(other) == reference("lowering", name), (field, name, getattr(other, field))


@pytest.mark.parametrize("field", FIELDS)
def test_a_field_outside_the_gemm_key_cannot_change_a_gemm(field: str) -> None:
    if field in GEMM_FIELDS:
        for name in BASES:
            for other in perturbed(base(name), field):
                assert other.gemm_fields() != base(name).gemm_fields(), (field, name)
        return
    for name in BASES:
        for other in perturbed(base(name), field):
            assert other.gemm_fields() == base(name).gemm_fields()
            assert other.hardware_key() == base(name).hardware_key()
            assert uncached_gemms(other) == reference("gemm", name), (field, name, getattr(other, field))


@pytest.mark.parametrize(("stage", "field"), [("lowering", f) for f in LOWERING_FIELDS]
                         + [("gemm", f) for f in GEMM_FIELDS])
def test_a_field_declared_read_by_a_stage_changes_its_result_somewhere(stage: str, field: str) -> None:
    """The converse: a declared field that no perturbation changes is read nowhere in that stage (it only costs
    cache hits, but the declaration would be wrong)."""
    priced = lowered if stage == "lowering" else uncached_gemms
    key = AcceleratorSpec.lowering_key if stage == "lowering" else AcceleratorSpec.hardware_key
    others = [(name, other) for name in BASES for other in perturbed(base(name), field)]
    assert any(priced(other) != reference(stage, name) for name, other in others), (
        f"no perturbation of {field} changes the {stage} stage")
    assert any(key(other) != key(base(name)) for name, other in others)


def test_every_field_is_perturbed_on_some_accelerator() -> None:
    missing = [field for field in FIELDS if not any(perturbed(base(name), field) for name in BASES)]
    assert not missing
