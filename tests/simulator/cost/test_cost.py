"""Cost model: area and energy additivity, non-linear placement and fusion."""

from __future__ import annotations

import pytest

from simulator.cost import Columns, area, nonlinear_cost
from simulator.hardware import AcceleratorSpec, Technology, load_accelerator_preset


def test_area_is_the_sum_of_its_parts_and_grows_with_each() -> None:
    hw = load_accelerator_preset("gemmini-default")
    parts = area(hw)
    assert parts.total_mm2 == pytest.approx(parts.pe_array_mm2 + parts.scratchpad_mm2 + parts.accumulator_mm2
                                            + parts.nonlinear_mm2 + parts.fixed_mm2)
    assert parts.nonlinear_mm2 == 0  # everything on the host
    assert area(hw.model_copy(update={"rows": 32})).pe_array_mm2 == pytest.approx(2 * parts.pe_array_mm2)
    assert area(hw.model_copy(update={"scratchpad_kib": 512.0})).scratchpad_mm2 == pytest.approx(
        2 * parts.scratchpad_mm2)
    assert area(load_accelerator_preset("gemmini-transformer")).nonlinear_mm2 > 0


def test_host_softmax_hand_computed() -> None:
    """1000 softmax elements on the host at 40 cycles each = 40,000 cycles (bytes 2000 / 16 B/cycle far less);
    de/quantization: 1000 x (1 input + 1 output) x 8 cycles = 16,000 cycles, a separate row."""
    hw = AcceleratorSpec()
    tech = Technology.at(hw.technology_nm)
    rows = nonlinear_cost("softmax", 1000, 1000, 1000, 1, 1.0, Columns([hw]), fused=False)
    assert [r.op_class for r in rows] == ["softmax", "quantization"]
    assert rows[0].cycles[0] == 40_000 and not rows[0].on_array and rows[0].where(0) == "host_cpu"
    assert rows[1].cycles[0] == 16_000
    assert rows[0].energy_nonlinear_pj[0] == pytest.approx(40_000 * tech.host_pj_per_cycle)


def test_accelerator_softmax_hand_computed_and_fusion() -> None:
    """16 lanes, 3 passes: 1600 elements take 300 cycles; unfused it also moves 3200 B from DRAM through the L2,
    at the fitted DRAM rate of 3.06 B/cycle (below the 16 x 64 B / (15 + 20) = 29 B/cycle the DMA's slots sustain
    over a miss's round trip): 1045.8 cycles + the 15-cycle L2 latency = 1060.8: max = 1060.8. Fused: 2 passes on
    the unit (200 cycles), no DRAM bytes."""
    hw = Columns([load_accelerator_preset("gemmini-transformer")])
    (unfused,) = nonlinear_cost("softmax", 1600, 1600, 1600, 1, 1.0, hw, fused=False)
    (fused,) = nonlinear_cost("softmax", 1600, 1600, 1600, 1, 1.0, hw, fused=True)
    assert unfused.cycles[0] == pytest.approx(3200 / 3.06 + 15) and unfused.dram_bytes[0] == 3200
    assert fused.cycles[0] == 200 and fused.dram_bytes[0] == 0
    assert fused.energy_nonlinear_pj[0] == unfused.energy_nonlinear_pj[0]  # same work, no traffic


def test_energy_per_mac_and_sram_follow_the_table() -> None:
    t = Technology.at(45)
    assert t.mac_pj(8, 8, 32) == pytest.approx(0.3)
    assert t.mac_pj(16, 16, 32) > t.mac_pj(8, 8, 32)
    assert t.dram_pj_per_byte == pytest.approx(1950 / 8)
