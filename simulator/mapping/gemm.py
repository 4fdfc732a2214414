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

from simulator.hardware.spec import AcceleratorSpec, HardwareKey
from simulator.mapping import pricing, tilings
from simulator.mapping.gemmini_tiler import TilerError, gemmini_tiles
from simulator.mapping.pricing import Operands
from simulator.mapping.tilings import MappingError, Part

Objective = Literal["latency", "energy", "edp"]
Source = Literal["dram", "l2", "chip"]  # where an operand comes from (or, for the output, where it goes)
Tiling = Literal["search", "square"]
Mapper = Literal["optimal", "gemmini"]


class Mapping(NamedTuple):
    """A chosen GEMM mapping: tile sizes, the tile-loop order (outer -> inner) and what it pins in the L2.

    The search's records are named tuples of plain values, not pydantic models: the search builds one per request
    (100,000s in a sweep, 65,536 cached), and a tuple of plain values is cheap to build (CPython's collector still
    scans it: it never untracks a tuple subclass)."""

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


class GemmCost(NamedTuple):
    """Cost of one GEMM instance under its chosen mapping (a named tuple, as `Mapping`)."""

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
    batches: dict[tuple, list[list[tuple]]] = defaultdict(list)
    for members in groups.values():
        batches[_batch_key(members[0])].append(members)
    for searches in batches.values():
        for members, searched in zip(searches, _search(searches), strict=True):
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
        sides = tilings.square(m, k, n, hw.rows, hw.cols)[0]
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
    tilings.cache_clear()
    _shared.cache_clear()


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
    return (*request[:3], _shared(hw), *request[4:])


def _batch_key(request: tuple) -> tuple:
    """What the searches priced in one vectorized pass share: a request's `_group_key` but for the GEMM's shape and
    the array's rows and columns, which the pricing takes per candidate."""
    hw = request[3]
    if not isinstance(hw, HardwareKey):
        return request
    return (_shared(hw)._replace(rows=None, cols=None), *request[4:])


@lru_cache(maxsize=4096)
def _shared(hw: HardwareKey) -> HardwareKey:
    """The key without its links and node: what the requests priced together share (memoised: every request asks)."""
    return hw._replace(**{**dict.fromkeys(pricing.STACKED_FIELDS), "request_link": pricing.request_bytes(hw)})


