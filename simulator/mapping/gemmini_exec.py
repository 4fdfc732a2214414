"""Cycles of one layer on Gemmini as it runs it: the host's DRAM-level loop, per tile LoopConv/LoopMatmul's array
and DMA work, their overlap — timed from the counts of `gemmini_tile_work` and the reuse levels of `gemmini_reuse`.

Per tile class (multiplicity m), with the constants of `GemminiTiming` (values and bounds:
`simulator/data/gemmini_measured.yaml`):

- host   = `host_tile_cycles`: Rocket's loop body and the tile's RoCC instructions (`tiled_conv` / `tiled_matmul_outer`
  in gemmini.h). Additive: the measured rows show no overlap of the host's per-tile work with the tile's execution;
- array  = the array's busy cycles (ExecuteController `total_rows = max(A rows, B rows, 4)` per compute);
- reads  = the reader's 16 transaction slots held for a round trip each: packets · latency / 16, the latency the L2 hit
  round trip plus, for the share served below the L2, the miss penalty (LLC or DRAM); at least one bus beat per
  16 bytes and one cycle per DMA request or zero-filled row;
- writes = the writer's own 16 slots likewise, plus the store path's per-row cost `store_row_cycles · N/16`;
- memory = lines fetched below the L2 (read misses, and write misses twice: fill and write-back) at
  `line_cycles` each (the 64-bit memory bus moves a 64-byte line in 8 cycles; FASED's LLC serves one at a time);
- tile = host + max(array, dma) + (1 − `overlap`) · min(array, dma), dma = max(reads, writes, memory): double
  buffering hides the shorter of the two only partly (`overlap` ∈ [0, 1]).

Call = Σ m · tile + `call_cycles` (the configs before the loop and the final fence).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import yaml

from simulator.mapping.dosa_calls import ConvCall, MatmulCall
from simulator.mapping.gemmini_reuse import read_levels
from simulator.mapping.gemmini_tile_work import TileWork, tile_work

READ_SLOTS = 16  # gemmini-dosa Configs.scala `max_in_flight_mem_reqs`, StreamReader's nXacts
WRITE_SLOTS = 16  # the same value, StreamWriter's own nXacts (Scratchpad.scala l. 189/192)
CONSTANTS_FILE = "gemmini_measured.yaml"


@dataclass(frozen=True)
class GemminiTiming:
    """The constants the sources do not give (see `simulator/data/gemmini_measured.yaml`)."""

    host_tile_cycles: float
    call_cycles: float
    l2_hit_cycles: float
    miss_penalty_cycles: float
    write_cycles: float
    line_cycles: float
    store_row_cycles: float
    overlap: float

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in self.names()], dtype=float)


class Constant(NamedTuple):
    value: float
    low: float
    high: float
    source: str


@cache
def measured_constants() -> dict[str, Constant]:
    """The constants file: each entry's value, bounds and source."""
    text = (resources.files("simulator") / "data" / CONSTANTS_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)["constants"]
    return {name: Constant(float(e["value"]), float(e["bounds"][0]), float(e["bounds"][1]), e["source"])
            for name, e in data.items()}


def measured_timing() -> GemminiTiming:
    """The fitted constants as a `GemminiTiming`."""
    constants = measured_constants()
    return GemminiTiming(**{name: constants[name].value for name in GemminiTiming.names()})


@dataclass(frozen=True)
class CallWork:
    """Tile classes of many calls plus, per class, the share of each operand's transfers served below the L2."""

    work: TileWork
    calls: int
    miss_in: np.ndarray
    miss_w: np.ndarray
    miss_out: np.ndarray


def call_work(calls: list[ConvCall | MatmulCall], sides: list[int]) -> CallWork:
    """Counts and reuse levels of `calls` (one array side each), ready to be timed for any constants."""
    work = tile_work(calls, sides)
    levels = [read_levels(call) for call in calls]
    below = {op: np.array([1.0 - lv[op][0] for lv in levels]) for op in ("in", "w", "out")}
    return CallWork(work, len(calls), below["in"][work.row], below["w"][work.row], below["out"][work.row])


@dataclass(frozen=True)
class Breakdown:
    """Per call: total cycles and its parts (Σ over tiles of each class's component, before overlap)."""

    total: np.ndarray
    host: np.ndarray
    array: np.ndarray
    reads: np.ndarray
    writes: np.ndarray
    memory: np.ndarray
    tiles: np.ndarray

    def bound(self) -> np.ndarray:
        """The component with the most cycles, per call ("host", "array", "reads", "writes", "memory")."""
        names = np.array(["host", "array", "reads", "writes", "memory"])
        return names[np.argmax(np.stack([self.host, self.array, self.reads, self.writes, self.memory]), axis=0)]


def tile_components(cw: CallWork, t: GemminiTiming) -> dict[str, np.ndarray]:
    """Per tile class: array, reads, writes, memory cycles of one tile."""
    w = cw.work
    read_latency_in = t.l2_hit_cycles + cw.miss_in * t.miss_penalty_cycles
    read_latency_w = t.l2_hit_cycles + cw.miss_w * t.miss_penalty_cycles
    reads = np.maximum.reduce([
        (w.in_packets * read_latency_in + w.w_packets * read_latency_w) / READ_SLOTS,
        w.in_beats + w.w_beats,
        w.in_requests + w.w_requests + w.zero_rows,
    ])
    write_latency = t.write_cycles + cw.miss_out * t.miss_penalty_cycles
    writes = np.maximum.reduce([w.out_packets * write_latency / WRITE_SLOTS, w.out_beats,
                                w.out_requests * t.store_row_cycles * w.side / 16])
    memory = (w.in_lines * cw.miss_in + w.w_lines * cw.miss_w + 2 * w.out_lines * cw.miss_out) * t.line_cycles
    return {"array": w.array_cycles, "reads": reads, "writes": writes, "memory": memory}


def execution_cycles(cw: CallWork, t: GemminiTiming) -> Breakdown:
    """Cycles of each call (see the module's docstring)."""
    parts = tile_components(cw, t)
    dma = np.maximum.reduce([parts["reads"], parts["writes"], parts["memory"]])
    tile = t.host_tile_cycles + np.maximum(parts["array"], dma) + (1 - t.overlap) * np.minimum(parts["array"], dma)
    w = cw.work

    def per_call(values: np.ndarray | float) -> np.ndarray:
        return np.bincount(w.row, weights=w.mult * values, minlength=cw.calls)

    tiles = per_call(1.0)
    return Breakdown(total=per_call(tile) + t.call_cycles, host=tiles * t.host_tile_cycles,
                     array=per_call(parts["array"]), reads=per_call(parts["reads"]),
                     writes=per_call(parts["writes"]), memory=per_call(parts["memory"]), tiles=tiles)
