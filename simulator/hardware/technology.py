"""Technology table: energy per operation and area per unit, loaded from `simulator/data/technology.yaml`.

Values are stored at 45 nm with their sources; `Technology.at(node_nm)` scales them by the table's node factors.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict


@cache
def technology_data() -> dict:
    """The raw technology table (with sources)."""
    return yaml.safe_load((Path(__file__).resolve().parent.parent / "data" / "technology.yaml").read_text())


class Technology(BaseModel):
    """Per-node constants used by the cost model (energies in pJ, areas in mm2)."""

    model_config = ConfigDict(frozen=True)

    node_nm: int
    energy_scale: float
    area_scale: float
    int8_multiply_pj: float
    int32_add_pj: float
    fp16_multiply_pj: float
    fp16_add_pj: float
    fp32_multiply_pj: float
    fp32_add_pj: float
    float_pe_scale: float
    sparse_select_fraction: float
    dram_pj_per_byte: float
    nonlinear_pj_per_element_pass: float
    host_pj_per_cycle: float
    sram_points_kib: tuple[float, ...]
    sram_pj_per_byte_points: tuple[float, ...]
    pe_mm2: float
    sram_mm2_per_kib: float
    nonlinear_lane_mm2: float
    fixed_mm2: float
    static_w_per_mm2: float
    nonlinear_passes: dict[str, int]

    def mac_pj(self, input_bits: int, weight_bits: int, accumulator_bits: int, array_format: str = "int") -> float:
        """One multiply-accumulate of the array's hardware (its widths, not the operands': a narrower operand runs
        sign-extended on the same multiplier).

        Integer: multiplier energy ~ product of operand widths (Horowitz: 8b 0.2 pJ, 32b 3.1 pJ), adder ~ linear
        in accumulator width. Float: Horowitz's fp16/fp32 multiply and add, multiplier ~ square of the wider
        operand width between those points, adder by accumulator width (<= 16 bits: fp16 add, else fp32 add).
        """
        if array_format == "float":
            width = max(input_bits, weight_bits)
            multiply = (self.fp16_multiply_pj if width <= 16 else self.fp32_multiply_pj) * (
                (width / 16.0) ** 2 if width <= 16 else (width / 32.0) ** 2)
            return multiply + (self.fp16_add_pj if accumulator_bits <= 16 else self.fp32_add_pj)
        return (self.int8_multiply_pj * (input_bits * weight_bits) / 64.0
                + self.int32_add_pj * accumulator_bits / 32.0)

    def sram_pj_per_byte(self, kib: float) -> float:
        """Log-log interpolation of Horowitz's 8 KB / 32 KB / 1 MB points (clamped at the ends)."""
        xs = [math.log(k) for k in self.sram_points_kib]
        ys = [math.log(v) for v in self.sram_pj_per_byte_points]
        x = math.log(max(kib, 1e-3))
        if x <= xs[0]:
            return math.exp(ys[0] + (ys[1] - ys[0]) / (xs[1] - xs[0]) * (x - xs[0])) if kib > 0 else 0.0
        for i in range(1, len(xs)):
            if x <= xs[i] or i == len(xs) - 1:
                return math.exp(ys[i - 1] + (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1]) * (x - xs[i - 1]))
        return math.exp(ys[-1])  # pragma: no cover

    @staticmethod
    @cache
    def at(node_nm: int) -> Technology:
        """Constants for one node; nodes between table entries are interpolated log-log in feature size."""
        data = technology_data()
        nodes = {int(k): v for k, v in data["node_scaling"]["nodes"].items()}
        energy_scale, area_scale = _node_factors(nodes, node_nm)
        e = {k: v["value"] for k, v in data["energy_pj"].items()}
        a = {k: v["value"] for k, v in data["area_um2"].items()}
        points = data["sram_read_64bit_pj"]
        return Technology(
            node_nm=node_nm, energy_scale=energy_scale, area_scale=area_scale,
            int8_multiply_pj=e["int8_multiply"] * energy_scale,
            int32_add_pj=e["int32_add"] * energy_scale,
            fp16_multiply_pj=e["fp16_multiply"] * energy_scale,
            fp16_add_pj=e["fp16_add"] * energy_scale,
            fp32_multiply_pj=e["fp32_multiply"] * energy_scale,
            fp32_add_pj=e["fp32_add"] * energy_scale,
            float_pe_scale=a["float_pe_scale"],
            sparse_select_fraction=a["sparse_select_fraction"],
            dram_pj_per_byte=e["dram_read_64bit"] / 8.0,  # DRAM interface energy does not shrink with logic node
            nonlinear_pj_per_element_pass=e["integer_nonlinear_per_element_pass"] * energy_scale,
            host_pj_per_cycle=e["host_cycle"] * energy_scale,
            sram_points_kib=tuple(float(p["kib"]) for p in points),
            sram_pj_per_byte_points=tuple(p["value"] / 8.0 * energy_scale for p in points),
            pe_mm2=a["int8_mac_pe"] * 1e-6 * area_scale,
            sram_mm2_per_kib=a["sram_per_kib"] * 1e-6 * area_scale,
            nonlinear_lane_mm2=a["nonlinear_lane"] * 1e-6 * area_scale,
            fixed_mm2=data["area_um2"]["fixed_overhead_mm2"]["value"] * area_scale / nodes[45]["area"],
            static_w_per_mm2=data["static_w_per_mm2"]["value"],
            nonlinear_passes={k: int(v["value"]) for k, v in data["nonlinear_passes"].items()},
        )


def _node_factors(nodes: dict[int, dict], node_nm: int) -> tuple[float, float]:
    if node_nm in nodes:
        return nodes[node_nm]["energy"], nodes[node_nm]["area"]
    keys = sorted(nodes)
    lo = max([k for k in keys if k <= node_nm], default=keys[0])
    hi = min([k for k in keys if k >= node_nm], default=keys[-1])
    if lo == hi:
        return nodes[lo]["energy"], nodes[lo]["area"]
    t = (math.log(node_nm) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return tuple(math.exp(math.log(nodes[lo][f]) * (1 - t) + math.log(nodes[hi][f]) * t)
                 for f in ("energy", "area"))
