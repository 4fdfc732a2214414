"""The mapping search's space: the legal tilings of a GEMM on an array and its memories, with the work and traffic
of each under each loop order, ready to price (`pricing.py`). Bandwidths, latencies, the L2 and technology do not
enter here, so a sweep over them re-prices cached tilings instead of enumerating them again.

Many GEMMs' tilings are built in one vectorized pass (`tilings_of`): each GEMM's candidate tile sizes are listed on
their own, then the extents, legality, compute, fetch multiplicities and DMA packet factors of all their candidates
are computed at once, the GEMM's shape and the array's size taken per candidate (numpy's per-call cost, not the
candidates, is most of a small GEMM's time).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from simulator.mapping import output_stationary, pricing, tiles, weight_stationary
from simulator.mapping.gemmini_tiler import TilerError, gemmini_tiles
from simulator.mapping.pricing import LOOP_ORDERS, Operands

DATAFLOWS = {"ws": weight_stationary, "os": output_stationary}
GEMMINI_ORDER = "mnk"  # tiled_matmul_outer: i0 -> j0 -> k0, outer to inner


class MappingError(ValueError):
    """No legal mapping: the smallest tile does not fit the on-chip memories."""


class Tilings(NamedTuple):
    """The legal tilings of one GEMM on one array and memory size, ready to price (`candidates`: their extents, work
    and traffic, `fetched` over (loop orders, candidates)) under each of `orders`, with the scratchpad and
    accumulator bytes each needs."""

    orders: tuple[str, ...]
    sp_need: np.ndarray
    acc_need: np.ndarray
    candidates: pricing.Candidates


class Key(NamedTuple):
    """What a GEMM's tilings depend on: the cache's key."""

    m: int
    k: int
    n: int
    rows: int
    cols: int
    dataflow: str
    timing: str
    a_bits: float
    b_bits: float
    out_bits: int
    acc_bits: int
    sp_bytes: int
    acc_bytes_cap: int
    a_source: str
    b_source: str
    c_dest: str
    tiling: str
    mapper: str
    whole_rows: bool
    request_bytes: int | None
    b_transposed: bool


def square(m: int, k: int, n: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tm = tk = tn: one side from the array's multiples up to the largest dimension (each clipped to its own)."""
    side = tiles.folded(max(m, k, n), max(rows, cols))
    return side, side, side


class _Space(NamedTuple):
    """One GEMM's candidate tile sizes before the memories judge them: (tm, tk, tn) per candidate, the distinct tile
    sizes along K and N with each candidate's index into them, and whether Gemmini's tiler reuses A and B."""

    tm: np.ndarray
    tk: np.ndarray
    tn: np.ndarray
    tks: np.ndarray
    tns: np.ndarray
    k_pick: np.ndarray
    n_pick: np.ndarray
    reuse: tuple[bool, bool]


def _space(key: Key) -> _Space:
    """The candidates of the key's mapper and tiling: Gemmini's tiler's one tile, square tiles, or every (tm, tk,
    tn) of the dataflow's tile sizes (tm outermost)."""
    m, k, n, rows, cols = key.m, key.k, key.n, key.rows, key.cols
    if min(m, k, n) < 1:
        raise MappingError(f"GEMM shape must be positive, got m={m} k={k} n={n}")
    if key.mapper == "gemmini":
        try:
            chosen = gemmini_tiles(m, k, n, rows, cols, key.dataflow, key.a_bits / 8.0, key.b_bits / 8.0,
                                   key.acc_bits / 8.0, key.sp_bytes, key.acc_bytes_cap, key.whole_rows)
        except TilerError as error:
            raise MappingError(str(error)) from None
        tm, tk, tn = (np.array([x], dtype=np.int64) for x in (chosen.tile_m, chosen.tile_kk, chosen.tile_n))
        pick = np.zeros(1, dtype=np.int64)
        return _Space(tm, tk, tn, tk, tn, pick, pick, (chosen.a_reuse, chosen.b_reuse))
    if key.tiling == "square":
        side = square(m, k, n, rows, cols)[0]
        pick = np.arange(len(side))
        return _Space(side, side, side, side, side, pick, pick, (False, False))
    tms, tks, tns = DATAFLOWS[key.dataflow].candidates(m, k, n, rows, cols)
    m_pick, k_pick, n_pick = np.indices((len(tms), len(tks), len(tns))).reshape(3, -1)
    return _Space(tms[m_pick], tks[k_pick], tns[n_pick], tks, tns, k_pick, n_pick, (False, False))


