"""The survey's memory re-balancing (Kim et al. 2023, Sec 3.4) with our simulator, next to the published figure.

Evaluates the memory-rebalancing template's designs in-process (backend/sweeps/templates.py: BERT-Base l = 512 on
gemmini-default, and the calibrated baseline when that preset exists, over a scratchpad x accumulator grid of
64/128/256 KiB) with Gemmini's own tiler, as the template runs them, and with our optimal mapper. Prints each cell's
summed GEMM cycles relative to the baseline cell (256 KiB scratchpad, 64 KiB accumulator) beside the survey's -36%
for (64, 256), then what makes them: per GEMM the tile, the array's compute cycles, DRAM bytes, the time its transfers
need from the DMA (bytes over the links, or DMA packets over its slots: simulator/mapping/requests.py) and the cycles
outside the compute/transfer overlap. Published figure:
benchmarks/data/mapping_studies_paper.yaml (source there). Usage:
    .venv/bin/python benchmarks/memory_rebalancing.py
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.sweeps.spec import SweepSpec
from backend.sweeps.templates import MEMORY_REBALANCING
from simulator import evaluate
from simulator.design_point import ResolvedPoint
from simulator.hardware import AcceleratorSpec
from simulator.lower import GemmWork, lower
from simulator.mapping.requests import request_factor
from simulator.report import OpReport

DATA = yaml.safe_load((Path(__file__).parent / "data" / "mapping_studies_paper.yaml").read_text())
PAPER = DATA["memory_rebalancing"]
BASE = (PAPER["baseline_cell"]["scratchpad_kib"], PAPER["baseline_cell"]["accumulator_kib"])
FIGURE = PAPER["figures"][0]
TARGET = (FIGURE["scratchpad_kib"], FIGURE["accumulator_kib"])
MAPPERS = {"gemmini": "Gemmini's tiler (tiled_matmul_auto), as the template runs it",
           "optimal": "our optimal mapper (tile sizes and loop orders searched for latency)"}
TILE = re.compile(r"tile m(\d+) k(\d+) n(\d+)")


@dataclass(frozen=True)
class Cell:
    gemms: list[OpReport]
    hw: AcceleratorSpec
    transfers: dict[str, float]  # GEMM name -> cycles its transfers need from the DMA, over all its copies

    @property
    def cycles(self) -> float:
        return sum(op.cycles for op in self.gemms)

    @property
    def compute(self) -> float:
        return sum(op.compute_cycles for op in self.gemms)

    @property
    def dram_bytes(self) -> float:
        return sum(op.dram_bytes for op in self.gemms)

    def dma_time(self, op: OpReport) -> float:
        return self.transfers[op.name]

    def outside_overlap(self, op: OpReport) -> float:
        """Cycles beyond the overlapped part (compute, transfers): the link latency, the first A/B tiles and the
        last C tile, which nothing hides."""
        return op.cycles - max(op.compute_cycles, self.dma_time(op))

    def memory_bound(self) -> list[str]:
        return [op.name for op in self.gemms if self.dma_time(op) > op.compute_cycles]


def transfers(point: ResolvedPoint) -> dict[str, float]:
    """Each GEMM's transfer cycles (GemmCost.transfer_cycles) over its copies, from the lowering the report priced."""
    hw, options = point.accelerator, point.options
    out: dict[str, float] = {}
    for work in lower(point.workload, hw, options).work:
        if isinstance(work, GemmWork):
            cost = work.cost(hw, options)
            out[work.op.name] = out.get(work.op.name, 0.0) + cost.transfer_cycles * work.repeats
    return out


def grid(mapper: str) -> dict[tuple[str, int, int], Cell]:
    """(variant, scratchpad KiB, accumulator KiB) -> the GEMM rows of the evaluated design, from the template."""
    spec = SweepSpec.model_validate({**MEMORY_REBALANCING["spec"], "options": {
        **MEMORY_REBALANCING["spec"]["options"], "mapper": mapper}})
    out = {}
    for point in spec.points(0, spec.size()):
        resolved = point.resolve()
        report = evaluate(resolved.workload, resolved.accelerator, resolved.options)
        out[point.variant, point.overrides["scratchpad_kib"], point.overrides["accumulator_kib"]] = Cell(
            [op for op in report.ops if op.kind == "gemm"], resolved.accelerator, transfers(resolved))
    return out


def pct(fraction: float) -> str:
    return f"{100 * fraction:+.1f}%"


def cyc(value: float) -> str:
    return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.1f}k"


