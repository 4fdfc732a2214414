"""Tile-size candidates of one GEMM dimension (the mapping search's space)."""

from __future__ import annotations

import math

import numpy as np


def folded(dim: int, step: int) -> np.ndarray:
    """For a dimension the array folds over: multiples of `step` doubling up to the padded dimension, and it."""
    padded = int(math.ceil(dim / step)) * step
    values = {padded}
    t = step
    while t < padded:
        values.add(t)
        t *= 2
    return np.array(sorted(values), dtype=np.int64)


def free(dim: int) -> np.ndarray:
    """For the dimension that streams through the array: powers of two below it, and the dimension itself."""
    values = {dim}
    t = 1
    while t < dim:
        values.add(t)
        t *= 2
    return np.array(sorted(values), dtype=np.int64)
