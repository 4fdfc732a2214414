"""Gemmini's own software tiler: the tile factors `tiled_matmul_auto` picks and the loop `tiled_matmul_outer` runs.

Our implementation of the heuristic in ucb-bar/gemmini-rocc-tests `include/gemmini.h` (`tiled_matmul_auto`,
`tiled_matmul_outer`), generalised from Gemmini's square DIM x DIM mesh and int8/int32 rows to any R x C array and
operand widths by counting bytes instead of rows:

- Tile factors count array blocks: tile_I blocks of R rows of A, tile_K blocks of R along K, tile_J blocks of C
  columns of the output; every dimension is padded to whole blocks (`dim_*_padded`).
- Weight-stationary runs double-buffered: the tiler may use half the scratchpad and half the accumulator
  (`max_spad_rows = BANK_NUM * BANK_ROWS / 2`, `max_acc_rows = ACC_ROWS / 2`); output-stationary uses all of both.
- Start: tile_I = tile_J = floor(sqrt(output blocks that fit the usable accumulator)) (`max_tile_i_j`), tile_K =
  (A/B blocks that fit half the usable scratchpad) / tile_I (`max_tile_k`), each capped at its padded dimension.
  A fused row-wise activation (`act == LAYERNORM || act == SOFTMAX`) starts instead at tile_I = 1, tile_J = the
  whole row, tile_K = 1, because the normalization unit needs whole rows in the accumulator.
- Grow greedily ("Fill scratchpad as much as possible"): repeatedly try tile_J + 1, then tile_I + 1 (each while the
  A and B tiles fit the usable scratchpad and the C tile the usable accumulator), then tile_K + 1 (scratchpad only),
  until none grows.
- Loop: i0 -> j0 -> k0 (outer to inner), so A is loaded once per j0 and B once per i0, the C tile stays in the
  accumulator over k0 and leaves once. Under WS an operand whose tiles number at most two along its own loops is
  loaded once and reused (`a_reuse = I0 * K0 <= 2`, `b_reuse = J0 * K0 <= 2`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class TilerError(ValueError):
    """Gemmini's tiler has no tile: not even its starting tile fits the usable memories."""


@dataclass(frozen=True, slots=True)
class GemminiTiles:
    """Tile factors in array blocks, the tile extents in elements (clipped to the GEMM) and the reuse flags."""

    tile_i: int
    tile_j: int
    tile_k: int
    tile_m: int
    tile_n: int
    tile_kk: int
    a_reuse: bool
    b_reuse: bool

    def trips(self, m: int, k: int, n: int) -> tuple[int, int, int]:
        """(I0, K0, J0): tiles along M, K and N."""
        return math.ceil(m / self.tile_m), math.ceil(k / self.tile_kk), math.ceil(n / self.tile_n)


def gemmini_tiles(m: int, k: int, n: int, rows: int, cols: int, dataflow: str, a_bytes: float, b_bytes: float,
                  acc_bytes: float, scratchpad_bytes: int, accumulator_bytes: int,
                  whole_rows: bool = False) -> GemminiTiles:
    """The tiles `tiled_matmul_auto` picks for an (m x k)·(k x n) GEMM (see the module's docstring).

    `whole_rows`: the output feeds a fused row-wise op (softmax, a normalization), so a C tile spans whole rows.
    """
    blocks_i, blocks_k, blocks_j = math.ceil(m / rows), math.ceil(k / rows), math.ceil(n / cols)
    double_buffered = dataflow == "ws"
    usable_sp = scratchpad_bytes / 2 if double_buffered else scratchpad_bytes
    usable_acc = accumulator_bytes / 2 if double_buffered else accumulator_bytes
    a_block, b_block, c_block = rows * rows * a_bytes, rows * cols * b_bytes, rows * cols * acc_bytes

    def sp_fits(ti: int, tj: int, tk: int) -> bool:
        return ti * tk * a_block + tk * tj * b_block <= usable_sp

    def acc_fits(ti: int, tj: int) -> bool:
        return ti * tj * c_block <= usable_acc

    if whole_rows:
        ti, tj, tk = 1, blocks_j, 1
        if not (sp_fits(ti, tj, tk) and acc_fits(ti, tj)):
            raise TilerError(
                f"Gemmini's tiler cannot hold whole output rows of {n} for a fused row-wise op: {rows} rows need "
                f"{rows * blocks_j * cols * acc_bytes / 1024:g} KiB of accumulator (usable {usable_acc / 1024:g} KiB"
                f"{', half of it double-buffered' if double_buffered else ''}) and "
                f"{(a_block + blocks_j * b_block) / 1024:g} KiB of scratchpad (usable {usable_sp / 1024:g} KiB)")
    else:
        max_ij = math.isqrt(int(usable_acc // c_block))
        quarter_blocks = int((usable_sp / 2) // max(a_block, b_block))
        max_k = quarter_blocks // max_ij if max_ij else 0
        ti, tj, tk = min(blocks_i, max_ij), min(blocks_j, max_ij), min(blocks_k, max_k)
        if min(ti, tj, tk) < 1 or not (sp_fits(ti, tj, tk) and acc_fits(ti, tj)):
            raise TilerError(
                f"Gemmini's tiler has no tile for a {m}x{k}x{n} GEMM: one {rows}x{cols} output block needs "
                f"{c_block / 1024:g} KiB of accumulator (usable {usable_acc / 1024:g} KiB) and one A and one B block "
                f"{(a_block + b_block) / 1024:g} KiB of scratchpad (usable {usable_sp / 1024:g} KiB)")
    while True:  # "Fill scratchpad as much as possible": J, then I, then K, until none grows
        grown = False
        if tj + 1 <= blocks_j and sp_fits(ti, tj + 1, tk) and acc_fits(ti, tj + 1):
            tj, grown = tj + 1, True
        if ti + 1 <= blocks_i and sp_fits(ti + 1, tj, tk) and acc_fits(ti + 1, tj):
            ti, grown = ti + 1, True
        if tk + 1 <= blocks_k and sp_fits(ti, tj, tk + 1):
            tk, grown = tk + 1, True
        if not grown:
            break
    trips_i, trips_k, trips_j = math.ceil(blocks_i / ti), math.ceil(blocks_k / tk), math.ceil(blocks_j / tj)
    return GemminiTiles(ti, tj, tk, min(ti * rows, m), min(tj * cols, n), min(tk * rows, k),
                        a_reuse=double_buffered and trips_i * trips_k <= 2,
                        b_reuse=double_buffered and trips_j * trips_k <= 2)
