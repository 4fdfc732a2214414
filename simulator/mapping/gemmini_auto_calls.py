"""Gemmini's own tilers' choices as the `tiled_conv` / `tiled_matmul` calls `gemmini_exec` times.

`tiled_conv_auto` (our `gemmini_conv_tiler`) calls `tiled_conv` with its tile and the default order "CRSKPQN"
(input channels innermost); `tiled_matmul_auto` (our `gemmini_tiler`) runs i -> j -> k, k innermost ("CKPQRSN" in
the fork's letters: C = k, K = j, P = i). Sizes for a square N x N int8 array with an int32 accumulator; the
capacities are what the software header tells the tiler (BANK_NUM·BANK_ROWS·N bytes, ACC_ROWS·N·4 bytes).
"""

from __future__ import annotations

from simulator.mapping.dosa_calls import DEFAULT_PERM, ConvCall, MatmulCall
from simulator.mapping.gemmini_conv_tiler import ConvShape, gemmini_conv_tiles
from simulator.mapping.gemmini_tiler import gemmini_tiles

MATMUL_PERM = "CKPQRSN"


def auto_conv_call(layer: ConvShape, side: int, scratchpad_bytes: int, accumulator_bytes: int) -> ConvCall:
    """The `tiled_conv` call `tiled_conv_auto` makes for a square, unpooled `layer` on an N x N array."""
    tiles = gemmini_conv_tiles(layer, side, side, "ws", 1, 1, 4, scratchpad_bytes, accumulator_bytes).tile
    return ConvCall(batch=layer.batch, in_dim=layer.in_h, in_channels=layer.in_channels,
                    out_channels=layer.out_channels, out_dim=layer.out_h, stride=layer.stride, padding=layer.padding,
                    kernel_dim=layer.kernel_h, batches=tiles.batches, orows=tiles.out_rows, ocols=tiles.out_cols,
                    ochs=tiles.out_channels, krows=tiles.kernel_rows, kcols=tiles.kernel_cols,
                    kchs=tiles.in_channels, perm=DEFAULT_PERM)


def auto_matmul_call(m: int, k: int, n: int, side: int, scratchpad_bytes: int, accumulator_bytes: int) -> MatmulCall:
    """The `tiled_matmul` call `tiled_matmul_auto` makes for an (m x k)·(k x n) GEMM on an N x N array."""
    tiles = gemmini_tiles(m, k, n, side, side, "ws", 1, 1, 4, scratchpad_bytes, accumulator_bytes)
    return MatmulCall(dim_i=m, dim_j=n, dim_k=k, tile_i=tiles.tile_i, tile_j=tiles.tile_j, tile_k=tiles.tile_k,
                      pe_dim=side, perm=MATMUL_PERM)
