"""Mapping: GEMM tiling and loop-order search on the systolic array, vectorized and cached."""

from simulator.mapping.gemm import (
    LOOP_ORDERS,
    GemmCost,
    Mapping,
    MappingError,
    Source,
    cache_clear,
    cache_info,
    gemm_cost,
)

__all__ = ["LOOP_ORDERS", "GemmCost", "Mapping", "MappingError", "Source", "cache_clear", "cache_info", "gemm_cost"]