def table(cells: dict[tuple[str, int, int], Cell], variant: str) -> None:
    base = cells[variant, *BASE]
    print(f"  {'SP':>4} {'ACC':>4} {'GEMM cycles':>12} {'change':>8} {'compute':>9} {'DRAM MB':>8} {'DRAM':>7} "
          f"{'DMA time':>10} {'survey':>7}  GEMMs whose transfers take longer than their compute")
    for (name, sp, acc), cell in sorted(cells.items()):
        if name != variant:
            continue
        survey = f"{FIGURE['change_percent']:+d}%" if (sp, acc) == TARGET else ""
        mark = " (baseline)" if (sp, acc) == BASE else ""
        dma_time = sum(cell.dma_time(op) for op in cell.gemms)
        print(f"  {sp:>4} {acc:>4} {cyc(cell.cycles):>12} {pct(cell.cycles / base.cycles - 1):>8} "
              f"{cyc(cell.compute):>9} {cell.dram_bytes / 1e6:>8.1f} {pct(cell.dram_bytes / base.dram_bytes - 1):>7} "
              f"{cyc(dma_time):>10} {survey:>7}  {', '.join(cell.memory_bound()) or '-'}{mark}")


def per_gemm(cell: Cell, label: str) -> None:
    layers = cell.gemms[0].count
    print(f"    {label}")
    print(f"      {'GEMM':<10} {'tile':<24} {'compute':>9} {'DRAM MB':>8} {'DMA time':>10} {'cycles':>9} "
          f"{'outside overlap':>16}")
    for op in cell.gemms:
        print(f"      {op.name:<10} {op.mapping.split(' order')[0]:<24} {cyc(op.compute_cycles / layers):>9} "
              f"{op.dram_bytes / layers / 1e6:>8.2f} {cyc(cell.dma_time(op) / layers):>10} "
              f"{cyc(op.cycles / layers):>9} {cyc(cell.outside_overlap(op) / layers):>16}")


