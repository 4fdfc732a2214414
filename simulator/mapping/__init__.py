"""Mapping: GEMM tiling and loop-order search on the systolic array, vectorized and cached."""

from simulator.mapping.gemm import (
    GemmCost,
    Mapping,
    MappingError,
    Source,
    cache_clear,
    cache_info,
    gemm_cost,
)
from simulator.mapping.pricing import LOOP_ORDERS

__all__ = ["LOOP_ORDERS", "GemmCost", "Mapping", "MappingError", "Source", "cache_clear", "cache_info", "gemm_cost"]
