"""The L2 between the local memories and DRAM: re-fetched operands it can hold are read from DRAM once."""

from __future__ import annotations

from simulator.hardware import AcceleratorSpec
from simulator.mapping import gemm_cost

SMALL_CHIP = dict(scratchpad_kib=16, accumulator_kib=16, timing="gemmini", dma_max_in_flight=0, l2_kib=0)


def test_without_an_l2_every_fetch_is_dram_traffic() -> None:
    cost = gemm_cost(1024, 1024, 1024, AcceleratorSpec(**SMALL_CHIP), objective="energy")
    assert cost.l2_bytes == 0
    assert cost.dram_bytes > 1.5 * cost.compulsory_dram_bytes  # 16 KiB cannot hold the reuse: operands re-fetched


def test_an_l2_that_holds_the_operands_leaves_dram_the_compulsory_traffic() -> None:
    """3 MiB of int8 A, B and C fit a 4 MiB L2: DRAM moves each once; the local link still carries every fetch."""
    hw = AcceleratorSpec(**{**SMALL_CHIP, "l2_kib": 4096, "l2_bytes_per_cycle": 16, "l2_latency_cycles": 20})
    cost = gemm_cost(1024, 1024, 1024, hw, objective="energy")
    assert cost.dram_bytes == cost.compulsory_dram_bytes == 3 * 1024 * 1024
    assert cost.l2_bytes > cost.dram_bytes and cost.mapping.l2_pinned
    without = gemm_cost(1024, 1024, 1024, AcceleratorSpec(**SMALL_CHIP), objective="energy")
    assert cost.energy_dram_pj < without.energy_dram_pj


def test_an_l2_too_small_for_an_operand_does_not_pin_it() -> None:
    hw = AcceleratorSpec(**{**SMALL_CHIP, "l2_kib": 64, "l2_bytes_per_cycle": 16, "l2_latency_cycles": 20})
    cost = gemm_cost(1024, 1024, 1024, hw, objective="energy")
    assert "a" not in cost.mapping.l2_pinned and "b" not in cost.mapping.l2_pinned  # 1 MiB each: neither fits
    assert cost.dram_bytes > cost.compulsory_dram_bytes


def test_operands_from_the_l2_or_chip_cost_no_dram_traffic() -> None:
    hw = AcceleratorSpec(**{**SMALL_CHIP, "l2_kib": 4096, "l2_bytes_per_cycle": 16, "l2_latency_cycles": 20})
    resident = gemm_cost(256, 256, 256, hw, a_source="l2", b_source="chip", c_dest="l2")
    assert resident.compulsory_dram_bytes == 0 and resident.dram_bytes == 0 and resident.l2_bytes > 0
