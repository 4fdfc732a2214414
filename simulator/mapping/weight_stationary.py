"""Weight-stationary GEMM on an R x C array (SCALE-Sim's fold convention; see docs/simulator.md).

The array holds an R x C block of the K x N operand; each fold preloads it (R cycles), then streams the rows of an
M-tile through the array, the skewed stream taking tm + R + C - 2 cycles: a fold is 2R + C - 2 + tm cycles, and an
M-tile needs ceil(K/R) * ceil(N/C) folds. Every K-fold's partial sums are read and written in the accumulator.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.mapping import tiles


def candidates(m: int, k: int, n: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile sizes (tm, tk, tn) to try: M streams (free), K folds over rows, N over columns."""
    return tiles.free(m), tiles.folded(k, rows), tiles.folded(n, cols)


def work(m: int, k: int, n: int, rows: int, cols: int, trips_m: np.ndarray, trips_k: np.ndarray,
         a_bytes: float, b_bytes: float, acc_bytes: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(compute cycles, scratchpad bytes read, accumulator bytes read+written) per tiling."""
    folds_k, folds_n = math.ceil(k / rows), math.ceil(n / cols)
    compute = folds_k * folds_n * (trips_m * (2 * rows + cols - 2) + m)
    scratchpad_reads = m * k * folds_n * a_bytes + k * n * trips_m * b_bytes
    accumulator_traffic = np.full(trips_m.shape, m * n * folds_k * acc_bytes * 2.0)
    return compute, scratchpad_reads, accumulator_traffic
