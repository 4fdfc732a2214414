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

from simulator.mapping.dosa_calls import ConvCall, MatmulCall

L2_BYTES = 512 * 1024  # rocket-chip-inclusive-cache WithInclusiveCache(capacityKB = 512)
LLC_BYTES = 4096 * 8 * 128  # FASED WithLLCModel(4096 sets, 8 ways), 128-byte blocks
LEVELS = ("l2", "llc", "dram")

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


def _level(distance: float) -> int:
    return 0 if distance <= L2_BYTES else 1 if distance <= LLC_BYTES else 2


def read_levels(call: ConvCall | MatmulCall) -> dict[str, tuple[float, float, float]]:
    """Per operand ("in", "w", "out"), the fractions of its transfers served by the L2, the LLC and DRAM."""
    if isinstance(call, ConvCall):
        sizes, repeats = _conv_extents(call), _CONV_REPEATS
        conv_call = call

        def measure(ext: dict[str, int]) -> float:
            return _conv_bytes(conv_call, ext)
    else:
        sizes, repeats, measure = _matmul_extents(call), _MATMUL_REPEATS, _matmul_bytes

    def footprint(inside: str) -> float:
        return measure({d: (whole if d in inside else min(tile, whole)) for d, (whole, tile) in sizes.items()})

    perm = call.perm
    trips = {d: math.ceil(whole / tile) for d, (whole, tile) in sizes.items()}
    whole_layer = footprint("NQPKSRC")
    result: dict[str, tuple[float, float, float]] = {}
    for operand in ("in", "w"):
        loops = [(i, d) for i, d in enumerate(perm) if d in repeats[operand] and trips[d] > 1]
        shares = [0.0, 0.0, 0.0]
        later = math.prod(trips[d] for _, d in loops)
        shares[_level(whole_layer)] += 1.0 / later
        for position, letter in loops:  # inner to outer
            later //= trips[letter]
            fraction = (trips[letter] - 1) * later / math.prod(trips[d] for _, d in loops)
            shares[_level(footprint(perm[:position]))] += fraction
        result[operand] = (shares[0], shares[1], shares[2])
    out = [0.0, 0.0, 0.0]
    out[_level(whole_layer)] = 1.0
    result["out"] = (out[0], out[1], out[2])
    return result
