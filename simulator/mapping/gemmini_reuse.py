"""Where a Gemmini call's DMA reads are served from: the L2, FASED's LLC model, or DRAM, from the DRAM-level loop order.

`tiled_conv` / `tiled_matmul` reload every tile's operands from memory (no reuse across tiles in the scratchpad),
so an operand tile that a loop it does not depend on repeats is read again; whether the second read hits depends
on how many bytes were touched in between (the reuse distance) against each cache's capacity:

- a read whose innermost *repeating* irrelevant loop is j (the loops inside it at index 0) last touched the same
  data one iteration of loop j earlier: distance = the bytes of all operands spanned by the loops inside j, tiles
  for the loops at or outside j;
- a read at index 0 of every irrelevant loop is the call's first touch: the measured run followed Gemmini's own
  tiler on the same buffers (docs/measured_soc.md "How the cycles were measured"), distance = the whole layer;
- LRU-like caches: a read hits the smallest cache whose capacity is at least its distance.

Relevance (docs/gemmini_conv_path.md §3): input ← batch, output rows/cols, input channels; a kernel-position loop
shifts the input window by one pixel, which reads the same lines again, so kernel loops count as repeating it.
Weights ← kernel rows/cols, channels. Outputs are written once (no partial-sum spill), at first-touch distance.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from simulator.mapping.dosa_calls import ConvCall, MatmulCall

L2_BYTES = 512 * 1024  # rocket-chip-inclusive-cache WithInclusiveCache(capacityKB = 512)
LLC_BYTES = 4096 * 8 * 128  # FASED WithLLCModel(4096 sets, 8 ways), 128-byte blocks

_CONV_REPEATS = {"in": "KSR", "w": "NQP"}
_MATMUL_REPEATS = {"in": "K", "w": "P"}


def _conv_extents(call: ConvCall) -> dict[str, tuple[int, int]]:
    """Letter -> (whole size, tile), in tiled_conv's letters."""
    return {"N": (call.batch, call.batches), "Q": (call.out_dim, call.orows), "P": (call.out_dim, call.ocols),
            "K": (call.out_channels, call.ochs), "S": (call.kernel_dim, call.krows),
            "R": (call.kernel_dim, call.kcols), "C": (call.in_channels, call.kchs)}


def _matmul_extents(call: MatmulCall) -> dict[str, tuple[int, int]]:
    step = call.pe_dim
    return {"P": (call.dim_i, call.tile_i * step), "K": (call.dim_j, call.tile_j * step),
            "C": (call.dim_k, call.tile_k * step), "N": (1, 1), "Q": (1, 1), "S": (1, 1), "R": (1, 1)}


def _conv_bytes(call: ConvCall, ext: dict[str, int]) -> float:
    rows = min(call.in_dim, (ext["Q"] - 1) * call.stride + ext["S"])
    cols = min(call.in_dim, (ext["P"] - 1) * call.stride + ext["R"])
    return (ext["N"] * rows * cols * ext["C"] + ext["S"] * ext["R"] * ext["C"] * ext["K"]
            + ext["N"] * ext["Q"] * ext["P"] * ext["K"])


def _matmul_bytes(ext: dict[str, int]) -> float:
    return ext["P"] * ext["C"] + ext["C"] * ext["K"] + ext["P"] * ext["K"]


class OperandTraffic(NamedTuple):
    """One operand over a call: its bytes, and how many times it streams past the L2 and past the LLC."""

    unique_bytes: float
    l2_passes: float  # whole-operand passes served below the L2 (LLC or DRAM)
    llc_passes: float  # passes served by DRAM


def operand_traffic(call: ConvCall | MatmulCall) -> dict[str, OperandTraffic]:
    """Per operand ("in", "w", "out"): its size and the passes over it that miss the L2 / the LLC.

    A read pass missing a cache streams the whole operand through it again; the first touch misses when the layer
    does not fit (the previous run touched all of it), each re-read loop's iterations when its distance does not.
    Outputs are written once: a write missing the L2 fetches the line (write-allocate), counted as one pass.
    """
    if isinstance(call, ConvCall):
        sizes, repeats = _conv_extents(call), _CONV_REPEATS
        conv_call = call

        def measure(ext: dict[str, int]) -> float:
            return _conv_bytes(conv_call, ext)

        unique = {"in": call.batch * call.in_dim ** 2 * call.in_channels,
                  "w": call.kernel_dim ** 2 * call.in_channels * call.out_channels,
                  "out": call.batch * call.out_dim ** 2 * call.out_channels}
    else:
        sizes, repeats, measure = _matmul_extents(call), _MATMUL_REPEATS, _matmul_bytes
        unique = {"in": call.dim_i * call.dim_k, "w": call.dim_k * call.dim_j, "out": call.dim_i * call.dim_j}

    def footprint(inside: str) -> float:
        return measure({d: (whole if d in inside else min(tile, whole)) for d, (whole, tile) in sizes.items()})

    trips = {d: math.ceil(whole / tile) for d, (whole, tile) in sizes.items()}
    whole_layer = footprint("NQPKSRC")
    result = {}
    for operand in ("in", "w"):
        passes = [(whole_layer, 1.0)]
        outer = math.prod(trips[d] for d in call.perm if d in repeats[operand])
        for position, letter in enumerate(call.perm):
            if letter in repeats[operand] and trips[letter] > 1:
                outer //= trips[letter]
                passes.append((footprint(call.perm[:position]), (trips[letter] - 1) * outer))
        result[operand] = OperandTraffic(float(unique[operand]), sum(n for d, n in passes if d > L2_BYTES),
                                         sum(n for d, n in passes if d > LLC_BYTES))
    result["out"] = OperandTraffic(float(unique["out"]), float(whole_layer > L2_BYTES),
                                   float(whole_layer > LLC_BYTES))
    return result
