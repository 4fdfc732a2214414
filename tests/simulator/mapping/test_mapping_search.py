"""Mapping search: loop orders change traffic the way reuse says, and the cache is keyed by hardware."""

from __future__ import annotations

from simulator.hardware import AcceleratorSpec
from simulator.mapping import LOOP_ORDERS, gemm_cost


def test_all_six_loop_orders_are_searched() -> None:
    assert sorted(LOOP_ORDERS) == sorted(["mnk", "mkn", "nmk", "nkm", "kmn", "knm"])


def test_everything_fits_means_each_operand_moves_once() -> None:
    """A 64x64x64 int8 GEMM with ample memories and the energy objective: A, B read once (8 KiB), C written once."""
    hw = AcceleratorSpec(rows=16, cols=16, scratchpad_kib=256, accumulator_kib=256)
    cost = gemm_cost(64, 64, 64, hw, objective="energy")
    assert cost.dram_read_bytes == 2 * 64 * 64
    assert cost.dram_write_bytes == 64 * 64


def test_small_accumulator_forces_reuse_tradeoff() -> None:
    """A smaller accumulator allows only smaller output tiles, so operands are re-fetched: more traffic (over the
    local link; with no L2 it is all DRAM traffic)."""
    big = gemm_cost(512, 768, 768, AcceleratorSpec(accumulator_kib=1024, l2_kib=0), objective="energy")
    small = gemm_cost(512, 768, 768, AcceleratorSpec(accumulator_kib=16, l2_kib=0), objective="energy")
    assert small.dram_bytes > big.dram_bytes
    assert small.mapping.accumulator_bytes_used <= 16 * 1024


def test_on_chip_operands_have_no_traffic() -> None:
    hw = AcceleratorSpec()
    both = gemm_cost(128, 64, 128, hw)
    kept = gemm_cost(128, 64, 128, hw, c_dest="chip")
    assert kept.dram_write_bytes < both.dram_write_bytes


def test_cache_distinguishes_hardware() -> None:
    a = gemm_cost(256, 256, 256, AcceleratorSpec(rows=8, cols=8))
    b = gemm_cost(256, 256, 256, AcceleratorSpec(rows=16, cols=16))
    assert a is not b and a.compute_cycles > b.compute_cycles


def test_tilings_cached_for_one_bandwidth_price_another_as_a_cold_search_would() -> None:
    """The tilings are cached apart from bandwidth, DRAM latency and node: reusing them for another value must
    choose exactly what a search with empty caches chooses."""
    from simulator.mapping import cache_clear

    shapes = [(512, 768, 768), (512, 64, 512), (128, 3072, 768)]
    variants = [dict(dram_bytes_per_cycle=bw, dram_latency_cycles=lat, technology_nm=node)
                for bw, lat, node in ((4.0, 100, 45), (16.0, 100, 45), (64.0, 400, 7), (1.0, 10, 22))]
    cold = {}
    for variant in variants:
        for shape in shapes:
            cache_clear()
            cold[(tuple(variant.values()), shape)] = gemm_cost(*shape, AcceleratorSpec(scratchpad_kib=64, **variant))
    cache_clear()
    for variant in variants:  # now every variant after the first reuses the first one's tilings
        for shape in shapes:
            warm = gemm_cost(*shape, AcceleratorSpec(scratchpad_kib=64, **variant))
            assert warm == cold[(tuple(variant.values()), shape)]
    assert len({cold[(tuple(v.values()), shapes[0])].cycles for v in variants}) > 1  # the variants do differ