def _refusal(key: Key, space: _Space) -> MappingError:
    """Why no candidate of a GEMM is legal."""
    m, k, n = key.m, key.k, key.n
    if key.whole_rows:
        return MappingError(f"no tile of GEMM {m}x{k}x{n} holds whole output rows for a fused row-wise op "
                            f"(scratchpad {key.sp_bytes} B, accumulator {key.acc_bytes_cap} B)")
    em, ek, en = np.minimum(space.tm, m), np.minimum(space.tk, k), np.minimum(space.tn, n)
    sp_need = 2.0 * (em * ek * (key.a_bits / 8.0) + ek * en * (key.b_bits / 8.0))
    acc_need = em * en * (key.acc_bits / 8.0)
    i = int(np.argmin(sp_need + acc_need))
    return MappingError(
        f"no tile of GEMM {m}x{k}x{n} fits on chip: the smallest ({int(em[i])}x{int(ek[i])}x{int(en[i])}) needs "
        f"{sp_need[i]:.0f} B of scratchpad (have {key.sp_bytes}) and {acc_need[i]:.0f} B of accumulator "
        f"(have {key.acc_bytes_cap})")


def _factors(keys: list[Key], spaces: list[_Space], kept: np.ndarray, operands: Operands) -> pricing.PacketFactors:
    """The DMA packet factors of the kept candidates of all the GEMMs (all 1 without a request limit): each GEMM's
    tables (`pricing.packet_tables`) joined, each candidate's index into them offset by the GEMM's place."""
    first = keys[0]
    if first.request_bytes is None:
        return pricing.NO_LIMIT
    tables = [pricing.packet_tables(key.k, key.n, key.rows, key.cols, key.acc_bits, key.request_bytes, operands,
                                    tuple(np.minimum(space.tks, key.k).tolist()),
                                    tuple(np.minimum(space.tns, key.n).tolist()))
              for key, space in zip(keys, spaces, strict=True)]
    k_offsets = np.cumsum([len(space.tks) for space in spaces]) - [len(space.tks) for space in spaces]
    n_offsets = np.cumsum([len(space.tns) for space in spaces]) - [len(space.tns) for space in spaces]
    lengths = [len(space.tm) for space in spaces]
    k_pick = np.concatenate([space.k_pick for space in spaces]) + np.repeat(k_offsets, lengths)
    n_pick = np.concatenate([space.n_pick for space in spaces]) + np.repeat(n_offsets, lengths)
    joined = [(np.concatenate([table[j][0] for table in tables]), np.concatenate([table[j][1] for table in tables]),
               bool(tables[0][j][2])) for j in range(4)]
    return pricing.gather(tuple(joined), k_pick[kept], n_pick[kept])