def explain(cells: dict[tuple[str, int, int], Cell], variant: str) -> list[str]:
    base, target = cells[variant, *BASE], cells[variant, *TARGET]
    hw = base.hw
    block = hw.rows * hw.cols * hw.accumulator_bits / 8
    miss = hw.l2_latency_cycles + hw.dram_latency_cycles
    sides = {acc: math.isqrt(int(acc * 1024 / 2 // block)) for acc in (BASE[1], TARGET[1])}
    ffn = next(op for op in base.gemms if op.name == "ffn_up")
    ffn_target = next(op for op in target.gemms if op.name == "ffn_up")
    change = target.cycles / base.cycles - 1
    bound_then, bound_now = base.memory_bound(), target.memory_bound()
    line = hw.dma_request_bytes
    row = 3072 * hw.weight_bits / 8  # FFN W1's B rows (768 x 3072)
    widths = [int(TILE.search(op.mapping)[3]) * hw.weight_bits / 8 for op in (ffn, ffn_target)]
    packets = [request_factor(w, row, hw.cols * hw.weight_bits / 8, line) for w in widths]
    lines = [
        f"- The DMA sustains {hw.dram_link_bytes_per_cycle:.2f} B/cycle from DRAM when every packet is full "
        f"({hw.dma_max_in_flight} packets of {line} B in flight over a {miss}-cycle L2 + DRAM miss; the link itself "
        f"carries {hw.dram_bytes_per_cycle:g} B/cycle).",
        f"- Gemmini's tiler sizes output tiles from the accumulator: floor(sqrt(output blocks in half of it)) "
        f"{hw.rows}x{hw.cols} blocks a side = {sides[BASE[1]]} at {BASE[1]} KiB, {sides[TARGET[1]]} at "
        f"{TARGET[1]} KiB (FFN W1: {TILE.search(ffn.mapping)[0]} -> {TILE.search(ffn_target.mapping)[0]}). Bigger "
        f"output tiles re-fetch A and B fewer times: the GEMMs' DRAM bytes go "
        f"{base.dram_bytes / 1e6:.0f} -> {target.dram_bytes / 1e6:.0f} MB "
        f"({pct(target.dram_bytes / base.dram_bytes - 1)}).",
        f"- The DMA's slots hold packets, not bytes: a tile row is cut into commands of up to {line} B and each into "
        f"packets that never cross a {line}-B line (ucb-bar/gemmini DMA.scala), so narrow, misaligned tile rows "
        f"fill packets partly. FFN W1's B tile rows go {widths[0]:.0f} -> {widths[1]:.0f} B wide: "
        f"{line / packets[0].packets:.1f} -> {line / packets[1].packets:.1f} B per packet, of which "
        f"{100 * packets[0].neighbour_hits / packets[0].packets:.0f}% -> "
        f"{100 * packets[1].neighbour_hits / packets[1].packets:.0f}% hit the line the tile to the left brought "
        "into the L2 (the rest wait on DRAM).",
        f"- At the baseline {len(bound_then)} of {len(base.gemms)} GEMMs' transfers take longer than their compute "
        f"({', '.join(bound_then) or 'none'}); at ({TARGET[0]}, {TARGET[1]}) {len(bound_now)} do "
        f"({', '.join(bound_now) or 'none'}). ",
    ]
    if abs(change) < 0.02:
        qk = [op.name for op in base.gemms if op.compulsory_dram_bytes >= 0.99 * op.dram_bytes
              and op.name in bound_then]
        outside = (sum(target.outside_overlap(op) for op in target.gemms)
                   - sum(base.outside_overlap(op) for op in base.gemms))
        lines[-1] += (
            "So the re-balancing only cuts DRAM bytes: the compute-bound GEMMs keep their time"
            + (f", and {', '.join(qk)} moves only its compulsory bytes (its int32 output) either way" if qk else "")
            + f". GEMM cycles change {pct(change)} ({target.cycles - base.cycles:+,.0f} cycles), of which the "
            f"cycles outside the overlap (link latency, first A/B tiles, last C tile: they grow with the tiles) are "
            f"{outside:+,.0f}.")
    else:
        lines[-1] += (f"The GEMMs that waited on the DMA now wait less: GEMM cycles change {pct(change)}, the "
                      f"array's compute being {100 * base.compute / base.cycles:.0f}% of the baseline's GEMM cycles "
                      f"and {100 * target.compute / target.cycles:.0f}% of this cell's.")
    lines[-1] += f" Survey: {FIGURE['change_percent']:+d}%."
    return lines


def main() -> None:
    spec = MEMORY_REBALANCING["spec"]
    variants = [v["label"] for v in spec["variants"]]
    print(f"Memory re-balancing (template '{MEMORY_REBALANCING['id']}'): {spec['models'][0]} l = "
          f"{spec['scenarios'][0]['seq_len']} on {', '.join(variants)}; scratchpad x accumulator "
          f"{spec['axes']['scratchpad_kib']} KiB; GEMM cycles relative to the baseline cell {BASE}.")
    print(f"Survey: {' '.join(DATA['source'].split())} -- {' '.join(FIGURE['where'].split())}")
    found = {}
    for mapper, what in MAPPERS.items():
        found[mapper] = grid(mapper)
        for variant in variants:
            print(f"\n== {variant}, {what}")
            table(found[mapper], variant)
    for variant in variants:
        print(f"\nWhat makes the numbers on {variant} (per layer), Gemmini's tiler:")
        per_gemm(found["gemmini"][variant, *BASE], f"baseline cell {BASE}")
        per_gemm(found["gemmini"][variant, *TARGET], f"re-balanced cell {TARGET}")
        print("  Why (from the model; the numbers above):")
        print("\n".join(f"  {line}" for line in explain(found["gemmini"], variant)))
    print("\nThe optimal mapper beside Gemmini's tiler: it searches every tile size and loop order for the fewest "
          "cycles and, among tilings within 0.1% of those, the least energy (so the least traffic); its tiles do "
          "not follow the accumulator's size the way the tiler's do:")
    for variant in variants:
        base, target = found["optimal"][variant, *BASE], found["optimal"][variant, *TARGET]
        tiler, tiler_target = found["gemmini"][variant, *BASE], found["gemmini"][variant, *TARGET]
        print(f"- {variant}: at the baseline it moves {base.dram_bytes / 1e6:.0f} MB of GEMM traffic in "
              f"{cyc(base.cycles)} cycles (Gemmini's tiler: {tiler.dram_bytes / 1e6:.0f} MB, {cyc(tiler.cycles)}; "
              f"re-balanced {tiler_target.dram_bytes / 1e6:.0f} MB). Re-balanced, it moves "
              f"{target.dram_bytes / 1e6:.0f} MB ({pct(target.dram_bytes / base.dram_bytes - 1)}) and its GEMM cycles "
              f"change {pct(target.cycles / base.cycles - 1)}: the GEMMs that still wait on the DMA "
              f"({', '.join(target.memory_bound()) or 'none'}) move about their compulsory bytes "
              f"({sum(op.compulsory_dram_bytes for op in target.gemms if op.name in target.memory_bound()) / 1e6:.0f}"
              f" of {sum(op.dram_bytes for op in target.gemms if op.name in target.memory_bound()) / 1e6:.0f} MB), "
              "which no tiling saves.")


if __name__ == "__main__":
    main()
