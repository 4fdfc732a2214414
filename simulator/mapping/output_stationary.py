"""Output-stationary GEMM on an R x C array (SCALE-Sim's fold convention; see docs/simulator.md).

The array holds an R x C block of the output; a K-tile streams through in tk + R + C - 2 cycles and the finished
outputs shift out while the next fold streams in: a fold is R + C - 2 + tk cycles, and a K-tile needs
ceil(M/R) * ceil(N/C) folds. Partial sums leave the array once per K-tile.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.mapping import tiles


def candidates(m: int, k: int, n: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile sizes (tm, tk, tn) to try: M folds over rows, K streams (free), N folds over columns."""
    return tiles.folded(m, rows), tiles.free(k), tiles.folded(n, cols)


def work(m: int, k: int, n: int, rows: int, cols: int, trips_m: np.ndarray, trips_k: np.ndarray,
         a_bytes: float, b_bytes: float, acc_bytes: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(compute cycles, scratchpad bytes read, accumulator bytes read+written) per tiling."""
    folds_m, folds_n = math.ceil(m / rows), math.ceil(n / cols)
    compute = folds_m * folds_n * (trips_k * (rows + cols - 2) + k)
    scratchpad_reads = np.full(trips_k.shape, m * k * folds_n * a_bytes + k * n * folds_m * b_bytes)
    accumulator_traffic = m * n * trips_k * acc_bytes * 2.0
    return compute, scratchpad_reads, accumulator_traffic
