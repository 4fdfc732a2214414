"""Cycles of one layer on Gemmini as it runs it: the host's DRAM-level loop, per tile LoopConv/LoopMatmul's array
and DMA work, their overlap — timed from the counts of `gemmini_tile_work` and the reuse levels of `gemmini_reuse`.

Per tile class (multiplicity m), with the constants of `GemminiTiming` (values, bounds and sources:
`simulator/data/gemmini_measured.yaml`):

- host   = Rocket's cycles per tile of the DRAM loop and its RoCC instructions (`tiled_conv`: `host_conv_tile_cycles`,
  `tiled_matmul_outer`: `host_matmul_tile_cycles`, gemmini.h);
- array  = the array's busy cycles (ExecuteController `total_rows = max(A rows, B rows, 4)` per compute);
- reads  = the stream: packets · round trip / 16 (the reader's 16 transaction slots; round trip = the L2 hit, plus
  the miss penalty for the share of passes served below the L2, plus the DRAM penalty for the share served by DRAM)
  plus the response beats (16 bytes per cycle on the 128-bit bus) — the data prefer the sum to the max of the two;
  at least (stream + one round trip per mvin command) / (16/N + 1): LoadController's DMACommandTracker holds 16/N + 1
  commands (each at most N rows), an entry until all its bytes returned (LoadController.scala `nCmds`,
  DMACommandTracker.scala), so on 32x32 and 64x64 arrays each mvin waits out its last round trip alone; at least
  one cycle per DMA request or zero-filled accumulator row; plus `page_cycles` per 4 KiB page the tile's three
  DRAM regions span (a proxy without an identified mechanism: see the constants file and docs/firesim_fit.md);
- writes = the writer's own 16 slots likewise (max of latency-bound and beats), and StoreController's tracker;
- memory = lines fetched below the L2 (read misses; write misses twice, fill and write-back) at `line_cycles`
  each (a 64-byte line over the 64-bit memory bus is 8 cycles; FASED's LLC model serves one at a time), plus
  `dram_line_cycles` for those the LLC misses too; at least every packet's round trip over the L2's 10 MSHRs,
  which the reader and the writer share (rocket-chip-inclusive-cache Parameters.scala `out_mshrs` = ceil(40 / 4));
- gemmini = max(array, reads, writes, memory) + `tile_bubble_cycles`: LoopConv/LoopMatmul keep two tiles (loops)
  in flight, loading the next while computing this one, so the slowest unit sets the pace; for a convolution also
  at least (reads + array + writes) / 2: LoopConv's execute waits until the tile's loads are issued
  (`ex.io.lda_completed := ld_input.io.idle`) and its stores for the execute (`st.io.ex_completed`), so a loop's
  three stages run one after the other and two loops overlap (LoopMatmul's execute follows its loads block by block,
  `lda_ahead`);
- tile = max(host, gemmini): the host issues the next tile while Gemmini runs this one.

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
from simulator.mapping.gemmini_reuse import operand_traffic
from simulator.mapping.gemmini_tile_work import TileWork, tile_work

READ_SLOTS = 16  # gemmini-dosa Configs.scala `max_in_flight_mem_reqs`, StreamReader's nXacts
L2_MSHRS = 10  # rocket-chip-inclusive-cache Parameters.scala out_mshrs = ceil(memCycles 40 / blockBeats 4)
STORE_ENTRIES = 4  # Configs.scala reservation_station_entries_st: LoopConv/LoopMatmul's max_sts mvouts in flight
CONCURRENT_LOOPS = 2  # LoopConv.scala `concurrent_loops`
WRITE_SLOTS = 16  # the same value, StreamWriter's own nXacts (Scratchpad.scala l. 189/192)
CONSTANTS_FILE = "gemmini_measured.yaml"


def command_slots(side: np.ndarray) -> np.ndarray:
    """Mvin (mvout) commands in flight: LoadController/StoreController's DMACommandTracker has
    `max_in_flight_mem_reqs / block_rows + 1` entries (16 / N + 1), an entry held until all its bytes returned."""
    return np.floor(READ_SLOTS / side) + 1


@dataclass(frozen=True)
class GemminiTiming:
    """The constants the sources do not give (see `simulator/data/gemmini_measured.yaml`)."""

    host_conv_tile_cycles: float
    host_matmul_tile_cycles: float
    call_cycles: float
    l2_hit_cycles: float
    miss_penalty_cycles: float
    dram_penalty_cycles: float
    write_cycles: float
    line_cycles: float
    dram_line_cycles: float
    tile_bubble_cycles: float
    page_cycles: float

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
    """Tile classes of many calls plus, per class and operand, what goes below the L2: the share of its packets
    that miss (`*_l2_share`) or miss the LLC too (`*_llc_share`), and the lines it fetches from there per tile."""

    work: TileWork
    calls: int
    matmul: np.ndarray  # per class: the call is a tiled_matmul
    in_l2_share: np.ndarray
    in_llc_share: np.ndarray
    w_l2_share: np.ndarray
    w_llc_share: np.ndarray
    out_l2_share: np.ndarray
    out_llc_share: np.ndarray
    l2_miss_lines: np.ndarray
    llc_miss_lines: np.ndarray


def call_work(calls: list[ConvCall | MatmulCall], sides: list[int]) -> CallWork:
    """Counts and memory-level traffic of `calls` (one array side each), ready to be timed for any constants.

    The share of an operand's passes that miss the L2 (or the LLC too, `operand_traffic`) is the share of its
    packets paying the miss round trip and of its tiles' lines fetched from below; an output line missing the L2
    costs a fill and a write-back."""
    work = tile_work(calls, sides)
    traffic = [operand_traffic(call) for call in calls]
    shares: dict[str, np.ndarray] = {}
    l2_lines = np.zeros(len(work.row))
    llc_lines = np.zeros(len(work.row))
    for operand, moved in (("in", 1.0), ("w", 1.0), ("out", 2.0)):
        lines = getattr(work, f"{operand}_lines")
        for level, attribute in (("l2", "l2_passes"), ("llc", "llc_passes")):
            share = np.array([getattr(t[operand], attribute) / t[operand].passes for t in traffic])[work.row]
            shares[f"{operand}_{level}_share"] = share
            fetched = moved * share * lines * np.array([t[operand].line_share for t in traffic])[work.row]
            if level == "l2":
                l2_lines += fetched
            else:
                llc_lines += fetched
    matmul = np.array([isinstance(call, MatmulCall) for call in calls])[work.row]
    return CallWork(work, len(calls), matmul, l2_miss_lines=l2_lines, llc_miss_lines=llc_lines, **shares)


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
    wrapped_tiles: np.ndarray  # tiles whose input window is negative: LoopConv's unsigned loop bound wraps

    def bound(self) -> np.ndarray:
        """The component with the most cycles, per call ("host", "array", "reads", "writes", "memory")."""
        names = np.array(["host", "array", "reads", "writes", "memory"])
        return names[np.argmax(np.stack([self.host, self.array, self.reads, self.writes, self.memory]), axis=0)]


def tile_components(cw: CallWork, t: GemminiTiming) -> dict[str, np.ndarray]:
    """Per tile class: array, reads, writes, memory cycles of one tile."""
    w = cw.work

    def latency(operand: str, hit: float) -> np.ndarray:
        return (hit + getattr(cw, f"{operand}_l2_share") * t.miss_penalty_cycles
                + getattr(cw, f"{operand}_llc_share") * t.dram_penalty_cycles)

    stream = ((w.in_packets * latency("in", t.l2_hit_cycles) + w.w_packets * latency("w", t.l2_hit_cycles))
              / READ_SLOTS + w.in_beats + w.w_beats)
    slots = command_slots(w.side)
    tracked = (stream + w.in_commands * latency("in", t.l2_hit_cycles)
               + w.w_commands * latency("w", t.l2_hit_cycles)) / slots
    reads = np.maximum.reduce([stream, tracked, w.in_requests + w.w_requests + w.zero_rows]) + w.pages * t.page_cycles
    out_latency = latency("out", t.write_cycles)
    written = np.maximum(w.out_packets * out_latency / WRITE_SLOTS, w.out_beats)
    store_slots = np.minimum(slots, STORE_ENTRIES)
    writes = np.maximum(written, (written + w.out_commands * out_latency) / store_slots)
    in_latency, w_latency = latency("in", t.l2_hit_cycles), latency("w", t.l2_hit_cycles)
    mshrs = (w.in_packets * in_latency + w.w_packets * w_latency + w.out_packets * out_latency) / L2_MSHRS
    memory = np.maximum(cw.l2_miss_lines * t.line_cycles + cw.llc_miss_lines * t.dram_line_cycles, mshrs)
    return {"array": w.array_cycles, "reads": reads, "writes": writes, "memory": memory}


def execution_cycles(cw: CallWork, t: GemminiTiming) -> Breakdown:
    """Cycles of each call (see the module's docstring)."""
    parts = tile_components(cw, t)
    slowest = np.maximum.reduce([parts["array"], parts["reads"], parts["writes"], parts["memory"]])
    serial = (np.maximum(parts["reads"], parts["memory"]) + parts["array"] + parts["writes"]) / CONCURRENT_LOOPS
    gemmini = np.where(cw.matmul, slowest, np.maximum(slowest, serial)) + t.tile_bubble_cycles
    host = np.where(cw.matmul, t.host_matmul_tile_cycles, t.host_conv_tile_cycles)
    tile = np.maximum(host, gemmini)
    w = cw.work

    def per_call(values: np.ndarray | float) -> np.ndarray:
        return np.bincount(w.row, weights=w.mult * values, minlength=cw.calls)

    tiles = per_call(1.0)
    return Breakdown(total=per_call(tile) + t.call_cycles, host=per_call(host),
                     array=per_call(parts["array"]), reads=per_call(parts["reads"]),
                     writes=per_call(parts["writes"]), memory=per_call(parts["memory"]), tiles=tiles,
                     wrapped_tiles=per_call(w.wrapped))
