"""Serving on one design: the curve's goodput, the arrival-driven run against the batch-1 report, capacity."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import Options, Scenario, Workload, evaluate, load_accelerator_preset, load_model_preset
from simulator.serving import (
    CurvePoint,
    EmpiricalLength,
    FixedLength,
    IterationCosts,
    ServingRun,
    Slo,
    UniformLength,
    curve_batches,
    goodput,
    max_batch,
    serve,
    serving_curves,
    simulate_serving,
)
from simulator.serving.iteration_costs import grid_nodes

LLAMA = load_model_preset("llama-3-8b")
GEMMINI = load_accelerator_preset("gemmini-transformer-32x32")
WORKLOAD = Workload(model=LLAMA, scenario=Scenario(prompt_len=256, generate_len=32))


def _point(batch: int, tokens_per_s: float, tpot_ms: float, ttft_ms: float, slo: Slo) -> CurvePoint:
    return CurvePoint(batch=batch, tokens_per_s=tokens_per_s, decode_tokens_per_s=tokens_per_s,
                      ttft_s=ttft_ms / 1e3, tpot_s=tpot_ms / 1e3, latency_s=1.0,
                      meets_slo=slo.met(tpot_ms / 1e3, ttft_ms / 1e3))


def test_curve_batches_are_powers_of_two_and_the_max() -> None:
    assert curve_batches(256) == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert curve_batches(100) == [1, 2, 4, 8, 16, 32, 64, 100]
    assert curve_batches(1) == [1]
    assert curve_batches(0) == []


def test_goodput_is_the_best_throughput_meeting_both_bounds() -> None:
    slo = Slo(slo_tpot_ms=50, slo_ttft_ms=500)
    points = [_point(1, 10, 20, 100, slo), _point(8, 60, 40, 400, slo),
              _point(16, 90, 45, 900, slo),  # fast enough per token, but its first token is late
              _point(32, 120, 70, 450, slo)]  # first token in time, tokens too slow
    assert goodput(points, slo) == (60, 8, "")


def test_no_batch_meeting_the_slo_is_a_result_with_a_reason() -> None:
    slo = Slo(slo_tpot_ms=1)
    best, batch, note = goodput([_point(1, 10, 20, 100, slo), _point(4, 30, 25, 300, slo)], slo)
    assert (best, batch) == (None, None)
    assert "no batch meets TPOT <= 1 ms" in note and "20 ms" in note and "batch 1" in note


def test_curve_on_two_designs_matches_evaluate_and_picks_its_goodput() -> None:
    # TPOT 1.3 s: batch 1 decodes at 1.23 s per token at the DRAM rate fitted to FireSim (the SLO was 0.53 s before)
    slo = Slo(slo_tpot_ms=1300, slo_ttft_ms=20_000)
    other = load_accelerator_preset("gemmini-32x32")
    curves = serving_curves(WORKLOAD, [GEMMINI, other], slo=slo, batch_limit=64)
    assert [c.accelerator for c in curves] == [GEMMINI.name, other.name]
    for curve, hw in zip(curves, (GEMMINI, other), strict=True):
        assert [p.batch for p in curve.points] == [1, 2, 4, 8, 16, 32, 64]
        at_8 = evaluate(Workload(model=LLAMA, scenario=Scenario(batch=8, prompt_len=256, generate_len=32)), hw)
        point = curve.points[3]
        assert point.tpot_s == pytest.approx(at_8.tpot_s, rel=1e-12)
        assert point.tokens_per_s == pytest.approx(8 * 32 / at_8.latency_s, rel=1e-12)
        meeting = [p for p in curve.points if p.tpot_s <= 1.3 and p.ttft_s <= 20]
        assert curve.goodput_tokens_per_s == (max(p.tokens_per_s for p in meeting) if meeting else None)
    assert curves[0].goodput_batch is not None and curves[0].goodput_batch > 1


def test_a_curve_needs_generated_tokens() -> None:
    with pytest.raises(ValueError, match="generate_len >= 1"):
        serving_curves(Workload(model=LLAMA, scenario=Scenario(prompt_len=64)), [GEMMINI])


def test_max_batch_is_the_limit_when_everything_fits() -> None:
    assert max_batch(WORKLOAD, GEMMINI, Options(), 48) == 48


def test_max_batch_is_the_largest_batch_device_memory_holds() -> None:
    """On a device whose memory bounds the batch, the curve stops at the report's max batch: that batch evaluates,
    the next one is refused with the capacity message."""
    small = GEMMINI.model_copy(update={"memory_gib": 9.0})
    bound = max_batch(WORKLOAD, small, Options(), 256)
    assert 1 < bound < 256
    with_batch = lambda b: Workload(model=LLAMA, scenario=WORKLOAD.scenario.model_copy(update={"batch": b}))  # noqa: E731
    assert evaluate(with_batch(bound), small, Options()).memory_used_gib <= 9.0
    with pytest.raises(ValueError, match="does not fit device memory"):
        evaluate(with_batch(bound + 1), small, Options())
    assert serving_curves(WORKLOAD, [small])[0].points[-1].batch == bound
    assert max_batch(WORKLOAD, small, Options(), 8) == min(8, bound)


def test_batch_1_that_cannot_run_raises_its_own_error() -> None:
    tiny = load_accelerator_preset("gemmini-transformer-32x32", scratchpad_kib=1, accumulator_kib=1)
    with pytest.raises(ValueError, match="no tile of GEMM .* fits on chip"):
        max_batch(WORKLOAD, tiny, Options(), 4)


def test_grid_nodes_are_exact_small_then_four_per_octave() -> None:
    assert grid_nodes(40).tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40]


def test_iteration_costs_are_the_report_at_nodes_and_interpolated_between() -> None:
    costs = IterationCosts(WORKLOAD, GEMMINI)
    step = evaluate(Workload(model=LLAMA, scenario=Scenario(batch=16, prompt_len=255, generate_len=1)), GEMMINI)
    assert costs.decode_steps_s(16, np.array([256.0]))[0] == pytest.approx(step.tpot_s, rel=1e-12)
    between = costs.decode_steps_s(18, np.array([300.0]))[0]
    assert costs.decode_steps_s(16, np.array([300.0]))[0] < between < costs.decode_steps_s(20, np.array([300.0]))[0]
    prefill = evaluate(Workload(model=LLAMA, scenario=Scenario(prompt_len=256)), GEMMINI).ttft_s
    assert costs.chunk_s(0, 128) + costs.chunk_s(128, 256) == pytest.approx(prefill, rel=1e-12)


def _run(**fields) -> ServingRun:
    return ServingRun(**{"rate_per_s": 0.5, "requests": 200, "prompt": FixedLength(tokens=256),
                         "generate": FixedLength(tokens=32), **fields})


def test_low_rate_p50_tpot_is_the_batch_1_tpot() -> None:
    """Requests seldom overlap at one per ~1000 s (each takes ~20 s), so most run alone: batch-1 TPOT."""
    batch_1 = evaluate(WORKLOAD, GEMMINI)
    result = serve(WORKLOAD, GEMMINI, None, _run(rate_per_s=0.001, requests=300))
    assert result.tpot_s.p50 == pytest.approx(batch_1.tpot_s, rel=0.05)
    assert result.ttft_s.p50 == pytest.approx(batch_1.ttft_s, rel=0.05)
    assert result.requests == 300 and result.slo_met == 1.0


def test_a_seed_makes_a_run_repeat_and_another_seed_changes_it() -> None:
    costs = IterationCosts(WORKLOAD, GEMMINI)
    run = _run(prompt=UniformLength(low=64, high=512), generate=EmpiricalLength(tokens=[8, 32, 64], weights=[1, 2, 1]))
    first, again = simulate_serving(costs, run, 16), simulate_serving(costs, run, 16)
    assert first == again
    other = simulate_serving(costs, run.model_copy(update={"seed": 1}), 16)
    assert other.ttft_s != first.ttft_s


def test_capacity_bounds_the_requests_in_flight_and_queueing_shows_in_ttft() -> None:
    costs = IterationCosts(WORKLOAD, GEMMINI)
    busy = _run(rate_per_s=5.0, requests=120)
    narrow, wide = simulate_serving(costs, busy, 4), simulate_serving(costs, busy, 64)
    assert narrow.peak_batch == 4 and narrow.max_batch == 4
    assert 4 < wide.peak_batch <= 64
    assert narrow.ttft_s.p99 > wide.ttft_s.p99  # requests wait for a free slot
    assert narrow.tpot_s.p50 < wide.tpot_s.p50  # but a smaller batch decodes each token sooner
    bounded = serve(WORKLOAD, GEMMINI, None, busy.model_copy(update={"max_batch": 8}))
    assert bounded.max_batch == 8 and bounded.peak_batch == 8


def test_goodput_counts_only_requests_meeting_the_slo() -> None:
    costs = IterationCosts(WORKLOAD, GEMMINI)
    loose = simulate_serving(costs, _run(rate_per_s=2.0, requests=100), 32)
    strict = simulate_serving(costs, _run(rate_per_s=2.0, requests=100, slo_ttft_ms=loose.ttft_s.p50 * 1e3), 32)
    assert loose.goodput_tokens_per_s == pytest.approx(loose.throughput_tokens_per_s)
    assert 0.3 < strict.slo_met < 0.7
    assert strict.goodput_tokens_per_s == pytest.approx(strict.throughput_tokens_per_s * strict.slo_met, rel=1e-9)


def test_bad_runs_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="high .* below low"):
        UniformLength(low=10, high=5)
    with pytest.raises(ValueError, match="weights"):
        EmpiricalLength(tokens=[1, 2], weights=[1.0])
    with pytest.raises(ValueError, match="prompt lengths must be >= 1"):
        simulate_serving(IterationCosts(WORKLOAD, GEMMINI), _run(prompt=FixedLength(tokens=0)), 4)
    with pytest.raises(ValueError, match="max positions"):
        serve(WORKLOAD, GEMMINI, None, _run(prompt=FixedLength(tokens=9000)))
    with pytest.raises(ValueError, match="decoder"):
        IterationCosts(Workload(model=load_model_preset("bert-base"), scenario=Scenario(seq_len=128)), GEMMINI)


def test_a_run_past_its_time_bound_stops_with_a_reason() -> None:
    costs = IterationCosts(WORKLOAD, GEMMINI)
    with pytest.raises(ValueError, match="needs more than 0 s"):
        simulate_serving(costs, _run(requests=2000, rate_per_s=5.0), 8, max_seconds=0)


def test_the_scalar_step_is_the_array_step() -> None:
    costs = IterationCosts(WORKLOAD, GEMMINI)
    for batch, kv in ((1, 256.0), (3, 300.5), (18, 1000.0), (64, 17.25)):
        assert costs.decode_step_s(batch, kv) == pytest.approx(costs.decode_steps_s(batch, np.array([kv]))[0],
                                                               rel=1e-12)
