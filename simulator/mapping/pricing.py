"""The one cost model of GEMM mappings: from a set of candidate tilings (their compute cycles, local-memory traffic
and fetched bytes) to time, DRAM/L2 traffic and energy on a given memory system.

`price` runs three pure steps, each returning a small record: `traffic_of` (which operands move over which link, the
L2 pins, the DMA packets requested), `time_of` (link and DMA-slot times, the prologue and epilogue, the overlap with
compute; analytic vs Gemmini's and SCALE-Sim's timing) and `energy_of`. The optimal search and Gemmini's tiler
(`gemm.py`: every candidate under every loop order, keeping the best L2 pin set) and the mapping landscape
(`landscape.py`: one loop order and one L2 keep set per mapping) price through these same steps, so a mapping both
can express costs the same in both (docs/simulator.md, "Memory hierarchy" and "Mapping landscape").
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from simulator.hardware.spec import HardwareKey
from simulator.hardware.technology import Technology
from simulator.mapping.requests import request_factor

LOOP_ORDERS: tuple[str, ...] = tuple("".join(p) for p in itertools.permutations("mnk"))


def _refetch_dims(order: str, dims: str) -> tuple[str, ...]:
    """Loops that re-fetch an operand: those not indexing it, outside the innermost loop that does."""
    innermost = max(order.index(d) for d in dims)
    return tuple(d for d in order[:innermost] if d not in dims)


# REFETCH[order, operand, loop]: whether that loop re-fetches the operand (a, b, c) under that order (m, k, n).
REFETCH = np.array([[[loop in _refetch_dims(order, dims) for loop in "mkn"] for dims in ("mk", "kn", "mn")]
                    for order in LOOP_ORDERS])


class Operands(NamedTuple):
    """Operand widths (bits) and where each operand comes from (the output: where it goes)."""

    a_bits: float
    b_bits: float
    out_bits: int
    a_source: str
    b_source: str
    c_dest: str
    b_transposed: bool = False  # B stored N x K: its tile rows run along K


_REFETCH_LOOPS = [[tuple(np.flatnonzero(loops).tolist()) for loops in by_operand] for by_operand in REFETCH]
"""Per order and operand: the loops (0, 1, 2 = m, k, n) that re-fetch it."""


def multiplicity_by_order(trips: np.ndarray, orders: tuple[str, ...]) -> np.ndarray:
    """How many times each operand crosses the local link under each of `orders`, for every candidate: the product
    of the trip counts of its re-fetch loops (whole numbers: exact in any order), each set of loops once. `trips`
    is (3, candidates) over the loops m, k, n; the result is (orders, operands a/b/c, candidates)."""
    result = np.empty((len(orders), 3, trips.shape[1]))
    products: dict[tuple[int, ...], np.ndarray | float] = {(): 1.0}
    for o, order in enumerate(orders):
        for j, loops in enumerate(_REFETCH_LOOPS[LOOP_ORDERS.index(order)]):
            if loops not in products:
                products[loops] = np.prod(trips[list(loops)], axis=0)
            result[o, j] = products[loops]
    return result


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


PacketFactors = tuple[tuple[np.ndarray | float, np.ndarray | float], ...]  # per operand: (packets, packets that miss)
NO_LIMIT: PacketFactors = ((1.0, 1.0),) * 4


def _power_of_two(bits: float) -> bool:
    return bits >= 1 and float(bits).is_integer() and int(bits) & (int(bits) - 1) == 0


@lru_cache(maxsize=8192)
def packet_tables(k: int, n: int, rows: int, cols: int, acc_bits: int, request_bytes: int, operands: Operands,
                  k_extents: tuple[int, ...], n_extents: tuple[int, ...]) -> tuple[tuple[np.ndarray, ...], ...]:
    """Per operand (A, B, spilled partial sums, output): (packets, packets that miss, 1 if its tile rows run along K
    else 0) for each of the tile extents along K and N (mapping/requests.py): packets per full packet's worth of
    bytes, less for misses those whose line the tile to the left brought into the L2. A's tile rows run along K in
    blocks of the array's rows; B's (along K when stored N x K), the partial sums' and the output's along N in blocks
    of its columns. An operand whose bits per element are not a power of two is no single row-major array of them
    (compressed weights carry index bits, an im2col convolution's A is its input map at a fraction of M x K): its
    rows are counted in full packets."""

    def table(bits: float, along_k: bool) -> tuple[np.ndarray, ...]:
        extents, length, block = (k_extents, k, rows) if along_k else (n_extents, n, cols)
        if not _power_of_two(bits):
            ones = np.ones(len(extents))
            return ones, ones, np.array(float(along_k))
        width = bits / 8.0
        found = [request_factor(e * width, length * width, block * width, request_bytes) for e in extents]
        packets = np.array([f.packets for f in found])
        return packets, packets - np.array([f.neighbour_hits for f in found]), np.array(float(along_k))

    return (table(operands.a_bits, True), table(operands.b_bits, operands.b_transposed), table(acc_bits, False),
            table(operands.out_bits, False))


def gather(tables: tuple[tuple[np.ndarray, ...], ...], k_pick: np.ndarray, n_pick: np.ndarray) -> PacketFactors:
    """Each candidate's factors from `packet_tables`, given the index of its extent along K and along N."""
    return tuple((packets[k_pick if along_k else n_pick], misses[k_pick if along_k else n_pick])
                 for packets, misses, along_k in tables)


def request_factors_of(k: int, n: int, rows: int, cols: int, acc_bits: int, request_bytes: int | None,
                       operands: Operands, ek: np.ndarray, en: np.ndarray) -> PacketFactors:
    """The DMA packet factors (`packet_tables`) of candidates with tile extents ek along K and en along N; all 1
    without a request limit."""
    if request_bytes is None:
        return NO_LIMIT
    along_k, k_pick = np.unique(ek, return_inverse=True)
    along_n, n_pick = np.unique(en, return_inverse=True)
    tables = packet_tables(k, n, rows, cols, acc_bits, request_bytes, operands, tuple(along_k.tolist()),
                           tuple(along_n.tolist()))
    return gather(tables, k_pick.reshape(np.shape(ek)), n_pick.reshape(np.shape(en)))


def request_bytes(hw: HardwareKey) -> int | None:
    """The DMA's request size when a request limit makes packets count (None: they do not)."""
    return None if hw.request_link == (float("inf"), float("inf")) else hw.dma_request_bytes


STACKED_FIELDS = ("local_link", "dram_link_bytes_per_cycle", "dram_latency_cycles", "request_link", "technology_nm")
"""The hardware key's fields that only time (bandwidths and latencies) and energy (the node) read: keys differing in
nothing else share their tilings and traffic, and `stack` prices them together."""


def stack(keys: Sequence[Sequence[HardwareKey]], lengths: np.ndarray) -> HardwareKey:
    """One key standing for the keys of several searches priced in one pass (each search's keys equal but for
    `STACKED_FIELDS`; the searches' equal but for those and the array's size), its candidates the searches' in turn
    (`lengths`: how many each has). A field whose values differ is an array: rows and cols over the candidates, a
    stacked field over (keys, 1, candidates), a search with fewer keys padded with its first; `price` with it gives
    times and energies over (keys, orders, candidates), each key's the same numbers as priced alone."""
    width = max(len(group) for group in keys)

    def column(get: Callable[[HardwareKey], float]) -> np.ndarray | float:
        table = [[get(key) for key in group] + [get(group[0])] * (width - len(group)) for group in keys]
        if len({value for row in table for value in row}) == 1:
            return table[0][0]
        return np.repeat(np.array(table, dtype=np.float64).T, lengths, axis=1)[:, None, :]

    def per_candidate(values: list[int]) -> np.ndarray | int:
        return values[0] if len(set(values)) == 1 else np.repeat(np.array(values, dtype=np.int64), lengths)

    return keys[0][0]._replace(
        rows=per_candidate([group[0].rows for group in keys]), cols=per_candidate([group[0].cols for group in keys]),
        local_link=(column(lambda key: key.local_link[0]), column(lambda key: key.local_link[1])),
        dram_link_bytes_per_cycle=column(lambda key: key.dram_link_bytes_per_cycle),
        dram_latency_cycles=column(lambda key: key.dram_latency_cycles),
        request_link=(column(lambda key: key.request_link[0]), column(lambda key: key.request_link[1])),
        technology_nm=column(lambda key: key.technology_nm))


class Gemm(NamedTuple):
    """The GEMM being priced: (m x k)·(k x n) and its operands."""

    m: int
    k: int
    n: int
    operands: Operands


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate tilings to price, arrays broadcast over the candidates' shape: their tile extents, the array's work
    (compute cycles, scratchpad bytes read, accumulator bytes read and written), the bytes A, B and the spilled
    partial sums move over the local link (`fetched`, per candidate and loop order) and the output's bytes (written
    once). `factors`: their DMA packet factors (`request_factors_of`) when the caller has them (the search caches
    them with its tilings); None to compute them."""

    em: np.ndarray
    ek: np.ndarray
    en: np.ndarray
    compute: np.ndarray
    sp_reads: np.ndarray
    acc_traffic: np.ndarray
    fetched: tuple[np.ndarray, np.ndarray, np.ndarray]
    out_bytes: float
    factors: PacketFactors | None = None


@dataclass(frozen=True, slots=True)
class Traffic:
    """Which bytes move where (per candidate). `requested`: the local link's bytes in full packets' worth (partial
    packets count whole); `dram_requested`: those of them that wait on DRAM (None without an L2). `keep` is the L2
    pin set each candidate uses (bit masks a=1, b=2, c=4; None without an L2) and `read_saving` what pinning each
    operand saves in DRAM reads (a pin that saves nothing is not reported as pinned)."""

    local_reads: np.ndarray
    local_writes: np.ndarray
    dram_reads: np.ndarray
    dram_writes: np.ndarray
    l2_traffic: np.ndarray
    compulsory: float | np.ndarray  # every DRAM-sourced operand and a DRAM-bound output moved exactly once
    requested: np.ndarray
    dram_requested: np.ndarray | None
    factors: PacketFactors
    keep: np.ndarray | None
    read_saving: tuple[np.ndarray, np.ndarray, np.ndarray] | None


@dataclass(frozen=True, slots=True)
class Time:
    """Cycles per candidate: the array's (at the chip's GEMM efficiency) and the total; and what the transfers need
    from the DMA and the links (compute overlaps it), the longer of the local link's time and DRAM's, kept in parts
    (`dram`: its bytes, their rate and its slots' time, None without an L2): only the chosen mappings need it whole
    (`transfer_at`), a sweep's keys multiply it."""

    compute: np.ndarray
    cycles: np.ndarray
    local: np.ndarray
    dram: tuple[np.ndarray, np.ndarray | float, np.ndarray] | None = None

    def transfer_at(self, shape: tuple[int, ...], index: tuple[np.ndarray, ...]) -> np.ndarray:
        """The transfer time at `index` into `shape` (the parts broadcast to it)."""
        def at(part: np.ndarray | float) -> np.ndarray:
            return np.broadcast_to(part, shape)[index]

        if self.dram is None:
            return np.maximum(at(self.local), 0.0)
        data, rate, slots = self.dram
        return np.maximum(at(self.local), np.maximum(at(data) / at(rate), at(slots)))


@dataclass(frozen=True, slots=True)
class Energy:
    """Dynamic energy per candidate, pJ: the MACs (the same for every candidate), SRAM and DRAM accesses."""

    mac_pj: float
    sram_pj: np.ndarray
    dram_pj: np.ndarray
    total_pj: np.ndarray


@dataclass(frozen=True, slots=True)
class Priced:
    """A set of candidates priced: the three steps' records."""

    traffic: Traffic
    time: Time
    energy: Energy


def price(gemm: Gemm, hw: HardwareKey, candidates: Candidates, keep: np.ndarray | None = None,
          ideal_memory: bool = False) -> Priced:
    """Traffic, time and energy of candidate tilings. `keep`: the L2 pin set of each candidate as bit masks, or None
    to take the one that saves the most DRAM traffic (the search's choice); `ideal_memory`: transfers take no time."""
    traffic = traffic_of(gemm, hw, candidates, keep)
    time = time_of(gemm, hw, candidates, traffic, ideal_memory)
    return Priced(traffic, time, energy_of(gemm, hw, candidates, traffic))


def traffic_of(gemm: Gemm, hw: HardwareKey, candidates: Candidates, keep: np.ndarray | None = None) -> Traffic:
    """The local link carries every fetch, spill and the output; without an L2 DRAM sees the same. `keep`: as
    `price`."""
    m, k, n, operands = gemm
    fetched_a, fetched_b, spill = candidates.fetched
    out_bytes = candidates.out_bytes
    local_reads = fetched_a + fetched_b + spill
    local_writes = out_bytes + spill
    sizes = operand_sizes(m, k, n, operands, hw.accumulator_bits)
    from_dram = np.array([operands.a_source == "dram", operands.b_source == "dram", True])  # spills go to DRAM
    out_to_dram = out_bytes if operands.c_dest == "dram" else 0.0
    compulsory = sizes[0] * from_dram[0] + sizes[1] * from_dram[1] + out_to_dram  # per GEMM when batched
    factors = candidates.factors
    if factors is None:
        factors = request_factors_of(k, n, hw.rows, hw.cols, hw.accumulator_bits, request_bytes(hw), operands,
                                     candidates.ek, candidates.en)
    (factor_a, _), (factor_b, _), (factor_spill, _), (factor_out, _) = factors
    requested = fetched_a * factor_a + fetched_b * factor_b + 2.0 * spill * factor_spill + out_bytes * factor_out
    if not hw.l2_bytes:
        return Traffic(local_reads, local_writes, local_reads, local_writes, np.zeros_like(local_reads), compulsory,
                       requested, None, factors, None, None)
    l2 = _through_l2(sizes, hw.l2_bytes, from_dram, candidates.fetched, out_to_dram, factors, keep)
    return Traffic(local_reads, local_writes, l2.dram_reads, l2.dram_writes, local_reads + local_writes, compulsory,
                   requested, l2.dram_requested, factors, l2.keep, l2.read_saving)


class _ThroughL2(NamedTuple):
    """DRAM's side of the traffic with an L2 (per candidate), and the pins that shape it."""

    dram_reads: np.ndarray
    dram_writes: np.ndarray
    dram_requested: np.ndarray
    keep: np.ndarray
    read_saving: tuple[np.ndarray, np.ndarray, np.ndarray]


def _best_pins(sizes: np.ndarray, l2_bytes: int, read_saving: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """The L2 pin set that saves each candidate the most DRAM traffic: every saving is >= 0, so the best is one of
    the maximal sets that fit (the first of them in mask order when several save as much). `sizes`: the operands'
    (3,), or (3, candidates) when the candidates are several GEMMs'."""
    spill = read_saving[2]
    if sizes.ndim == 1:
        sets = maximal_pin_sets(tuple(sizes), l2_bytes)
        if len(sets) == 1:  # the only choice (all fit, or a single one of them)
            return np.full(spill.shape, sets[0], dtype=np.int64)
        allowed: list[np.ndarray | bool] = [True] * len(sets)
    else:
        fits = [np.broadcast_to(sum(size for j, size in enumerate(sizes) if mask >> j & 1) <= l2_bytes,
                                sizes.shape[1:]) for mask in range(8)]
        maximal = [fits[mask] & ~np.logical_or.reduce([fits[other] for other in range(8)
                                                      if other != mask and other | mask == other] or [False])
                   for mask in range(8)]
        sets = tuple(mask for mask in range(8) if maximal[mask].any())
        if len(sets) == 1:  # every candidate's only choice (operands too big for the L2: pin nothing)
            return np.full(spill.shape, sets[0], dtype=np.int64)
        allowed = [maximal[mask] for mask in sets]
    chosen, best = np.full(spill.shape, sets[0], dtype=np.int64), None
    for mask, ok in zip(sets, allowed, strict=True):  # the first set saving the most (savings are finite or -inf)
        saved = np.where(ok, sum((read_saving[j] for j in range(3) if mask >> j & 1), np.zeros_like(spill))
                         + (spill if mask & 4 else np.zeros_like(spill)), -np.inf)
        if best is not None:
            better = saved > best
            np.copyto(chosen, mask, where=better)
            saved = np.where(better, saved, best)
        best = saved
    return chosen


def _times(values: np.ndarray, source: np.bool_) -> np.ndarray:
    """`values * source` (0 or the values themselves)."""
    return values if source else values * source


def _through_l2(sizes: np.ndarray, l2_bytes: int, from_dram: np.ndarray,
                fetched: tuple[np.ndarray, np.ndarray, np.ndarray], out_to_dram: float, factors: PacketFactors,
                keep: np.ndarray | None) -> _ThroughL2:
    """DRAM sees each DRAM-sourced operand once if the L2 pins it, else every fetch; partial sums not at all if
    pinned; a DRAM-bound output once (`out_to_dram`: its bytes, 0 when it stays on chip or in the L2)."""
    fetched_a, fetched_b, spill = fetched
    # What DRAM would see without pins (a product by True is the value itself: skipped, as every term below that
    # only subtracts or adds a pin's saving of exactly 0.0 where no candidate pins that operand).
    from_a, from_b = _times(fetched_a, from_dram[0]), _times(fetched_b, from_dram[1])
    read_saving = (_times(fetched_a - sizes[0], from_dram[0]), _times(fetched_b - sizes[1], from_dram[1]), spill)
    chosen = _best_pins(sizes, l2_bytes, read_saving) if keep is None else keep
    used = int(np.bitwise_or.reduce(chosen, axis=None)) if np.size(chosen) else 0
    saved = [np.where(chosen >> j & 1, read_saving[j], 0.0) if used >> j & 1 else None for j in range(3)]
    dram_reads = from_a + from_b + spill
    if used:
        reads_saved: np.ndarray | float = 0.0
        for part in saved:  # in operand order, as the sets' sums in _best_pins
            reads_saved = reads_saved if part is None else reads_saved + part
        dram_reads = dram_reads - reads_saved
    dram_writes = out_to_dram + spill
    if saved[2] is not None:
        dram_writes = dram_writes - saved[2]
    # Packets that wait on DRAM: a DRAM-bound pass's, less those whose line the left neighbour tile fetched.
    (_, miss_a), (_, miss_b), (_, miss_spill), (_, miss_out) = factors
    dram_requested = ((from_a if saved[0] is None else from_a - saved[0]) * miss_a
                      + (from_b if saved[1] is None else from_b - saved[1]) * miss_b
                      + 2.0 * (spill if saved[2] is None else spill - saved[2]) * miss_spill
                      + out_to_dram * miss_out)
    return _ThroughL2(dram_reads, dram_writes, dram_requested, chosen, read_saving)


def time_of(gemm: Gemm, hw: HardwareKey, candidates: Candidates, traffic: Traffic,
            ideal_memory: bool = False) -> Time:
    """Transfers overlap compute (double buffering): with the `analytic` timing a candidate takes the longest of
    compute, the local link and DRAM; with Gemmini's or SCALE-Sim's it adds a prologue and an epilogue
    (`_pipelined`). `ideal_memory`: transfers take no time."""
    compute = candidates.compute
    if hw.gemm_efficiency != 1.0:
        compute = compute / hw.gemm_efficiency
    if ideal_memory:
        cycles = np.broadcast_to(compute, traffic.local_reads.shape).astype(np.float64)
        return Time(compute, cycles, np.zeros_like(cycles))
    transfer, dram = _link_times(hw, traffic)
    if hw.timing == "analytic":
        dram_transfer = 0.0 if dram is None else np.maximum(dram[0] / dram[1], dram[2])
        cycles = np.maximum(compute, np.maximum(transfer, dram_transfer))
    else:
        cycles = _pipelined(gemm, hw, candidates, traffic, compute, transfer, dram)
    return Time(compute, cycles, transfer, dram)


def _link_times(hw: HardwareKey, traffic: Traffic) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray | float,
                                                                               np.ndarray] | None]:
    """The local link's cycles, and DRAM's as (bytes, rate, slots' time): its time is max(bytes / rate, slots'
    time); None without an L2. A link's time: its bytes over its width, or the DMA's slots' time, whichever is
    longer. Every packet holds one of the slots for its round trip: an L2 hit's, or a miss's (`request_link` is the
    slots' rate at full packets of each; the factors count partial packets in full packets' worth of bytes)."""
    local_slots, dram_slots = hw.request_link
    requested = traffic.requested
    transfer = np.maximum((traffic.local_reads + traffic.local_writes) / hw.local_link[0], requested / local_slots)
    if traffic.dram_requested is None:
        return transfer, None
    return transfer, (traffic.dram_reads + traffic.dram_writes, hw.dram_link_bytes_per_cycle,
                      traffic.dram_requested / dram_slots + (requested - traffic.dram_requested) / local_slots)


