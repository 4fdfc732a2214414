"""The one cost model of GEMM mappings: from a set of candidate tilings (their compute cycles, local-memory traffic
and fetched bytes) to time, DRAM/L2 traffic and energy on a given memory system.

The optimal search (`gemm.py`: every candidate under every loop order, keeping the best L2 pin set) and the mapping
landscape (`landscape.py`: one loop order and one L2 keep set per mapping) price through these same functions, so a
mapping both can express costs the same in both (docs/simulator.md, "Memory hierarchy" and "Mapping landscape").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from simulator.hardware.technology import Technology

LOOP_ORDERS: tuple[str, ...] = tuple("".join(p) for p in itertools.permutations("mnk"))


def _refetch_dims(order: str, dims: str) -> tuple[str, ...]:
    """Loops that re-fetch an operand: those not indexing it, outside the innermost loop that does."""
    innermost = max(order.index(d) for d in dims)
    return tuple(d for d in order[:innermost] if d not in dims)


# REFETCH[order, operand, loop]: whether that loop re-fetches the operand (a, b, c) under that order (m, k, n).
REFETCH = np.array([[[loop in _refetch_dims(order, dims) for loop in "mkn"] for dims in ("mk", "kn", "mn")]
                    for order in LOOP_ORDERS])


class HardwareKey(NamedTuple):
    """What a GEMM's cost depends on in the hardware (`AcceleratorSpec.hardware_key()`, the same order)."""

    rows: int
    cols: int
    dataflow: str
    timing: str
    efficiency: float
    input_bits: int
    weight_bits: int
    accumulator_bits: int
    scratchpad_bytes: int
    accumulator_bytes: int
    l2_bytes: int
    local_link: tuple[float, int]  # (bytes/cycle, latency) the DMA sustains to the next level
    dram_link_bytes_per_cycle: float  # what the DMA sustains from DRAM through the L2 (requests in flight / miss)
    dram_latency_cycles: int
    technology_nm: int
    array_format: str


class Operands(NamedTuple):
    """Operand widths (bits) and where each operand comes from (the output: where it goes)."""

    a_bits: float
    b_bits: float
    out_bits: int
    a_source: str
    b_source: str
    c_dest: str


def multiplicity_by_order(trips: np.ndarray, orders: tuple[str, ...]) -> np.ndarray:
    """How many times each operand crosses the local link under each of `orders`, for every candidate: the product
    of the trip counts of its re-fetch loops. `trips` is (3, candidates) over the loops m, k, n; the result is
    (orders, operands a/b/c, candidates)."""
    refetch = REFETCH[[LOOP_ORDERS.index(order) for order in orders]]
    return np.where(refetch[:, :, :, None], trips[None, None], 1.0).prod(axis=2)


def multiplicity(trips: np.ndarray, order_index: np.ndarray) -> np.ndarray:
    """`multiplicity_by_order` for one loop order per candidate (an index into LOOP_ORDERS): (candidates, operands)."""
    return np.where(REFETCH[order_index], trips.T[:, None, :], 1.0).prod(axis=2)


