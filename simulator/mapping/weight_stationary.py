"""Weight-stationary GEMM (M x K)·(K x N) on an R x C array: R x C blocks of the K x N operand are folds; the rows
of an M-tile stream through each fold. Three timings (`AcceleratorSpec.timing`; derivations in docs/simulator.md):

- `gemmini` (Gemmini's mesh): each PE holds two weight registers (ucb-bar/gemmini PE.scala `c1`/`c2`, the
  `propagate` bit), so the next fold's weights shift in while the current fold streams, and ExecuteController
  issues a compute with the next preload back to back ("overlap compute and preload"). A fold streams its M-tile
  rows in R-row blocks (a block that carries the next fold's weights takes R cycles: `total_rows = block_size`),
  so a fold costs its rows padded to whole R-row blocks. Paid once per GEMM: the first preload (R cycles) and the
  mesh's fill and drain (R + C + 1: input skew, the column of PEs, output delay, de-skew; MeshWithDelays).
- `scalesim` (SCALE-Sim's convention, for validation): every fold preloads (R cycles) and fills and drains on its
  own: 2R + C - 2 + tm cycles per fold.
- `analytic` (the survey's Sec 3.3 model): rows stream at one per cycle, nothing else: m cycles per fold.
Every K-fold's partial sums are read and written in the accumulator.

Spatial factors (the mapping landscape's choice): a fold may hold only `spatial_rows` of K and `spatial_cols` of N
(divisors of R and C). It still costs a whole fold (Gemmini preloads a whole R x C block, zero-padded), so the folds
become ceil(K / spatial_rows) x ceil(N / spatial_cols) and the PEs left over are wasted. The search uses the full
array (spatial factors R and C).
"""

from __future__ import annotations

import numpy as np

from simulator.mapping import tiles


def candidates(m: int, k: int, n: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile sizes (tm, tk, tn) to try: M streams (free), K folds over rows, N over columns."""
    return tiles.free(m), tiles.folded(k, rows), tiles.folded(n, cols)


def padded_rows(m: int, tm: np.ndarray, block: int) -> np.ndarray:
    """Rows of all M-tiles, each tile padded to whole `block`-row blocks."""
    trips = -(-m // tm)
    last = m - (trips - 1) * tm
    return (trips - 1) * (-(-tm // block) * block) + (-(-last // block) * block)


def folds(dim: int | np.ndarray, size: int | np.ndarray, spatial: np.ndarray | None) -> int | np.ndarray:
    """Folds along a dimension the array spans with `size` PEs, `spatial` of them (per tiling) holding data (the
    dimension and size may be per tiling: the search prices many GEMMs and arrays at once)."""
    return -(-dim // size) if spatial is None else -(-dim // spatial)


def work(timing: str, m: int, k: int, n: int, rows: int, cols: int, tm: np.ndarray, tk: np.ndarray,
         a_bytes: float, b_bytes: float, acc_bytes: float, spatial_rows: np.ndarray | None = None,
         spatial_cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(compute cycles, scratchpad bytes read, accumulator bytes read+written) per tiling; without spatial factors
    every fold fills the array."""
    folds_k, folds_n = folds(k, rows, spatial_rows), folds(n, cols, spatial_cols)
    trips_m = -(-m // tm)
    if timing == "scalesim":
        compute = folds_k * folds_n * (trips_m * (2 * rows + cols - 2) + m)
    elif timing == "gemmini":
        compute = rows + folds_k * folds_n * padded_rows(m, tm, rows) + (rows + cols + 1)
    else:
        compute = np.broadcast_to(folds_k * folds_n * m, tm.shape).copy()
    scratchpad_reads = m * k * folds_n * a_bytes + k * n * trips_m * b_bytes
    accumulator_traffic = np.broadcast_to(m * n * folds_k * acc_bytes * 2.0, tm.shape).copy()
    return compute, scratchpad_reads, accumulator_traffic
