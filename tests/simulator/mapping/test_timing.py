"""Fold timings, hand-derived on small GEMMs (docs/simulator.md, "Fold timing"): Gemmini's mesh, the survey's
analytic model; SCALE-Sim's convention is pinned in test_gemm.py."""

from __future__ import annotations

import pytest

from simulator.hardware import AcceleratorSpec
from simulator.mapping import gemm_cost

BIG = dict(scratchpad_kib=1024, accumulator_kib=1024)


def spec(**fields) -> AcceleratorSpec:
    return AcceleratorSpec(**{**BIG, **fields})


def test_gemmini_ws_hand_computed() -> None:
    """WS 2x2, (3x4).(4x2): 2 folds along K, 1 along N. The 3 rows stream in 2-row blocks (a block carrying the
    next fold's weights takes R = 2 cycles): 4 cycles per fold. Once: the first preload (R = 2) and fill/drain
    (R + C + 1 = 5). Total 2 + 2*4 + 5 = 15 (SCALE-Sim's convention: 14)."""
    cost = gemm_cost(3, 4, 2, spec(rows=2, cols=2, dataflow="ws", timing="gemmini"), ideal_memory=True)
    assert cost.compute_cycles == 15


def test_gemmini_ws_folds_run_back_to_back() -> None:
    """16x16, (64x64).(64x64): 16 folds of 64 rows each back to back, + 16 + 33: 1,073 cycles, where SCALE-Sim's
    convention pays 2R + C - 2 = 46 per fold: 16 x (46 + 64) = 1,760."""
    gemmini = gemm_cost(64, 64, 64, spec(timing="gemmini"), ideal_memory=True)
    scalesim = gemm_cost(64, 64, 64, spec(timing="scalesim"), ideal_memory=True)
    assert (gemmini.compute_cycles, scalesim.compute_cycles) == (1073, 1760)


def test_a_decode_gemv_is_paced_by_the_weight_preload() -> None:
    """16x16, (1x768).(768x768): 48 x 48 folds, each waits for its 16 weight rows to shift in (one row of A takes
    one cycle, the preload R = 16): 16 + 2304 * 16 + 33 = 36,913 cycles, 2.9x fewer than SCALE-Sim's 2304 x 47."""
    gemmini = gemm_cost(1, 768, 768, spec(timing="gemmini"), ideal_memory=True)
    scalesim = gemm_cost(1, 768, 768, spec(timing="scalesim"), ideal_memory=True)
    assert gemmini.compute_cycles == 36_913 and scalesim.compute_cycles == 2304 * 47


def test_gemmini_os_hand_computed() -> None:
    """OS 2x2, (4x3).(3x2): 2 output folds, each streams K = 3 padded to 2-row blocks (4 cycles); once: the
    transposer (R = 2), fill/drain (5) and the closing flush (R = 2). Total 2*4 + 2 + 5 + 2 = 17."""
    cost = gemm_cost(4, 3, 2, spec(rows=2, cols=2, dataflow="os", timing="gemmini"), ideal_memory=True)
    assert cost.compute_cycles == 17


def test_analytic_timing_streams_rows_and_takes_the_slower_of_compute_and_memory() -> None:
    """Analytic WS 2x2, (3x4).(4x2): 2 folds x 3 rows = 6 cycles; with memory, op time = max(compute, bytes / bw)
    with no latency and no prologue: (8 + 12 + ... ) bytes at 1 B/cycle."""
    ideal = gemm_cost(3, 4, 2, spec(rows=2, cols=2, timing="analytic"), ideal_memory=True)
    assert ideal.compute_cycles == 6
    slow = gemm_cost(3, 4, 2, spec(rows=2, cols=2, timing="analytic", dram_bytes_per_cycle=1, dram_latency_cycles=50,
                                   dma_max_in_flight=0, l2_kib=0))
    assert slow.cycles == pytest.approx(max(slow.compute_cycles, slow.dram_bytes))  # 1 B/cycle, no latency


def test_the_dma_sustains_what_its_requests_in_flight_carry() -> None:
    """16 requests of 64 B over a 100-cycle latency carry 10.24 B/cycle (Little's law), below the 16 B/cycle link:
    a GEMV that only streams weights runs at that rate."""
    hw = spec(dram_bytes_per_cycle=16, dram_latency_cycles=100, dma_request_bytes=64, dma_max_in_flight=16,
              timing="gemmini", l2_kib=0)
    assert hw.local_link == (pytest.approx(10.24), 100)
    unlimited = spec(dram_bytes_per_cycle=16, dram_latency_cycles=100, dma_max_in_flight=0, timing="gemmini",
                         l2_kib=0)
    assert unlimited.local_link == (16, 100)
    limited, free = gemm_cost(1, 4096, 4096, hw), gemm_cost(1, 4096, 4096, unlimited)
    assert limited.cycles == pytest.approx(4096 * 4096 / 10.24, rel=0.02)
    assert free.cycles < limited.cycles
