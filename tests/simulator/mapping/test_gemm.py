"""GEMM model: hand-computed cycle counts on tiny arrays, legality of the chosen tiles, monotonicity."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.hardware import AcceleratorSpec
from simulator.mapping import MappingError, gemm_cost

BIG = dict(scratchpad_kib=1024, accumulator_kib=1024)


def spec(**fields) -> AcceleratorSpec:
    return AcceleratorSpec(**{**BIG, **fields})


def test_ws_hand_computed_ideal_memory() -> None:
    """WS on a 2x2 array, (3x4).(4x2), ideal memory, SCALE-Sim's timing.

    Folds: ceil(K/R)=2 along K, ceil(N/C)=1 along N, one M-tile of 3 rows.
    Each fold: preload R=2 cycles + stream 3 rows skewed through 2x2 (3 + R + C - 2 = 5) = 7 cycles.
    Total = 2 folds * 7 = 14 cycles; utilization = 24 MACs / (14 * 4) = 0.4286.
    """
    cost = gemm_cost(3, 4, 2, spec(rows=2, cols=2, dataflow="ws", timing="scalesim"), ideal_memory=True)
    assert cost.compute_cycles == 14
    assert cost.cycles == 14
    assert cost.stall_cycles == 0
    assert cost.utilization == pytest.approx(24 / 56)


def test_os_hand_computed_ideal_memory() -> None:
    """OS on a 2x2 array, (4x3).(3x2), ideal memory, SCALE-Sim's timing.

    Output folds: ceil(M/R)=2 x ceil(N/C)=1. Each fold streams the whole K=3 (one K-tile):
    K + R + C - 2 = 5 cycles of skewed streaming; outputs drain while the next fold streams in.
    Total = 2 * 5 = 10 cycles (SCALE-Sim reports 9: the index of the last busy cycle).
    """
    cost = gemm_cost(4, 3, 2, spec(rows=2, cols=2, dataflow="os", timing="scalesim"), ideal_memory=True)
    assert cost.compute_cycles == 10
    assert cost.cycles == 10


def test_ws_hand_computed_with_memory() -> None:
    """WS 2x2 array, (2x2).(2x2), int8 in/out, 1 B/cycle DRAM, latency 10, SCALE-Sim's timing, no DMA limit.

    Compute: one fold = 2 (preload) + 2 + 2 + 2 - 2 = 6 cycles.
    Traffic: A 4 B + B 4 B read, C 4 B written = 12 B; all of it is prologue (first A/B tiles, 8 cycles)
    or epilogue (last C tile, 4 cycles), so nothing overlaps: 10 + 8 + max(6, 0) + 4 = 28 cycles.
    """
    cost = gemm_cost(2, 2, 2, spec(rows=2, cols=2, dram_bytes_per_cycle=1, dram_latency_cycles=10, timing="scalesim",
                                   dma_max_in_flight=0, l2_kib=0))
    assert cost.compute_cycles == 6
    assert cost.dram_read_bytes == 8
    assert cost.dram_write_bytes == 4
    assert cost.cycles == 28
    assert cost.stall_cycles == 22


def test_large_gemm_is_bandwidth_bound_when_bandwidth_is_tiny() -> None:
    """With 0.01 B/cycle, cycles >= total DRAM bytes / bandwidth."""
    hw = spec(rows=16, cols=16, dram_bytes_per_cycle=0.01, dram_latency_cycles=0)
    cost = gemm_cost(128, 256, 256, hw)
    assert cost.cycles >= cost.dram_bytes / 0.01 - 1e-6
    assert cost.cycles > cost.compute_cycles


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 700), k=st.integers(1, 700), n=st.integers(1, 700),
       rows=st.sampled_from([4, 8, 16, 32]), cols=st.sampled_from([4, 8, 16, 32]),
       dataflow=st.sampled_from(["ws", "os"]), sp=st.sampled_from([16, 64, 256]), acc=st.sampled_from([16, 64, 256]))
def test_chosen_tiles_fit_the_memories(m, k, n, rows, cols, dataflow, sp, acc) -> None:
    hw = AcceleratorSpec(rows=rows, cols=cols, dataflow=dataflow, scratchpad_kib=sp, accumulator_kib=acc)
    cost = gemm_cost(m, k, n, hw)
    mp = cost.mapping
    assert mp.tile_m <= m and mp.tile_k <= k and mp.tile_n <= n
    # A and B tiles double-buffered in the scratchpad; C tile in the accumulator (int32).
    assert 2 * (mp.tile_m * mp.tile_k + mp.tile_k * mp.tile_n) <= hw.scratchpad_bytes
    assert mp.tile_m * mp.tile_n * 4 <= hw.accumulator_bytes
    assert sorted(mp.loop_order) == ["k", "m", "n"]
    assert 0 < cost.utilization <= 1
    assert cost.cycles >= cost.compute_cycles
    # every operand is read at least once and the output written at least once
    assert cost.dram_read_bytes >= m * k + k * n
    assert cost.dram_write_bytes >= m * n


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 600), k=st.integers(1, 600), n=st.integers(1, 600),
       bw=st.floats(0.5, 64), factor=st.floats(1.0, 8.0), dataflow=st.sampled_from(["ws", "os"]))
def test_more_bandwidth_is_never_slower(m, k, n, bw, factor, dataflow) -> None:
    """The latency search may trade up to 0.1% of latency for less traffic, hence the tolerance."""
    slow = gemm_cost(m, k, n, AcceleratorSpec(dataflow=dataflow, dram_bytes_per_cycle=bw))
    fast = gemm_cost(m, k, n, AcceleratorSpec(dataflow=dataflow, dram_bytes_per_cycle=bw * factor))
    assert fast.cycles <= slow.cycles * 1.001 + 1e-9


@given(r1=st.integers(1, 256), c1=st.integers(1, 256), dr=st.integers(0, 256), dc=st.integers(0, 256))
def test_bigger_array_never_fewer_peak_ops(r1, c1, dr, dc) -> None:
    small = AcceleratorSpec(rows=r1, cols=c1)
    big = AcceleratorSpec(rows=r1 + dr, cols=c1 + dc)
    assert big.peak_macs_per_cycle >= small.peak_macs_per_cycle


def test_ideal_memory_cycles_equal_compute_cycles() -> None:
    cost = gemm_cost(512, 768, 3072, AcceleratorSpec(), ideal_memory=True)
    assert cost.cycles == cost.compute_cycles
    assert cost.stall_cycles == 0


def test_impossible_config_is_a_clear_error() -> None:
    """A 16x16 WS array needs at least 2*(1*16 + 16*16) = 544 B of scratchpad; 0.5 KiB = 512 B is too small."""
    with pytest.raises(MappingError, match="no tile of GEMM 64x64x64 fits on chip"):
        gemm_cost(64, 64, 64, AcceleratorSpec(scratchpad_kib=0.5))


def test_objectives_trade_latency_for_energy() -> None:
    hw = AcceleratorSpec(dram_bytes_per_cycle=64)
    fast = gemm_cost(512, 768, 768, hw, objective="latency")
    frugal = gemm_cost(512, 768, 768, hw, objective="energy")
    edp = gemm_cost(512, 768, 768, hw, objective="edp")
    assert fast.cycles <= frugal.cycles * 1.001
    assert frugal.energy_pj <= fast.energy_pj * 1.001
    assert edp.energy_pj * edp.cycles <= min(fast.energy_pj * fast.cycles, frugal.energy_pj * frugal.cycles) * 1.001


def test_mapping_cache_returns_same_object() -> None:
    hw = AcceleratorSpec(rows=8, cols=8)
    assert gemm_cost(100, 200, 300, hw) is gemm_cost(100, 200, 300, hw.model_copy(update={"name": "other"}))
