"""GEMM cost on a systolic array and the vectorized mapping search over tile sizes and loop orders.

Compute model: per dataflow and timing, in `weight_stationary.py` and `output_stationary.py` (docs/simulator.md).

Memory model. Tiles (tm, tk, tn) live in the scratchpad (A and B tiles, double-buffered) and the accumulator
(the C tile). A loop order over the tile loops (outer -> inner) decides how often each operand is fetched into the
local memories: an operand is re-fetched once per iteration of every loop that does not index it and sits outside
the innermost loop that does; outputs whose K loop is not innermost spill partial sums (accumulator width) and read
them back. Each operand comes from DRAM, from the L2 (an activation the previous op left there) or from chip (scores
kept in the accumulator). With an L2, an operand fetched from DRAM more than once is pinned in the L2 when it fits
(the search picks the operands to pin), so DRAM sees it once; the local link carries every fetch.
Transfers overlap compute (double buffering):
cycles = latency + first A/B tiles + max(compute, other local transfers, DRAM transfers) + last C tile,
or, with the `analytic` timing, max(compute, local transfers, DRAM transfers). The pricing of candidates (traffic, L2
pins, cycles, energy) lives in `pricing.py`, shared with the mapping landscape (`landscape.py`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict

from simulator.hardware.spec import AcceleratorSpec, HardwareKey
from simulator.mapping import output_stationary, pricing, tiles, weight_stationary
from simulator.mapping.gemmini_tiler import TilerError, gemmini_tiles
from simulator.mapping.pricing import LOOP_ORDERS, Operands

Objective = Literal["latency", "energy", "edp"]
Source = Literal["dram", "l2", "chip"]  # where an operand comes from (or, for the output, where it goes)
Tiling = Literal["search", "square"]
Mapper = Literal["optimal", "gemmini"]
GEMMINI_ORDER = "mnk"  # tiled_matmul_outer: i0 -> j0 -> k0, outer to inner


class MappingError(ValueError):
    """No legal mapping: the smallest tile does not fit the on-chip memories."""


class Mapping(BaseModel):
    """A chosen GEMM mapping: tile sizes, the tile-loop order (outer -> inner) and what it pins in the L2."""

    model_config = ConfigDict(frozen=True)

    dataflow: str
    tile_m: int
    tile_k: int
    tile_n: int
    loop_order: str
    scratchpad_bytes_used: int
    accumulator_bytes_used: int
    l2_pinned: str = ""  # operands kept in the L2 across re-fetches: "a", "b", "c" (partial sums)
    mapper: str = "optimal"  # who chose it: our search, or Gemmini's software tiler

    def describe(self) -> str:
        pinned = f" L2 {'+'.join(self.l2_pinned)}" if self.l2_pinned else ""
        tiler = " (Gemmini tiler)" if self.mapper == "gemmini" else ""
        return (f"{self.dataflow} tile m{self.tile_m} k{self.tile_k} n{self.tile_n} "
                f"order {'>'.join(self.loop_order)}{pinned}{tiler}")


class GemmCost(BaseModel):
    """Cost of one GEMM instance under its chosen mapping."""

    model_config = ConfigDict(frozen=True)

    m: int
    k: int
    n: int
    macs: int
    cycles: float
    compute_cycles: float
    stall_cycles: float
    transfer_cycles: float  # what its transfers need from the DMA and the links, partial packets included
    dram_read_bytes: float
    dram_write_bytes: float
    compulsory_dram_bytes: float  # every DRAM-sourced operand and a DRAM-bound output moved exactly once
    l2_bytes: float  # traffic between the local memories and the L2 (0 without an L2)
    scratchpad_bytes: float
    accumulator_bytes: float
    utilization: float
    energy_pj: float  # MAC + SRAM + DRAM dynamic energy (static energy is added per design point)
    energy_mac_pj: float
    energy_sram_pj: float
    energy_dram_pj: float
    mapping: Mapping
    candidates: int

    @property
    def dram_bytes(self) -> float:
        return self.dram_read_bytes + self.dram_write_bytes


DATAFLOWS = {"ws": weight_stationary, "os": output_stationary}


def gemm_cost(m: int, k: int, n: int, hw: AcceleratorSpec, *, objective: Objective = "latency",
              a_bits: float | None = None, b_bits: float | None = None, out_bits: int | None = None,
              a_source: Source = "dram", b_source: Source = "dram", c_dest: Source = "dram",
              tiling: Tiling = "search", mapper: Mapper = "optimal", whole_rows: bool = False,
              ideal_memory: bool = False, b_transposed: bool = False,
              hardware_key: HardwareKey | None = None) -> GemmCost:
    """The mapping of one (m x k) . (k x n) GEMM: the best for `objective` (`mapper="optimal"`), or the one
    Gemmini's software tiler picks (`"gemmini"`); cached by (shape, hardware, options).

    `whole_rows`: a fused row-wise consumer (softmax, a normalization) reads the output as it leaves the
    accumulator, so an output tile must span whole rows (all n columns). `b_transposed`: B is stored N x K (its
    tile rows run along K; it changes only how many DMA packets a tile takes). `hardware_key`: `hw.hardware_key()`
    when the caller has it already (batch evaluation groups points by it).
    """
    found = gemm_costs([gemm_request(
        m, k, n, hardware_key or hw.hardware_key(), objective=objective, a_bits=a_bits, b_bits=b_bits,
        out_bits=out_bits, a_source=a_source, b_source=b_source, c_dest=c_dest, tiling=tiling, mapper=mapper,
        whole_rows=whole_rows, ideal_memory=ideal_memory, b_transposed=b_transposed)])[0]
    if isinstance(found, MappingError):
        raise found
    return found


def gemm_request(m: int, k: int, n: int, hw: HardwareKey, *, objective: Objective = "latency",
                 a_bits: float | None = None, b_bits: float | None = None, out_bits: int | None = None,
                 a_source: Source = "dram", b_source: Source = "dram", c_dest: Source = "dram",
                 tiling: Tiling = "search", mapper: Mapper = "optimal", whole_rows: bool = False,
                 ideal_memory: bool = False, b_transposed: bool = False) -> tuple:
    """What `gemm_cost` is asked (its arguments as in `gemm_cost`, the hardware as its key): the mapping cache's key,
    and what `gemm_costs` takes, so a caller with many can have them searched together."""
    return (m, k, n, hw, objective, a_bits or hw.input_bits, b_bits or hw.weight_bits, out_bits or hw.input_bits,
            a_source, b_source, c_dest, tiling, mapper, whole_rows, ideal_memory, b_transposed)


def gemm_costs(requests: Sequence[tuple]) -> list[GemmCost | MappingError]:
    """The mapping of each `gemm_request` (or why it has none), from the cache or searched: the requests that differ
    only in the hardware's links and node (`pricing.STACKED_FIELDS`) share their tilings and traffic, so they are
    priced together, one vectorized pass for all their keys."""
    results: list[GemmCost | MappingError] = [_PENDING] * len(requests)
    waiting: dict[tuple, list[int]] = {}  # each request not cached: where it was asked
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    with _LOCK:
        for position, request in enumerate(requests):
            cached = _SEARCHES.get(request)
            if cached is not None:
                _SEARCHES.move_to_end(request)
                results[position] = cached
            elif request in waiting:
                waiting[request].append(position)
            else:
                waiting[request] = [position]
                groups[_group_key(request)].append(request)
        _CACHE_STATS[0] += len(requests) - len(waiting)
        _CACHE_STATS[1] += len(waiting)
    for members in groups.values():
        try:
            searched: list[GemmCost | MappingError] = list(_search(members))
        except MappingError as error:  # no tiling fits: the same for every member (not cached, as before)
            searched = [error] * len(members)
        for request, cost in zip(members, searched, strict=True):
            for position in waiting[request]:
                results[position] = cost
        with _LOCK:
            _SEARCHES.update((request, cost) for request, cost in zip(members, searched, strict=True)
                             if isinstance(cost, GemmCost))
            while len(_SEARCHES) > _SEARCHES_MAX:
                _SEARCHES.popitem(last=False)
    return results


def whole_rows_refusal(m: int, k: int, n: int, hw: AcceleratorSpec, *, a_bits: float, b_bits: float, out_bits: int,
                       mapper: Mapper = "optimal", tiling: Tiling = "search") -> str | None:
    """Why no output tile of this GEMM can hold whole rows for a fused row-wise consumer; None when one can.

    The smallest whole-row tile of the mapper's space: Gemmini's tiler starts from one block of rows; the search's
    smallest tile has the fewest rows and the shortest K its dataflow allows (the free dimension from 1, a folded one
    from the array's size); square tiles need a side of at least n.
    """
    a_b, b_b, acc_b = a_bits / 8.0, b_bits / 8.0, hw.accumulator_bits / 8.0
    sp_bytes, acc_bytes = hw.scratchpad_bytes, hw.accumulator_bytes
    if mapper == "gemmini":
        try:
            gemmini_tiles(m, k, n, hw.rows, hw.cols, hw.dataflow, a_b, b_b, acc_b, sp_bytes, acc_bytes, whole_rows=True)
        except TilerError as error:
            return str(error)
        return None
    if tiling == "square":
        sides = _square(m, k, n, hw.rows, hw.cols)[0]
        side = int(sides[sides >= n][0]) if (sides >= n).any() else int(sides[-1])
        em, ek = min(side, m), min(side, k)
    elif hw.dataflow == "ws":
        em, ek = 1, min(hw.rows, k)
    else:
        em, ek = min(hw.rows, m), 1
    sp_need, acc_need = 2.0 * (em * ek * a_b + ek * n * b_b), em * n * acc_b
    if sp_need <= sp_bytes and acc_need <= acc_bytes:
        return None
    return (f"whole output rows of {n} do not fit: the smallest such tile ({em}x{ek}x{n}) needs "
            f"{acc_need / 1024:g} KiB of accumulator (have {acc_bytes / 1024:g}) and {sp_need / 1024:g} KiB of "
            f"scratchpad (have {sp_bytes / 1024:g})")


def cache_clear() -> None:
    """Forget all cached mappings and tilings (the speed benchmark measures cold evaluation with it)."""
    with _LOCK:
        _SEARCHES.clear()
        _CACHE_STATS[:] = [0, 0]
    _tilings.cache_clear()


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int


def cache_info() -> CacheInfo:
    return CacheInfo(_CACHE_STATS[0], _CACHE_STATS[1], _SEARCHES_MAX, len(_SEARCHES))


_SEARCHES: OrderedDict[tuple, GemmCost] = OrderedDict()  # by `gemm_request`, least recently used out
_SEARCHES_MAX = 65_536  # ~1.5 KB per entry: bounded at ~100 MB
_CACHE_STATS = [0, 0]  # hits, misses
_LOCK = threading.Lock()
_PENDING = MappingError("not searched")  # a placeholder until a request's group is searched


def _group_key(request: tuple) -> tuple:
    """What a request shares with those priced with it: everything but the hardware's links (whether the DMA's
    requests are limited at all stays: it decides the tilings' packet counts). Hardware given as anything but a
    HardwareKey (a whole accelerator: tests/simulator/test_stage_keys.py) is priced alone, as given."""
    hw = request[3]
    if not isinstance(hw, HardwareKey):
        return request
    shared = hw._replace(**{**dict.fromkeys(pricing.STACKED_FIELDS), "request_link": pricing.request_bytes(hw)})
    return (*request[:3], shared, *request[4:])


class _Tilings(NamedTuple):
    """The legal tilings of one GEMM on one array and memory size, ready to price (`candidates`: their extents, work
    and traffic, `fetched` over (loop orders, candidates)) under each of `orders`, with the scratchpad and
    accumulator bytes each needs. Bandwidths, latencies, the L2 and technology do not enter here, so a sweep over
    them re-prices these instead of enumerating them again."""

    orders: tuple[str, ...]
    sp_need: np.ndarray
    acc_need: np.ndarray
    candidates: pricing.Candidates


def _square(m: int, k: int, n: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tm = tk = tn: one side from the array's multiples up to the largest dimension (each clipped to its own)."""
    side = tiles.folded(max(m, k, n), max(rows, cols))
    return side, side, side


@lru_cache(maxsize=512)  # up to ~100 KB per entry (a few hundred tilings x 6 orders): bounded at ~50 MB
def _tilings(m: int, k: int, n: int, rows: int, cols: int, dataflow: str, timing: str, a_bits: float, b_bits: float,
             out_bits: int, acc_bits: int, sp_bytes: int, acc_bytes_cap: int, a_source: str, b_source: str,
             c_dest: str, tiling: str, mapper: str, whole_rows: bool, request_bytes: int | None,
             b_transposed: bool) -> _Tilings:
    a_b, b_b, o_b, acc_b = a_bits / 8.0, b_bits / 8.0, out_bits / 8.0, acc_bits / 8.0
    folds = DATAFLOWS[dataflow]
    orders = LOOP_ORDERS
    reuse = (False, False)
    if mapper == "gemmini":
        try:
            chosen = gemmini_tiles(m, k, n, rows, cols, dataflow, a_b, b_b, acc_b, sp_bytes, acc_bytes_cap, whole_rows)
        except TilerError as error:
            raise MappingError(str(error)) from None
        tm, tk, tn = (np.array([x], dtype=np.int64) for x in (chosen.tile_m, chosen.tile_kk, chosen.tile_n))
        orders, reuse = (GEMMINI_ORDER,), (chosen.a_reuse, chosen.b_reuse)
        tks, tns, k_pick = tk, tn, np.zeros(1, dtype=np.int64)
        n_pick = k_pick
    elif tiling == "square":
        side = _square(m, k, n, rows, cols)[0]
        tm = tk = tn = tks = tns = side
        k_pick = n_pick = np.arange(len(side))
    else:
        tms, tks, tns = folds.candidates(m, k, n, rows, cols)
        # Every (tm, tk, tn), tm outermost: each candidate's index in tms, tks, tns.
        m_pick, k_pick, n_pick = np.indices((len(tms), len(tks), len(tns))).reshape(3, -1)
        tm, tk, tn = tms[m_pick], tks[k_pick], tns[n_pick]
    em, ek, en = np.minimum(tm, m), np.minimum(tk, k), np.minimum(tn, n)  # effective tile extents
    sp_need = 2.0 * (em * ek * a_b + ek * en * b_b)  # double-buffered A and B tiles
    acc_need = em * en * acc_b
    legal = (sp_need <= sp_bytes) & (acc_need <= acc_bytes_cap)
    if whole_rows:
        legal &= en == n
    if not legal.any():
        if whole_rows:
            raise MappingError(f"no tile of GEMM {m}x{k}x{n} holds whole output rows for a fused row-wise op "
                               f"(scratchpad {sp_bytes} B, accumulator {acc_bytes_cap} B)")
        i = int(np.argmin(sp_need + acc_need))
        raise MappingError(
            f"no tile of GEMM {m}x{k}x{n} fits on chip: the smallest ({int(em[i])}x{int(ek[i])}x{int(en[i])}) needs "
            f"{sp_need[i]:.0f} B of scratchpad (have {sp_bytes}) and {acc_need[i]:.0f} B of accumulator "
            f"(have {acc_bytes_cap})")
    kept = np.flatnonzero(legal)
    tm, tk, tn, em, ek, en, sp_need, acc_need, k_pick, n_pick = (
        x[kept] for x in (tm, tk, tn, em, ek, en, sp_need, acc_need, k_pick, n_pick))

    compute, sp_reads, acc_traffic = (np.asarray(x, dtype=np.float64) for x in folds.work(
        timing, m, k, n, rows, cols, tm, tk, a_b, b_b, acc_b))

    # Fetch multiplicity of each operand under each order: the product of the trip counts of its re-fetch loops,
    # for all orders and candidates at once: (orders, operands, candidates). Gemmini's tiler loads an operand once
    # when it reuses it (a_reuse / b_reuse).
    loops = (-(-np.array([[m], [k], [n]]) // np.stack([tm, tk, tn]))).astype(np.float64)  # trips (m, k, n; candidates)
    mult = pricing.multiplicity_by_order(loops, orders)
    if reuse[0]:
        mult[:, 0] = 1.0
    if reuse[1]:
        mult[:, 1] = 1.0
    operands = Operands(a_bits, b_bits, out_bits, a_source, b_source, c_dest, b_transposed)
    fetched = pricing.fetched_bytes(m, k, n, operands, acc_bits, mult[:, 0], mult[:, 1], mult[:, 2])
    out_bytes = m * n * o_b if c_dest != "chip" else 0.0
    factors = pricing.NO_LIMIT if request_bytes is None else pricing.gather(pricing.packet_tables(
        k, n, rows, cols, acc_bits, request_bytes, operands, tuple(np.minimum(tks, k).tolist()),
        tuple(np.minimum(tns, n).tolist())), k_pick, n_pick)
    for array in (em, ek, en, sp_need, acc_need, compute, sp_reads, acc_traffic, *fetched):
        array.setflags(write=False)  # shared by every later search that hits this cache entry
    candidates = pricing.Candidates(em, ek, en, compute, sp_reads, acc_traffic, fetched, out_bytes, factors)
    return _Tilings(orders, sp_need, acc_need, candidates)


def _choice(objective: str, time: pricing.Time, energy: pricing.Energy, keys: int) -> tuple[np.ndarray, np.ndarray]:
    """(loop order, candidate) of the best mapping for `objective` under each of `keys` hardware keys (times and
    energies over (keys, orders, candidates), or over (orders, candidates) when the same for all). Lexicographic:
    within 0.1% of the best primary objective, the best secondary one (a compute-bound GEMM has many equally fast
    tilings; the one with least traffic should win)."""
    cycles, energy_pj = time.cycles, energy.total_pj
    if objective == "latency":
        primary, secondary = cycles, energy_pj
    elif objective == "energy":
        primary, secondary = energy_pj, cycles
    else:
        primary, secondary = energy_pj * cycles, cycles
    shape = (keys, *energy_pj.shape[-2:])
    primary = np.broadcast_to(primary, shape)
    best = primary.min(axis=(1, 2), keepdims=True)
    score = np.where(primary <= best * 1.001, secondary, np.inf).reshape(keys, -1)
    return np.divmod(np.argmin(score, axis=1), shape[2])


def _search(members: list[tuple]) -> list[GemmCost]:
    """The best mapping of one GEMM for each of `members` (requests differing only in the hardware's links and node):
    the tilings and their traffic once, the time and energy of all at once over the keys stacked as an axis."""
    (m, k, n, hw, objective, a_bits, b_bits, out_bits, a_source, b_source, c_dest, tiling, mapper, whole_rows,
     ideal_memory, b_transposed) = members[0]
    if min(m, k, n) < 1:
        raise MappingError(f"GEMM shape must be positive, got m={m} k={k} n={n}")
    tilings = _tilings(m, k, n, hw.rows, hw.cols, hw.dataflow, hw.timing, a_bits, b_bits, out_bits,
                       hw.accumulator_bits, hw.scratchpad_bytes, hw.accumulator_bytes, a_source, b_source, c_dest,
                       tiling, mapper, whole_rows, pricing.request_bytes(hw), b_transposed)
    gemm = pricing.Gemm(m, k, n, Operands(a_bits, b_bits, out_bits, a_source, b_source, c_dest, b_transposed))
    stacked = hw if len(members) == 1 else pricing.stack([request[3] for request in members])
    priced = pricing.price(gemm, stacked, tilings.candidates, ideal_memory=ideal_memory)
    orders, picks = _choice(objective, priced.time, priced.energy, len(members))
    return _costs(gemm, hw, tilings, priced, (np.arange(len(members)), orders, picks), mapper)


def _pinned(keep: np.ndarray, saving: list[np.ndarray]) -> list[str]:
    """The operands each chosen mapping keeps in the L2 (those whose pin saves DRAM traffic): `keep`, its pin set
    (bit masks), and `saving`, what pinning a, b, c saves it, per chosen mapping."""
    masks, saves = keep.tolist(), [(part > 0).tolist() for part in saving]
    return ["".join(name for j, name in enumerate("abc") if mask >> j & 1 and saves[j][c])
            for c, mask in enumerate(masks)]


def _at(array: np.ndarray, chosen: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[float]:
    """The chosen entries of an array over (keys, orders, candidates), or over (orders, candidates) when the same for
    every key."""
    key, o, i = chosen
    return (array[key, o, i] if array.ndim == 3 else array[o, i]).tolist()


def _costs(gemm: pricing.Gemm, hw: HardwareKey, tilings: _Tilings, priced: pricing.Priced,
           chosen: tuple[np.ndarray, np.ndarray, np.ndarray], mapper: str) -> list[GemmCost]:
    """The chosen candidates (per hardware key: its index, loop order and tiling; time and energy are over (keys,
    orders, tilings), traffic over (orders, tilings)) as GemmCosts, each value read off its array at once."""
    traffic, time, energy, candidates = priced.traffic, priced.time, priced.energy, tilings.candidates
    key, o, i = chosen
    pinned = [""] * len(key) if traffic.keep is None else _pinned(
        traffic.keep[o, i], [part[o, i] for part in traffic.read_saving])
    tile_m, tile_k, tile_n = (extent[i].tolist() for extent in (candidates.em, candidates.ek, candidates.en))
    sp_used, acc_used = tilings.sp_need[i].tolist(), tilings.acc_need[i].tolist()
    totals, computes, transfers = _at(time.cycles, chosen), time.compute[i].tolist(), _at(time.transfer, chosen)
    reads, writes, l2 = (part[o, i].tolist() for part in (traffic.dram_reads, traffic.dram_writes, traffic.l2_traffic))
    scratchpad = (candidates.sp_reads[i] + traffic.local_reads[o, i]).tolist()
    accumulator = (candidates.acc_traffic[i] + traffic.local_writes[o, i]).tolist()
    total_pj, sram_pj, dram_pj = (_at(part, chosen) for part in (energy.total_pj, energy.sram_pj, energy.dram_pj))
    mac_pj = (np.ravel(energy.mac_pj) * np.ones(len(key))).tolist()  # one per key (x 1.0: exact)
    macs, size = gemm.m * gemm.k * gemm.n, int(traffic.local_reads.size)
    return [GemmCost(
        m=gemm.m, k=gemm.k, n=gemm.n, macs=macs, cycles=totals[c], compute_cycles=computes[c],
        stall_cycles=totals[c] - computes[c], transfer_cycles=transfers[c], dram_read_bytes=reads[c],
        dram_write_bytes=writes[c], compulsory_dram_bytes=traffic.compulsory, l2_bytes=l2[c],
        scratchpad_bytes=scratchpad[c], accumulator_bytes=accumulator[c],
        utilization=macs / (totals[c] * hw.rows * hw.cols), energy_pj=total_pj[c],
        energy_mac_pj=mac_pj[c], energy_sram_pj=sram_pj[c], energy_dram_pj=dram_pj[c],
        mapping=Mapping(dataflow=hw.dataflow, tile_m=tile_m[c], tile_k=tile_k[c], tile_n=tile_n[c],
                        loop_order=tilings.orders[o_c], scratchpad_bytes_used=int(sp_used[c]),
                        accumulator_bytes_used=int(acc_used[c]), mapper=mapper, l2_pinned=pinned[c]),
        candidates=size) for c, o_c in enumerate(o.tolist())]
