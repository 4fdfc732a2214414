"""AcceleratorSpec validation, presets and the technology table."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from simulator import evaluate
from simulator.design_point import PointInputs
from simulator.hardware import (
    AcceleratorSpec,
    Technology,
    UnknownPresetError,
    list_accelerator_presets,
    load_accelerator_preset,
    load_accelerator_preset_data,
    preset_options,
)


def test_presets_load_and_cite_sources() -> None:
    names = list_accelerator_presets()
    assert {"gemmini-default", "gemmini-transformer"} <= set(names)
    for name in names:
        spec = load_accelerator_preset(name)
        assert spec.name == name
        assert load_accelerator_preset_data(name)["sources"], name


def test_gemmini_default_matches_the_paper_baseline() -> None:
    spec = load_accelerator_preset("gemmini-default")
    assert (spec.rows, spec.cols, spec.dataflow) == (16, 16, "ws")
    assert (spec.input_bits, spec.accumulator_bits) == (8, 32)
    assert (spec.scratchpad_kib, spec.accumulator_kib) == (256, 64)
    assert all(spec.placement(c) == "host_cpu" for c in ("softmax", "normalization", "activation", "residual"))


def test_transformer_gemmini_rebalances_memory_and_has_units() -> None:
    spec = load_accelerator_preset("gemmini-transformer")
    assert (spec.scratchpad_kib, spec.accumulator_kib) == (64, 256)
    assert spec.softmax_on == "accelerator" and spec.nonlinear_elements_per_cycle == 16


def test_unknown_preset_lists_close_names() -> None:
    with pytest.raises(UnknownPresetError, match="did you mean gemmini-default"):
        load_accelerator_preset("gemmini-defualt")


def test_overrides_are_validated_with_field_names() -> None:
    assert load_accelerator_preset("gemmini-default", rows=32).rows == 32
    with pytest.raises(ValidationError, match="rows"):
        load_accelerator_preset("gemmini-default", rows=0)
    with pytest.raises(ValidationError, match="dataflow"):
        AcceleratorSpec(dataflow="is")
    with pytest.raises(ValidationError, match="softmax_on"):
        AcceleratorSpec(softmax_on="accelerator", nonlinear_elements_per_cycle=0)


def test_spec_is_frozen_and_flat() -> None:
    spec = AcceleratorSpec()
    with pytest.raises(ValidationError):
        spec.rows = 8
    for name, value in spec.model_dump().items():
        assert isinstance(value, str | int | float | bool), name


def test_technology_scales_and_interpolates() -> None:
    t45, t7 = Technology.at(45), Technology.at(7)
    assert t45.mac_pj(8, 8, 32) == pytest.approx(0.2 + 0.1)  # Horowitz int8 multiply + int32 add
    assert t7.mac_pj(8, 8, 32) < t45.mac_pj(8, 8, 32)
    assert t45.sram_pj_per_byte(8) == pytest.approx(10 / 8)
    assert t45.sram_pj_per_byte(32) == pytest.approx(20 / 8)
    assert t45.sram_pj_per_byte(8) < t45.sram_pj_per_byte(64) < t45.sram_pj_per_byte(1024)
    assert Technology.at(7).pe_mm2 < Technology.at(12).pe_mm2 < Technology.at(16).pe_mm2


def test_a_preset_carries_the_options_its_model_assumes() -> None:
    """survey-analytic is the survey's Sec 3.3 model: its square tiles, no fusion and 32-bit GEMM outputs apply
    wherever the preset is named, and a given option still wins."""
    assert preset_options("survey-analytic") == {"tiling": "square", "fusion": "none", "gemm_output": "accumulator"}
    assert preset_options("gemmini-default") == {"gemm_output": "accumulator"}  # int32 results to unfused ops
    point = PointInputs(model="bert-base", scenario={"seq_len": 128}, accelerator="survey-analytic",
                        options={"tiling": "search"}).resolve()
    assert (point.options.tiling, point.options.gemm_output, point.options.fusion_groups) == (
        "search", "accumulator", frozenset())
    assert point.accelerator.timing == "analytic" and point.accelerator.l2_kib == 2048
    # a point that says anything about fusion replaces the preset's choice, shorthand or named
    shorthand = PointInputs(model="bert-base", scenario={"seq_len": 128}, accelerator="survey-analytic",
                            options={"keep_scores_on_chip": True, "fuse_nonlinear": False}).resolve()
    assert shorthand.options.fusion_groups == {"attention"}


def test_the_survey_analytic_preset_follows_the_papers_bert_curve() -> None:
    """Kim et al. 2023 Fig. 11: BERT-Base normalized latency 1, 2, 5, 11, 28, 80 at l = 128 ... 4096 (ours within
    10%, benchmarks/survey_analytic.py prints the table)."""
    def latency(length: int) -> float:
        point = PointInputs(model="bert-base", scenario={"seq_len": length, "allow_longer": True},
                            accelerator="survey-analytic").resolve()
        return evaluate(point.workload, point.accelerator, point.options).latency_cycles

    base = latency(128)
    for length, paper in ((256, 2), (512, 5), (1024, 11), (2048, 28), (4096, 80)):
        assert abs(latency(length) / base - paper) <= 0.1 * paper, length


def test_the_measured_soc_preset_cites_a_file_for_every_field() -> None:
    """gemmini-firesim (docs/measured_soc.md §4): each field's source names the file it comes from, and what the
    sources do not give is named an assumption with its range."""
    data = load_accelerator_preset_data("gemmini-firesim")
    spec = load_accelerator_preset("gemmini-firesim")
    assert (spec.rows, spec.cols, spec.dataflow, spec.scratchpad_kib, spec.accumulator_kib) == (16, 16, "ws", 4096,
                                                                                                 4096)
    assert (spec.l2_kib, spec.l2_bytes_per_cycle, spec.dram_bytes_per_cycle, spec.dma_max_in_flight) == (512, 16, 8, 16)
    sources = data["sources"]
    grouped = {"host_cycles_per_element": "host_cycles_per_element_", "nonlinear": "_on"}
    for field in AcceleratorSpec.model_fields:
        if field in ("name", "description"):
            continue
        key = next((k for k, part in grouped.items() if part in field), field)
        assert key in sources, field
    for field in ("dram_latency_cycles", "l2_latency_cycles", "technology_nm", "host_cycles_per_element"):
        assert "assumption" in sources[field] and "range" in sources[field], field
    for field in ("rows", "scratchpad_kib", "l2_kib", "dma_request_bytes", "clock_ghz"):
        assert ".scala" in sources[field], field
    assert "docs/firesim_fit.md" in data["description"]
