"""Where a Gemmini call's DMA traffic is served from: the L2, FASED's LLC model, or DRAM, from the DRAM-level loop
order, the caches' capacities and their set mapping.

`tiled_conv` / `tiled_matmul` reload every tile's operands from memory (no reuse across tiles in the scratchpad),
so an operand tile that a loop it does not depend on repeats is read again; whether the re-read hits depends on
the bytes touched in between (the reuse distance) against each cache's capacity:

- a re-read carried by an irrelevant loop j (the loops inside it at index 0) last touched the same data one
  iteration of loop j earlier: distance = the bytes of all operands spanned by the loops inside j (tiles for the
  loops at or outside it). The first touch of the call: the measured run followed Gemmini's own tiler on the same
  buffers (docs/measured_soc.md "How the cycles were measured"), distance = the whole layer;
- set mapping: an operand read in rows `pitch` bytes apart, `width` bytes of each, lands in only
  `lines per row x line / pitch` of a cache's sets when the pitch exceeds the line (the L2: 1024 sets of 64-byte
  lines, 8 ways; the LLC model: 4096 sets of 128-byte blocks, 8 ways), so its own bytes must fit that fraction of
  the capacity;
- a pass that misses a cache fetches every line its tiles touch again (a tile narrower than a line still
  fetches the line; its neighbour along the row comes back only a whole pass later).

Relevance (docs/gemmini_conv_path.md §3): input <- batch, output rows/cols, input channels; a kernel-position loop
shifts the input window by one pixel, re-reading the same lines, so kernel loops count as repeating it. Weights <-
kernel rows/cols, channels, output channels. Outputs are written once (no partial-sum spill), at the first-touch
distance, and a write missing the L2 fetches its line (write-allocate).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import lambertw

from simulator.mapping.dosa_calls import ConvCall, MatmulCall

L2_BYTES = 512 * 1024  # rocket-chip-inclusive-cache WithInclusiveCache(capacityKB = 512)
L2_LINE = 64  # CacheBlockBytes
L2_WAYS = 8
L2_SETS = L2_BYTES // (L2_WAYS * L2_LINE)  # 1024 sets
LLC_BYTES = 4096 * 8 * 128  # FASED WithLLCModel(4096 sets, 8 ways), 128-byte blocks
LLC_BLOCK = 128
LLC_SETS = 4096
OPERANDS = ("in", "w", "out")

_CONV_REPEATS = {"in": "KSR", "w": "NQP"}
_MATMUL_REPEATS = {"in": "K", "w": "P"}
_WIDTH = {"in": "C", "w": "K", "out": "K"}  # the letter tiling each operand's DRAM rows (same in both layouts)

Bytes = tuple[float, float, float]  # input, weights, output


class OperandTraffic(NamedTuple):
    """One operand over a call: its bytes, and how many times it streams past the L2 and past the LLC."""

    unique_bytes: float
    passes: float  # times the call streams the operand (1 for the output)
    l2_passes: float  # whole-operand passes served below the L2 (LLC or DRAM)
    llc_passes: float  # passes served by DRAM
    line_share: float  # lines fetched per line a tile touches: < 1 when the next tile along the row follows at once


class _Layout(NamedTuple):
    sizes: dict[str, tuple[int, int]]  # letter -> (whole, tile)
    repeats: dict[str, str]
    measure: Callable[[dict[str, int]], Bytes]
    rows: dict[str, tuple[int, int]]  # operand -> (pitch, width) of its DRAM rows


def _conv_layout(call: ConvCall) -> _Layout:
    sizes = {"N": (call.batch, call.batches), "Q": (call.out_dim, call.orows), "P": (call.out_dim, call.ocols),
             "K": (call.out_channels, call.ochs), "S": (call.kernel_dim, call.krows),
             "R": (call.kernel_dim, call.kcols), "C": (call.in_channels, call.kchs)}

    def measure(ext: dict[str, int]) -> Bytes:
        rows = min(call.in_dim, (ext["Q"] - 1) * call.stride + ext["S"])
        cols = min(call.in_dim, (ext["P"] - 1) * call.stride + ext["R"])
        return (ext["N"] * rows * cols * ext["C"], ext["S"] * ext["R"] * ext["C"] * ext["K"],
                ext["N"] * ext["Q"] * ext["P"] * ext["K"])

    rows = {"in": (call.in_channels, min(call.kchs, call.in_channels)),
            "w": (call.out_channels, min(call.ochs, call.out_channels)),
            "out": (call.out_channels, min(call.ochs, call.out_channels))}
    return _Layout(sizes, _CONV_REPEATS, measure, rows)


def _matmul_layout(call: MatmulCall) -> _Layout:
    step = call.pe_dim
    sizes = {"P": (call.dim_i, call.tile_i * step), "K": (call.dim_j, call.tile_j * step),
             "C": (call.dim_k, call.tile_k * step), "N": (1, 1), "Q": (1, 1), "S": (1, 1), "R": (1, 1)}

    def measure(ext: dict[str, int]) -> Bytes:
        return (ext["P"] * ext["C"], ext["C"] * ext["K"], ext["P"] * ext["K"])

    rows = {"in": (call.dim_k, min(call.tile_k * step, call.dim_k)),
            "w": (call.dim_j, min(call.tile_j * step, call.dim_j)),
            "out": (call.dim_j, min(call.tile_j * step, call.dim_j))}
    return _Layout(sizes, _MATMUL_REPEATS, measure, rows)


def set_fraction(pitch: int, width: int, line: int, sets: int) -> float:
    """The share of a cache's capacity that rows `pitch` bytes apart, `width` bytes each, can use. The set index
    is the address's line number mod `sets` (no hashing), so the rows' sets repeat after `sets·line / gcd(pitch,
    sets·line)` rows: a power-of-two pitch above the line visits few sets, a pitch like 1000 bytes all of them; and
    a row narrower than its lines wastes the rest of them."""
    if pitch <= line:
        return 1.0
    period = sets * line // math.gcd(pitch, sets * line)
    lines = math.ceil(width / line)
    return min(1.0, period * lines / sets) * width / (lines * line)


def random_miss_share(pressure: float, ways: int = L2_WAYS) -> float:
    """Share of re-reads that miss a cache with random replacement (rocket-chip-inclusive-cache Directory.scala
    `victimLFSR`) when the bytes touched between two uses are `pressure` times what it holds: each miss to a set
    evicts a given line with probability 1/ways, so a line survives the m misses in between with (1 - 1/ways)^m,
    m = pressure·ways·(miss share). The stable solution of h = exp(-κ·pressure·(1 - h)), κ = -ways·ln(1 - 1/ways):
    all hits while it fits, then a smooth fall (not the step of LRU)."""
    rate = -ways * math.log(1 - 1 / ways) * pressure
    if rate <= 1:
        return 0.0
    return 1.0 + float(np.real(lambertw(-rate * math.exp(-rate)))) / rate


def _pressure(window: Bytes, operand: int, capacity: float, fraction: float) -> float:
    """How many times the bytes touched between two uses exceed the cache (or the operand's own bytes the share of
    the sets its row pitch maps to)."""
    return max(sum(window) / capacity, window[operand] / (capacity * fraction))


def _misses(window: Bytes, operand: int, capacity: float, fraction: float) -> float:
    """Share of a pass that misses the cache (the L2 and FASED's LLC model both replace at random, 8 ways)."""
    return random_miss_share(_pressure(window, operand, capacity, fraction))


def _line_share(perm: str, trips: dict[str, int], window: Callable[[str], Bytes], index: int, letter: str,
                width: int, fraction: float) -> float:
    """Lines fetched per line a tile touches: a tile narrower than a line leaves the rest of the line to its
    neighbours along the row (the next iterations of `letter`); they find it in the L2 unless evicted in between
    (the lines the loops inside `letter` touch, each row holding a whole line)."""
    if width >= L2_LINE or trips[letter] == 1:
        return 1.0
    inside = window(perm[:perm.index(letter)])
    lines_held = inside[index] * L2_LINE / width
    own = inside[index] / (L2_BYTES * fraction) if fraction < 1 else lines_held / L2_BYTES  # fraction counts lines
    pressure = max((sum(inside) + lines_held) / L2_BYTES, own)
    share = width / L2_LINE
    return share + (1 - share) * random_miss_share(pressure)


def operand_traffic(call: ConvCall | MatmulCall) -> dict[str, OperandTraffic]:
    """Per operand ("in", "w", "out"): its size and the passes over it that miss the L2 / the LLC."""
    layout = _conv_layout(call) if isinstance(call, ConvCall) else _matmul_layout(call)

    def window(inside: str) -> Bytes:
        return layout.measure({d: (whole if d in inside else min(tile, whole))
                               for d, (whole, tile) in layout.sizes.items()})

    trips = {d: math.ceil(whole / tile) for d, (whole, tile) in layout.sizes.items()}
    whole = window("NQPKSRC")
    result = {}
    for index, operand in enumerate(OPERANDS):
        pitch, width = layout.rows[operand]

        def fractions(inside: str, pitch: int = pitch, width: int = width, letter: str = _WIDTH[operand]) -> tuple:
            """(L2, LLC) set shares of the operand's rows over loops `inside`: whole rows once the loop along
            the row is among them (contiguous bytes then reach every set), else the tile's width of each."""
            touched = pitch if letter in inside else width
            return set_fraction(pitch, touched, L2_LINE, L2_SETS), set_fraction(pitch, touched, LLC_BLOCK, LLC_SETS)

        passes = [(whole, 1.0, fractions("NQPKSRC"))]
        if operand in layout.repeats:
            outer = math.prod(trips[d] for d in call.perm if d in layout.repeats[operand])
            for position, letter in enumerate(call.perm):
                if letter in layout.repeats[operand] and trips[letter] > 1:
                    outer //= trips[letter]
                    inside = call.perm[:position]
                    passes.append((window(inside), (trips[letter] - 1) * outer, fractions(inside)))
        share = _line_share(call.perm, trips, window, index, _WIDTH[operand], width, fractions("")[0])
        result[operand] = OperandTraffic(
            float(whole[index]), sum(n for _, n, _ in passes),
            sum(n * _misses(w, index, L2_BYTES, f[0]) for w, n, f in passes),
            sum(n * _misses(w, index, LLC_BYTES, f[1]) for w, n, f in passes), share)
    return result
