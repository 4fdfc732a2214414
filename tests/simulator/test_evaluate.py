"""The evaluate pipeline: totals equal the sum of operator rows, breakdowns add up, contract names exist."""

from __future__ import annotations

import pytest

from simulator import AcceleratorSpec, Options, Report, evaluate, evaluate_batch, load_accelerator_preset
from simulator.workload import Scenario, Workload, load_model_preset


def bert(seq_len: int = 128) -> Workload:
    return Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=seq_len))


@pytest.fixture(scope="module")
def baseline() -> Report:
    return evaluate(bert(), load_accelerator_preset("gemmini-default"))


@pytest.fixture(scope="module")
def optimized() -> Report:
    return evaluate(bert(), load_accelerator_preset("gemmini-transformer"))


@pytest.mark.parametrize("which", ["baseline", "optimized"])
def test_totals_are_sums_of_rows(which: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(which)
    assert report.latency_cycles == pytest.approx(sum(op.cycles for op in report.ops))
    assert report.dram_bytes == pytest.approx(sum(op.dram_bytes for op in report.ops))
    assert report.latency_cycles == pytest.approx(sum(report.cycles_by_class.values()))
    dynamic = report.energy_mac_j + report.energy_sram_j + report.energy_dram_j + report.energy_nonlinear_j
    assert report.energy_j == pytest.approx(dynamic + report.energy_static_j)
    assert sum(op.energy_j for op in report.ops) == pytest.approx(dynamic)
    assert report.edp_j_s == pytest.approx(report.energy_j * report.latency_s)
    assert report.power_w == pytest.approx(report.energy_j / report.latency_s)
    assert report.area_mm2 == pytest.approx(sum(report.area_breakdown_mm2.values()))
    assert 0 < report.utilization <= 1
    # BERT-Base l=128: 12 layers x (4 d^2 l + 2 d d_ff l + 2 l^2 d) MACs
    d, ff, l_ = 768, 3072, 128
    assert report.macs == 12 * (4 * d * d * l_ + 2 * d * ff * l_ + 2 * l_ * l_ * d)


def test_baseline_is_nonlinear_bound_and_optimized_is_faster(baseline: Report, optimized: Report) -> None:
    assert baseline.bottleneck == "non-linear"
    assert "quantization" in baseline.cycles_by_class
    assert all(op.where == "host_cpu" for op in baseline.ops if op.kind != "gemm")
    assert optimized.latency_cycles < baseline.latency_cycles / 5
    assert optimized.area_mm2 > baseline.area_mm2  # non-linear units cost area
    for op in optimized.ops:
        if op.kind == "gemm":
            assert op.mapping.startswith("ws tile")


def test_fusion_and_on_chip_scores_cut_dram_traffic() -> None:
    hw = load_accelerator_preset("gemmini-transformer")
    fused = evaluate(bert(), hw, Options())
    unfused = evaluate(bert(), hw, Options(fuse_nonlinear=False, keep_scores_on_chip=False))
    assert fused.dram_bytes < unfused.dram_bytes
    assert fused.latency_cycles <= unfused.latency_cycles


def test_objective_changes_are_consistent() -> None:
    hw = load_accelerator_preset("gemmini-transformer", dram_bytes_per_cycle=64)
    fast = evaluate(bert(), hw, Options(mapping_objective="latency"))
    frugal = evaluate(bert(), hw, Options(mapping_objective="energy"))
    assert fast.latency_cycles <= frugal.latency_cycles * 1.001
    assert frugal.energy_j <= fast.energy_j * 1.001


def test_evaluate_batch_matches_evaluate() -> None:
    items = [(bert(), AcceleratorSpec(rows=r, cols=c, scratchpad_kib=sp), Options())
             for r, c, sp in ((8, 8, 64), (16, 16, 256), (32, 32, 64))]
    batch = evaluate_batch(items).metrics["latency_cycles"]
    assert batch == pytest.approx([evaluate(*item).latency_cycles for item in items], rel=1e-12)
    assert batch[2] < batch[0]


def test_decoder_workload_runs() -> None:
    workload = Workload(model=load_model_preset("gpt2"), scenario=Scenario(prompt_len=16, generate_len=8))
    report = evaluate(workload, load_accelerator_preset("gemmini-transformer"))
    assert {op.phase for op in report.ops} == {"prefill", "decode"}
    assert report.latency_cycles > 0