def fetched_bytes(m: int, k: int, n: int, operands: Operands, acc_bits: int, mult_a: np.ndarray, mult_b: np.ndarray,
                  mult_c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bytes A and B move over the local link, and the partial sums that spill (written and read back at accumulator
    width) when K is not the innermost loop; an operand already on chip moves nothing."""
    a_b, b_b, acc_b = operands.a_bits / 8.0, operands.b_bits / 8.0, acc_bits / 8.0
    return (m * k * a_b * mult_a * (operands.a_source != "chip"),
            k * n * b_b * mult_b * (operands.b_source != "chip"),
            (mult_c - 1.0) * m * n * acc_b)


@lru_cache(maxsize=4096)
def maximal_pin_sets(sizes: tuple[float, float, float], capacity: int) -> tuple[int, ...]:
    """The largest subsets of (a, b, partial sums), as bit masks, whose sizes fit the L2 together."""
    fitting = fitting_pin_sets(sizes, capacity)
    return tuple(mask for mask in fitting if not any(other != mask and other | mask == other for other in fitting))


def fitting_pin_sets(sizes: tuple[float, float, float], capacity: int) -> tuple[int, ...]:
    """Every subset of (a, b, partial sums), as bit masks (a=1, b=2, c=4), whose sizes fit the L2 together."""
    return tuple(mask for mask in range(8) if sum(size for j, size in enumerate(sizes) if mask >> j & 1) <= capacity)


def operand_sizes(m: int, k: int, n: int, operands: Operands, acc_bits: int) -> np.ndarray:
    """Bytes of A, B and the partial sums (at accumulator width): what an L2 pin must hold."""
    a_b, b_b = operands.a_bits / 8.0, operands.b_bits / 8.0
    return np.array([m * k * a_b, k * n * b_b, m * n * acc_bits / 8.0])


@dataclass(frozen=True, slots=True)
class Priced:
    """Per-candidate results (arrays broadcast over the candidates' shape). `keep` is the L2 pin set each candidate
    uses (bit masks a=1, b=2, c=4; None without an L2) and `read_saving` what pinning each operand saves in DRAM
    reads (a pin that saves nothing is not reported as pinned)."""

    compute: np.ndarray
    cycles: np.ndarray
    local_reads: np.ndarray
    local_writes: np.ndarray
    dram_reads: np.ndarray
    dram_writes: np.ndarray
    l2_traffic: np.ndarray
    compulsory: float
    mac_pj: float
    sram_pj: np.ndarray
    dram_pj: np.ndarray
    energy_pj: np.ndarray
    keep: np.ndarray | None
    read_saving: tuple[np.ndarray, np.ndarray, np.ndarray] | None


def price(m: int, k: int, n: int, hw: HardwareKey, operands: Operands, *, em: np.ndarray, ek: np.ndarray,
          en: np.ndarray, compute: np.ndarray, sp_reads: np.ndarray, acc_traffic: np.ndarray,
          fetched: tuple[np.ndarray, np.ndarray, np.ndarray], out_bytes: float, keep: np.ndarray | None = None,
          ideal_memory: bool = False) -> Priced:
    """Time, traffic and energy of candidate tilings. `fetched` is (A, B, spilled partial sums) bytes over the local
    link per candidate (and loop order); `keep`, the L2 pin set of each candidate as bit masks, or None to take the
    one that saves the most DRAM traffic (the search's choice; every saving is >= 0, so the best is maximal)."""
    a_b, b_b = operands.a_bits / 8.0, operands.b_bits / 8.0
    a_source, b_source, c_dest = operands.a_source, operands.b_source, operands.c_dest
    local_bw, local_latency = hw.local_link
    l2_bytes = hw.l2_bytes
    if hw.efficiency != 1.0:
        compute = compute / hw.efficiency
    fetched_a, fetched_b, spill = fetched
    local_reads = fetched_a + fetched_b + spill
    local_writes = out_bytes + spill
    sizes = operand_sizes(m, k, n, operands, hw.accumulator_bits)
    from_dram = np.array([a_source == "dram", b_source == "dram", True])
    compulsory = float(sizes[:2] @ from_dram[:2]) + (out_bytes if c_dest == "dram" else 0.0)
    chosen: np.ndarray | None = None
    read_saving = None
    if l2_bytes:
        # DRAM sees each DRAM-sourced operand once if the L2 pins it, else every fetch; partial sums not at all if
        # pinned; a DRAM-bound output once.
        read_saving = ((fetched_a - sizes[0]) * from_dram[0], (fetched_b - sizes[1]) * from_dram[1], spill)
        if keep is None:
            sets = maximal_pin_sets(tuple(sizes), l2_bytes)
            reads_saved = np.stack([sum((read_saving[j] for j in range(3) if mask >> j & 1), np.zeros_like(spill))
                                    for mask in sets])  # (sets, ...)
            writes_saved = np.stack([spill if mask & 4 else np.zeros_like(spill) for mask in sets])
            best_set = np.argmax(reads_saved + writes_saved, axis=0)[None]
            reads_saved = np.take_along_axis(reads_saved, best_set, axis=0)[0]
            writes_saved = np.take_along_axis(writes_saved, best_set, axis=0)[0]
            chosen = np.asarray(sets)[best_set[0]]
        else:
            reads_saved = np.zeros_like(spill)
            for j in range(3):  # in operand order, as the search sums them (adding 0.0 changes no value)
                reads_saved = reads_saved + np.where(keep >> j & 1, read_saving[j], 0.0)
            writes_saved = np.where(keep & 4, spill, 0.0)
            chosen = keep
        dram_reads = fetched_a * from_dram[0] + fetched_b * from_dram[1] + spill - reads_saved
        dram_writes = (out_bytes if c_dest == "dram" else 0.0) + spill - writes_saved
        l2_traffic = local_reads + local_writes
    else:
        dram_reads = local_reads
        dram_writes = local_writes
        l2_traffic = np.zeros_like(local_reads)
    if ideal_memory:
        cycles = np.broadcast_to(compute, local_reads.shape).astype(np.float64)
    else:
        transfer = (local_reads + local_writes) / local_bw
        dram_transfer = (dram_reads + dram_writes) / hw.dram_link_bytes_per_cycle if l2_bytes else 0.0
        if hw.timing == "analytic":
            cycles = np.maximum(compute, np.maximum(transfer, dram_transfer))
        else:
            first_tiles = ((em * ek * a_b if a_source != "chip" else 0.0)
                           + (ek * en * b_b if b_source != "chip" else 0.0)) / local_bw
            last_tile = (em * en * operands.out_bits / 8.0 if c_dest != "chip" else 0.0) / local_bw
            latency = local_latency + (hw.dram_latency_cycles if l2_bytes and compulsory else 0.0)
            # Prologue (latency + first A/B tiles) and epilogue (last C tile) do not overlap compute; the rest does.
            overlapped = np.maximum(np.maximum(compute, np.maximum(transfer - first_tiles - last_tile, 0.0)),
                                    dram_transfer)
            cycles = latency + first_tiles + overlapped + last_tile

    tech = Technology.at(hw.technology_nm)
    mac_pj = tech.mac_pj(hw.input_bits, hw.weight_bits, hw.accumulator_bits, hw.array_format) * m * k * n
    sram_pj = ((sp_reads + local_reads) * tech.sram_pj_per_byte(hw.scratchpad_bytes / 1024)
               + (acc_traffic + local_writes) * tech.sram_pj_per_byte(hw.accumulator_bytes / 1024)
               + l2_traffic * (tech.sram_pj_per_byte(l2_bytes / 1024) if l2_bytes else 0.0))
    dram_pj = (dram_reads + dram_writes) * tech.dram_pj_per_byte
    energy = mac_pj + sram_pj + dram_pj
    return Priced(compute=compute, cycles=cycles, local_reads=local_reads, local_writes=local_writes,
                  dram_reads=dram_reads, dram_writes=dram_writes, l2_traffic=l2_traffic, compulsory=compulsory,
                  mac_pj=mac_pj, sram_pj=sram_pj, dram_pj=dram_pj, energy_pj=energy, keep=chosen,
                  read_saving=read_saving)