def _pipelined(gemm: Gemm, hw: HardwareKey, candidates: Candidates, traffic: Traffic, compute: np.ndarray,
               transfer: np.ndarray, dram: tuple[np.ndarray, np.ndarray | float, np.ndarray] | None) -> np.ndarray:
    """Cycles when the prologue (the link's latency, DRAM's too when an L2 sits before it, and the first A and B
    tiles) and the epilogue (the last C tile) do not overlap compute; the rest does. Over a sweep's keys only DRAM's
    bytes / rate differ per key: the rest is taken over (orders, candidates) first, then each key's sums in place."""
    operands = gemm.operands
    em, ek, en = candidates.em, candidates.ek, candidates.en
    local_bw, local_latency = hw.local_link
    local_slots = hw.request_link[0]
    (factor_a, _), (factor_b, _), _, (factor_out, _) = traffic.factors
    first_a = em * ek * (operands.a_bits / 8.0) if operands.a_source != "chip" else 0.0
    first_b = ek * en * (operands.b_bits / 8.0) if operands.b_source != "chip" else 0.0
    first_tiles = np.maximum((first_a + first_b) / local_bw, (first_a * factor_a + first_b * factor_b) / local_slots)
    last_c = em * en * operands.out_bits / 8.0 if operands.c_dest != "chip" else 0.0
    last_tile = np.maximum(last_c / local_bw, last_c * factor_out / local_slots)
    latency = local_latency + (np.where(traffic.compulsory > 0, hw.dram_latency_cycles, 0.0) if hw.l2_bytes else 0.0)
    overlapped = np.maximum(compute, np.maximum(transfer - first_tiles - last_tile, 0.0))
    if dram is None:
        overlapped = np.maximum(overlapped, 0.0)
    else:  # max(overlapped, max(bytes / rate, slots)): max is exact in any order
        overlapped = np.maximum(overlapped, dram[2])
        per_key = dram[0] / dram[1]
        overlapped = np.maximum(overlapped, per_key, out=per_key if per_key.shape == np.broadcast_shapes(
            per_key.shape, overlapped.shape) else None)
    head = latency + first_tiles
    if overlapped.shape != np.broadcast_shapes(overlapped.shape, np.shape(head), np.shape(last_tile)):
        return head + overlapped + last_tile
    np.add(head, overlapped, out=overlapped)  # (latency + first tiles) + overlapped + last tile, in that order
    overlapped += last_tile
    return overlapped


