"""Output-stationary GEMM (M x K)·(K x N) on an R x C array: R x C blocks of the output are folds; a K-tile streams
through each fold. Three timings (`AcceleratorSpec.timing`; derivations in docs/simulator.md):

- `gemmini`: results accumulate in the PEs and drain through the second register while the next fold streams
  (PE.scala OS branch), so folds run back to back; A enters through the transposer in R-row blocks (a K-tile is
  padded to whole R-row blocks; Transformer.scala, ExecuteController), and once per GEMM the transposer's latency
  (R), the mesh's fill and drain (R + C + 1) and the closing flush (R rows, ExecuteController `flush`).
- `scalesim`: tk + R + C - 2 cycles per fold and K-tile (SCALE-Sim's convention, for validation).
- `analytic`: k cycles per fold.
Partial sums leave the array once per K-tile.

Spatial factors (the mapping landscape's choice): a fold may hold only `spatial_rows` of M and `spatial_cols` of N;
it still costs a whole fold, so the folds become ceil(M / spatial_rows) x ceil(N / spatial_cols).
"""

from __future__ import annotations

import numpy as np

from simulator.mapping import tiles
from simulator.mapping.weight_stationary import folds, padded_rows


def candidates(m: int, k: int, n: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile sizes (tm, tk, tn) to try: M folds over rows, K streams (free), N folds over columns."""
    return tiles.folded(m, rows), tiles.free(k), tiles.folded(n, cols)


def work(timing: str, m: int, k: int, n: int, rows: int, cols: int, tm: np.ndarray, tk: np.ndarray,
         a_bytes: float, b_bytes: float, acc_bytes: float, spatial_rows: np.ndarray | None = None,
         spatial_cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(compute cycles, scratchpad bytes read, accumulator bytes read+written) per tiling; without spatial factors
    every fold fills the array."""
    folds_m, folds_n = folds(m, rows, spatial_rows), folds(n, cols, spatial_cols)
    trips_k = -(-k // tk)
    if timing == "scalesim":
        compute = folds_m * folds_n * (trips_k * (rows + cols - 2) + k)
    elif timing == "gemmini":
        compute = folds_m * folds_n * padded_rows(k, tk, rows) + rows + (rows + cols + 1) + rows
    else:
        compute = np.broadcast_to(folds_m * folds_n * k, tk.shape).copy()
    scratchpad_reads = np.broadcast_to(m * k * folds_n * a_bytes + k * n * folds_m * b_bytes, tk.shape).copy()
    accumulator_traffic = m * n * trips_k * acc_bytes * 2.0
    return compute, scratchpad_reads, accumulator_traffic
