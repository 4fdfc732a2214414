"""Accelerator area: PE array + SRAMs + non-linear units + fixed control, from the technology table."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.hardware.spec import NONLINEAR_CLASSES, AcceleratorSpec
from simulator.hardware.technology import Technology


@dataclass(frozen=True, slots=True)
class AreaBreakdown:
    pe_array_mm2: float
    scratchpad_mm2: float
    accumulator_mm2: float
    nonlinear_mm2: float
    fixed_mm2: float

    @property
    def total_mm2(self) -> float:
        return self.pe_array_mm2 + self.scratchpad_mm2 + self.accumulator_mm2 + self.nonlinear_mm2 + self.fixed_mm2


def area(hw: AcceleratorSpec, tech: Technology | None = None) -> AreaBreakdown:
    """Why this split: each term is one sweep axis (array size, memory sizes, non-linear lanes).

    A PE is half multiplier (area ~ product of operand widths) and half adder/registers (~ accumulator width).
    A float PE is the int8 PE scaled by its MAC energy over the int8 MAC's (technology table, an assumption);
    N:M sparse support adds the table's select-logic fraction to every PE.
    Non-linear lanes count only when some non-linear op is placed on the accelerator.
    """
    tech = tech or Technology.at(hw.technology_nm)
    if hw.array_format == "float":
        pe_scale = tech.float_pe_scale * (tech.mac_pj(hw.input_bits, hw.weight_bits, hw.accumulator_bits, "float")
                                          / tech.mac_pj(8, 8, 32))
    else:
        pe_scale = 0.5 * (hw.input_bits * hw.weight_bits) / 64.0 + 0.5 * hw.accumulator_bits / 32.0
    if hw.sparse_support:
        pe_scale *= 1.0 + tech.sparse_select_fraction
    lanes = hw.nonlinear_elements_per_cycle if any(hw.placement(c) == "accelerator" for c in NONLINEAR_CLASSES) else 0
    return AreaBreakdown(
        pe_array_mm2=hw.rows * hw.cols * tech.pe_mm2 * pe_scale,
        scratchpad_mm2=hw.scratchpad_kib * tech.sram_mm2_per_kib,
        accumulator_mm2=hw.accumulator_kib * tech.sram_mm2_per_kib,
        nonlinear_mm2=lanes * tech.nonlinear_lane_mm2,
        fixed_mm2=tech.fixed_mm2,
    )