@lru_cache(maxsize=4096)
def _energy_rates(node_nm: int, input_bits: int, weight_bits: int, accumulator_bits: int, array_format: str,
                  scratchpad_bytes: int, accumulator_bytes: int, l2_bytes: int) -> tuple[float, ...]:
    """pJ per MAC, per byte of scratchpad, accumulator and L2 (0 without one), and per DRAM byte at a node."""
    tech = Technology.at(node_nm)
    return (tech.mac_pj(input_bits, weight_bits, accumulator_bits, array_format),
            tech.sram_pj_per_byte(scratchpad_bytes / 1024), tech.sram_pj_per_byte(accumulator_bytes / 1024),
            tech.sram_pj_per_byte(l2_bytes / 1024) if l2_bytes else 0.0, tech.dram_pj_per_byte)


def energy_of(gemm: Gemm, hw: HardwareKey, candidates: Candidates, traffic: Traffic) -> Energy:
    """MACs at the array's format and widths; every SRAM byte at its memory's size; DRAM bytes at the node's cost
    (a `stack` of nodes gives energies over (nodes, orders, candidates))."""
    nodes, which = np.unique(np.ravel(hw.technology_nm).astype(np.int64), return_inverse=True)
    rates = [_energy_rates(node, hw.input_bits, hw.weight_bits, hw.accumulator_bits, hw.array_format,
                           hw.scratchpad_bytes, hw.accumulator_bytes, hw.l2_bytes) for node in nodes.tolist()]
    if np.ndim(hw.technology_nm):
        mac, sp, acc, l2, dram = (np.array(rate)[np.ravel(which)].reshape(np.shape(hw.technology_nm))
                                  for rate in zip(*rates, strict=True))
    else:
        mac, sp, acc, l2, dram = rates[0]
    mac_pj = mac * gemm.m * gemm.k * gemm.n
    sram_pj = ((candidates.sp_reads + traffic.local_reads) * sp + (candidates.acc_traffic + traffic.local_writes) * acc
               + traffic.l2_traffic * l2)
    dram_pj = (traffic.dram_reads + traffic.dram_writes) * dram
    return Energy(mac_pj, sram_pj, dram_pj, mac_pj + sram_pj + dram_pj)