def _choice(objective: str, time: pricing.Time, energy: pricing.Energy, keys: int,
            lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(loop order, candidate) of the best mapping for `objective` under each of `keys` hardware keys of each search,
    as (keys, searches) arrays (the candidate's index within its search). Times and energies are over (keys, orders,
    candidates), or over (orders, candidates) when the same for all keys; search s's candidates are the `lengths[s]`
    after the previous searches'. Lexicographic: within 0.1% of the best primary objective, the best secondary one
    (a compute-bound GEMM has many equally fast tilings; the one with least traffic should win); of equals, the
    first in (loop order, candidate) order."""
    cycles, energy_pj = time.cycles, energy.total_pj
    if objective == "latency":
        primary, secondary = cycles, energy_pj
    elif objective == "energy":
        primary, secondary = energy_pj, cycles
    else:
        primary, secondary = energy_pj * cycles, cycles
    shape = (keys, *energy_pj.shape[-2:])
    starts = np.cumsum(lengths) - lengths

    def per_search(least: np.ndarray) -> np.ndarray:  # each search's least per key, (keys, candidates) -> (keys, 1, c.)
        return np.repeat(np.minimum.reduceat(least, starts, axis=1), lengths, axis=1)[:, None, :]

    primary, secondary = np.broadcast_to(primary, shape), np.broadcast_to(secondary, shape)
    near = primary <= per_search(primary.min(axis=1)) * 1.001
    best = per_search(np.min(secondary, axis=1, where=near, initial=np.inf))
    # a best of inf: the candidates not near the best primary (scored inf) tie with it too
    ties = np.where(near, secondary, np.inf) == best if np.isinf(best).any() else near & (secondary == best)
    # The first tie in (loop order, candidate) order: per candidate, its first tying order (or shape[1]: none);
    # then the least rank.
    first = np.full((keys, shape[2]), shape[1])
    for order in range(shape[1] - 1, -1, -1):
        np.copyto(first, order, where=ties[:, order])
    rank = np.where(first < shape[1], first * np.repeat(lengths, lengths)
                    + (np.arange(shape[2]) - np.repeat(starts, lengths)), shape[1] * shape[2])
    return np.divmod(np.minimum.reduceat(rank, starts, axis=1), lengths)


def _tiling_key(request: tuple) -> tilings.Key:
    """What a request's tilings depend on."""
    (m, k, n, hw, _, a_bits, b_bits, out_bits, a_source, b_source, c_dest, tiling, mapper, whole_rows, _,
     b_transposed) = request
    return tilings.Key(m, k, n, hw.rows, hw.cols, hw.dataflow, hw.timing, a_bits, b_bits, out_bits,
                       hw.accumulator_bits, hw.scratchpad_bytes, hw.accumulator_bytes, a_source, b_source, c_dest,
                       tiling, mapper, whole_rows, pricing.request_bytes(hw), b_transposed)


def _search(searches: list[list[tuple]]) -> list[list[GemmCost] | list[MappingError]]:
    """The best mapping of each member of each search. A search is one GEMM's requests differing only in the
    hardware's links and node; the searches share `_batch_key`. Each search's tilings and traffic are built once
    (cached), then the time, energy and choice of every search's keys in one vectorized pass over all their
    candidates: numpy's per-call cost, not the candidates, is most of a small search's time."""
    spaces = tilings.tilings_of([_tiling_key(members[0]) for members in searches])
    live = [(members, space) for members, space in zip(searches, spaces, strict=True) if isinstance(space, Part)]
    priced = iter(_price_searches(live) if live else [])
    # no tiling fits: the same for every member (not cached)
    return [[space] * len(members) if isinstance(space, MappingError) else next(priced)
            for members, space in zip(searches, spaces, strict=True)]


def _price_searches(live: list[tuple[list[tuple], Part]]) -> list[list[GemmCost]]:
    """`_search`'s vectorized pass: the searches' candidates joined, the GEMM's shape and the array's size per
    candidate, the keys stacked as an axis (`pricing.stack`)."""
    (_, _, _, hw, objective, a_bits, b_bits, out_bits, a_source, b_source, c_dest, _, mapper, _, ideal_memory,
     b_transposed) = live[0][0][0]
    lengths = np.array([space.size for _, space in live])
    shapes = np.repeat(np.array([members[0][:3] for members, _ in live], dtype=np.int64), lengths, axis=0).T
    gemm = pricing.Gemm(*shapes, Operands(a_bits, b_bits, out_bits, a_source, b_source, c_dest, b_transposed))
    keys = [[request[3] for request in members] for members, _ in live]
    stacked = hw if len(live) == 1 and len(live[0][0]) == 1 else pricing.stack(keys, lengths)
    joined = tilings.joined([space for _, space in live])
    priced = pricing.price(gemm, stacked, joined.candidates, ideal_memory=ideal_memory)
    width = max(len(group) for group in keys)
    orders, picks = _choice(objective, priced.time, priced.energy, width, lengths)
    key = np.array([j for group in keys for j in range(len(group))])
    search = np.repeat(np.arange(len(live)), [len(group) for group in keys])
    chosen = (key, orders[key, search], picks[key, search] + (np.cumsum(lengths) - lengths)[search])
    costs = iter(_costs(live, joined, priced, chosen, (width, *priced.traffic.local_reads.shape), mapper))
    return [[next(costs) for _ in group] for group in keys]


def _pinned(keep: np.ndarray, saving: list[np.ndarray]) -> list[str]:
    """The operands each chosen mapping keeps in the L2 (those whose pin saves DRAM traffic): `keep`, its pin set
    (bit masks), and `saving`, what pinning a, b, c saves it, per chosen mapping."""
    masks, saves = keep.tolist(), [(part > 0).tolist() for part in saving]
    return ["".join(name for j, name in enumerate("abc") if mask >> j & 1 and saves[j][c])
            for c, mask in enumerate(masks)]


def _costs(live: list[tuple[list[tuple], Part]], joined: tilings.Tilings, priced: pricing.Priced,
           chosen: tuple[np.ndarray, np.ndarray, np.ndarray], shape: tuple[int, int, int], mapper: str
           ) -> list[GemmCost]:
    """The chosen candidates (per search and key: its key's index, loop order and candidate among all) as GemmCosts,
    each value read off its array (over `shape` = (keys, orders, candidates) or broadcast to it) at once."""
    traffic, time, energy = priced.traffic, priced.time, priced.energy
    candidates = joined.candidates
    key, o, i = chosen

    def at(array: np.ndarray | float) -> list:
        return np.broadcast_to(array, shape)[key, o, i].tolist()

    pinned = [""] * len(key) if traffic.keep is None else _pinned(
        traffic.keep[o, i], [part[o, i] for part in traffic.read_saving])
    tile_m, tile_k, tile_n, computes = (at(part) for part in (candidates.em, candidates.ek, candidates.en,
                                                               time.compute))
    sp_used, acc_used = at(joined.sp_need), at(joined.acc_need)
    totals, reads, writes, l2, compulsory = (at(part) for part in (
        time.cycles, traffic.dram_reads, traffic.dram_writes, traffic.l2_traffic, traffic.compulsory))
    transfers = time.transfer_at(shape, chosen).tolist()
    scratchpad = (candidates.sp_reads[i] + traffic.local_reads[o, i]).tolist()
    accumulator = (candidates.acc_traffic[i] + np.broadcast_to(traffic.local_writes, shape[1:])[o, i]).tolist()
    total_pj, sram_pj, dram_pj, mac_pj = (at(part) for part in (energy.total_pj, energy.sram_pj, energy.dram_pj,
                                                                energy.mac_pj))
    orders = joined.orders
    sizes = [len(orders) * part.size for members, part in live for _ in members]
    requests = [request for members, _ in live for request in members]
    hws = [request[3] for request in requests]
    macs = [m * k * n for m, k, n, *_ in requests]
    mappings = map(Mapping._make, zip(
        [hw.dataflow for hw in hws], tile_m, tile_k, tile_n, [orders[o_c] for o_c in o.tolist()],
        [int(x) for x in sp_used], [int(x) for x in acc_used], pinned, [mapper] * len(requests), strict=True))
    return list(map(GemmCost._make, zip(
        [r[0] for r in requests], [r[1] for r in requests], [r[2] for r in requests], macs, totals, computes,
        [t - c for t, c in zip(totals, computes, strict=True)], transfers, reads, writes, compulsory, l2, scratchpad,
        accumulator, [mac / (t * hw.rows * hw.cols) for mac, t, hw in zip(macs, totals, hws, strict=True)],
        total_pj, mac_pj, sram_pj, dram_pj, mappings, sizes, strict=True)))
