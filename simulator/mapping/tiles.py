"""Tile-size candidates of one GEMM dimension (the mapping search's space)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8192)
def folded(dim: int, step: int) -> np.ndarray:
    """For a dimension the array folds over: multiples of `step` doubling up to the padded dimension, and it
    (cached, read-only: every GEMM of a sweep with this dimension asks)."""
    padded = int(math.ceil(dim / step)) * step
    values = {padded}
    t = step
    while t < padded:
        values.add(t)
        t *= 2
    return _frozen(sorted(values))


@lru_cache(maxsize=8192)
def free(dim: int) -> np.ndarray:
    """For the dimension that streams through the array: powers of two below it, and the dimension itself (cached,
    read-only)."""
    values = {dim}
    t = 1
    while t < dim:
        values.add(t)
        t *= 2
    return _frozen(sorted(values))


def _frozen(values: list[int]) -> np.ndarray:
    array = np.array(values, dtype=np.int64)
    array.setflags(write=False)
    return array