def _build(keys: list[Key]) -> list[Tilings | MappingError]:
    """The tilings of GEMMs whose keys differ only in shape and array size, in one vectorized pass."""
    first = keys[0]
    a_b, b_b, o_b, acc_b = first.a_bits / 8.0, first.b_bits / 8.0, first.out_bits / 8.0, first.acc_bits / 8.0
    found: list[Tilings | MappingError | None] = [None] * len(keys)
    spaces: list[_Space] = []
    for position, key in enumerate(keys):
        try:
            spaces.append(_space(key))
        except MappingError as error:
            found[position] = error
    live = [key for key, done in zip(keys, found, strict=True) if done is None]
    if not live:
        return found  # type: ignore[return-value]
    lengths = np.array([len(space.tm) for space in spaces])
    m, k, n, rows, cols = (np.repeat(np.array(values, dtype=np.int64), lengths) for values in zip(
        *((key.m, key.k, key.n, key.rows, key.cols) for key in live), strict=True))
    tm, tk, tn = (np.concatenate(parts) for parts in zip(*((s.tm, s.tk, s.tn) for s in spaces), strict=True))
    em, ek, en = np.minimum(tm, m), np.minimum(tk, k), np.minimum(tn, n)  # effective tile extents
    sp_need = 2.0 * (em * ek * a_b + ek * en * b_b)  # double-buffered A and B tiles
    acc_need = em * en * acc_b
    legal = (sp_need <= first.sp_bytes) & (acc_need <= first.acc_bytes_cap)
    if first.whole_rows:
        legal &= en == n
    counts = np.add.reduceat(legal.astype(np.int64), np.cumsum(lengths) - lengths)
    kept = np.flatnonzero(legal)
    tm, tk, tn, em, ek, en, sp_need, acc_need, m, k, n, rows, cols = (
        x[kept] for x in (tm, tk, tn, em, ek, en, sp_need, acc_need, m, k, n, rows, cols))
    compute, sp_reads, acc_traffic = (np.asarray(x, dtype=np.float64) for x in DATAFLOWS[first.dataflow].work(
        first.timing, m, k, n, rows, cols, tm, tk, a_b, b_b, acc_b))
    # Fetch multiplicity of each operand under each order: the product of the trip counts of its re-fetch loops,
    # for all orders and candidates at once: (orders, operands, candidates). Gemmini's tiler loads an operand once
    # when it reuses it (a_reuse / b_reuse).
    orders = (GEMMINI_ORDER,) if first.mapper == "gemmini" else LOOP_ORDERS
    loops = (-(-np.stack([m, k, n]) // np.stack([tm, tk, tn]))).astype(np.float64)  # trips (m, k, n; candidates)
    mult = pricing.multiplicity_by_order(loops, orders)
    for j in range(2):
        reuse = np.repeat([space.reuse[j] for space in spaces], counts)
        if reuse.any():
            mult[:, j] = np.where(reuse, 1.0, mult[:, j])
    operands = Operands(first.a_bits, first.b_bits, first.out_bits, first.a_source, first.b_source, first.c_dest,
                        first.b_transposed)
    fetched = pricing.fetched_bytes(m, k, n, operands, first.acc_bits, mult[:, 0], mult[:, 1], mult[:, 2])
    factors = _factors(live, spaces, kept, operands)
    for array in (em, ek, en, sp_need, acc_need, compute, sp_reads, acc_traffic, *fetched):
        array.setflags(write=False)  # shared by every later search that hits the cache
    built = _split(live, counts, orders, (em, ek, en, sp_need, acc_need, compute, sp_reads, acc_traffic), fetched,
                   factors, o_b)
    for position, (key, space, tilings) in zip((p for p, done in enumerate(found) if done is None),
                                               zip(live, spaces, built, strict=True), strict=True):
        found[position] = tilings if tilings is not None else _refusal(key, space)
    return found  # type: ignore[return-value]


def _split(live: list[Key], counts: np.ndarray, orders: tuple[str, ...], arrays: tuple[np.ndarray, ...],
           fetched: tuple[np.ndarray, np.ndarray, np.ndarray], factors: pricing.PacketFactors,
           out_width: float) -> list[Tilings | None]:
    """Each GEMM's part of the joined candidates (views), None for one with no legal candidate."""
    ends = np.cumsum(counts)
    parts: list[Tilings | None] = []
    for key, start, end in zip(live, (ends - counts).tolist(), ends.tolist(), strict=True):
        if start == end:
            parts.append(None)
            continue
        em, ek, en, sp_need, acc_need, compute, sp_reads, acc_traffic = (array[start:end] for array in arrays)
        part_factors = factors if factors is pricing.NO_LIMIT else tuple(
            (packets[start:end], misses[start:end]) for packets, misses in factors)
        out_bytes = key.m * key.n * out_width if key.c_dest != "chip" else 0.0
        parts.append(Tilings(orders, sp_need, acc_need, pricing.Candidates(
            em, ek, en, compute, sp_reads, acc_traffic, tuple(part[:, start:end] for part in fetched), out_bytes,
            part_factors)))
    return parts


def tilings_of(keys: list[Key]) -> list[Tilings | MappingError]:
    """The tilings of each key (or why it has none), cached (least recently used out); the keys must differ only in
    the GEMM's shape and the array's size: the ones not cached are built in one pass."""
    with _LOCK:
        cached = [_CACHE.get(key) for key in keys]
        for key, hit in zip(keys, cached, strict=True):
            if hit is not None:
                _CACHE.move_to_end(key)
    missing = list(dict.fromkeys(key for key, hit in zip(keys, cached, strict=True) if hit is None))
    built = dict(zip(missing, _build(missing), strict=True)) if missing else {}
    with _LOCK:
        _CACHE.update((key, tilings) for key, tilings in built.items() if isinstance(tilings, Tilings))
        while len(_CACHE) > _CACHE_MAX:
            _CACHE.popitem(last=False)
    return [hit if hit is not None else built[key] for key, hit in zip(keys, cached, strict=True)]


def cache_clear() -> None:
    with _LOCK:
        _CACHE.clear()


_CACHE: OrderedDict[Key, Tilings] = OrderedDict()
_CACHE_MAX = 512  # up to ~100 KB per entry (a few hundred tilings x 6 orders): bounded at ~50 MB
_LOCK = threading.Lock()
