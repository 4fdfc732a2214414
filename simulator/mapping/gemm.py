"""GEMM cost on a systolic array and the vectorized mapping search over tile sizes and loop orders.

Compute model: per dataflow, in `weight_stationary.py` and `output_stationary.py` (SCALE-Sim's fold convention,
docs/simulator.md). SCALE-Sim's reported total is one cycle less than those formulas (it reports the index of the
last busy cycle).

Memory model. Tiles (tm, tk, tn) live in the scratchpad (A and B tiles, double-buffered) and the accumulator
(the C tile). A loop order over the tile loops (outer -> inner) decides how often each operand is fetched
from DRAM: an operand is re-fetched once per iteration of every loop that does not index it and sits outside
the innermost loop that does. Outputs whose K loop is not innermost spill partial sums (accumulator width)
to DRAM and read them back. Transfers overlap compute (double buffering):
cycles = latency + first A/B tiles + max(compute, other transfers) + last C tile.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict

from simulator.hardware.spec import AcceleratorSpec
from simulator.hardware.technology import Technology
from simulator.mapping import output_stationary, weight_stationary

Objective = Literal["latency", "energy", "edp"]
LOOP_ORDERS: tuple[str, ...] = tuple("".join(p) for p in itertools.permutations("mnk"))


class MappingError(ValueError):
    """No legal mapping: the smallest tile does not fit the on-chip memories."""


class Mapping(BaseModel):
    """A chosen GEMM mapping: tile sizes and the tile-loop order (outer -> inner)."""

    model_config = ConfigDict(frozen=True)

    dataflow: str
    tile_m: int
    tile_k: int
    tile_n: int
    loop_order: str
    scratchpad_bytes_used: int
    accumulator_bytes_used: int

    def describe(self) -> str:
        return (f"{self.dataflow} tile m{self.tile_m} k{self.tile_k} n{self.tile_n} "
                f"order {'>'.join(self.loop_order)}")


class GemmCost(BaseModel):
    """Cost of one GEMM instance under its chosen mapping."""

    model_config = ConfigDict(frozen=True)

    m: int
    k: int
    n: int
    macs: int
    cycles: float
    compute_cycles: float
    stall_cycles: float
    dram_read_bytes: float
    dram_write_bytes: float
    scratchpad_bytes: float
    accumulator_bytes: float
    utilization: float
    energy_pj: float  # MAC + SRAM + DRAM dynamic energy (static energy is added per design point)
    energy_mac_pj: float
    energy_sram_pj: float
    energy_dram_pj: float
    mapping: Mapping
    candidates: int

    @property
    def dram_bytes(self) -> float:
        return self.dram_read_bytes + self.dram_write_bytes


def _ceil(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(a) // np.asarray(b))


DATAFLOWS = {"ws": weight_stationary, "os": output_stationary}


def gemm_cost(m: int, k: int, n: int, hw: AcceleratorSpec, *, objective: Objective = "latency",
              a_bits: int | None = None, b_bits: int | None = None, out_bits: int | None = None,
              a_from_dram: bool = True, c_to_dram: bool = True, ideal_memory: bool = False) -> GemmCost:
    """Best mapping of one (m x k) . (k x n) GEMM for `objective`; cached by (shape, hardware, options)."""
    if min(m, k, n) < 1:
        raise MappingError(f"GEMM shape must be positive, got m={m} k={k} n={n}")
    key = (m, k, n, hw.hardware_key(), objective, a_bits or hw.input_bits, b_bits or hw.weight_bits,
           out_bits or hw.input_bits, a_from_dram, c_to_dram, ideal_memory)
    return _search(key)


def cache_clear() -> None:
    """Forget all cached mappings and tilings (the speed benchmark measures cold evaluation with it)."""
    _search.cache_clear()
    _tilings.cache_clear()


def cache_info():
    return _search.cache_info()


def _refetch_dims(order: str, dims: str) -> tuple[str, ...]:
    """Loops that re-fetch an operand: those not indexing it, outside the innermost loop that does."""
    innermost = max(order.index(d) for d in dims)
    return tuple(d for d in order[:innermost] if d not in dims)


# _REFETCH[order, operand, loop]: whether that loop re-fetches the operand (a, b, c) under that order (m, k, n).
_REFETCH = np.array([[[loop in _refetch_dims(order, dims) for loop in "mkn"] for dims in ("mk", "kn", "mn")]
                     for order in LOOP_ORDERS])


class _Tilings(NamedTuple):
    """The legal tilings of one GEMM on one array and memory size, with the work and traffic of each (all arrays
    over candidates; `reads`/`writes` are (loop orders, candidates)). Bandwidth, DRAM latency and technology do not
    enter here, so a sweep over them re-prices these instead of enumerating them again."""

    em: np.ndarray
    ek: np.ndarray
    en: np.ndarray
    sp_need: np.ndarray
    acc_need: np.ndarray
    compute: np.ndarray
    sp_reads: np.ndarray
    acc_traffic: np.ndarray
    reads: np.ndarray
    writes: np.ndarray


@lru_cache(maxsize=512)  # up to ~100 KB per entry (a few hundred tilings x 6 orders): bounded at ~50 MB
def _tilings(m: int, k: int, n: int, rows: int, cols: int, dataflow: str, a_bits: int, b_bits: int, out_bits: int,
             acc_bits: int, sp_bytes: int, acc_bytes_cap: int, a_from_dram: bool, c_to_dram: bool) -> _Tilings:
    a_b, b_b, o_b, acc_b = a_bits / 8.0, b_bits / 8.0, out_bits / 8.0, acc_bits / 8.0
    folds = DATAFLOWS[dataflow]
    tms, tks, tns = folds.candidates(m, k, n, rows, cols)
    tm, tk, tn = (g.ravel() for g in np.meshgrid(tms, tks, tns, indexing="ij"))
    em, ek, en = np.minimum(tm, m), np.minimum(tk, k), np.minimum(tn, n)  # effective tile extents
    sp_need = 2.0 * (em * ek * a_b + ek * en * b_b)  # double-buffered A and B tiles
    acc_need = em * en * acc_b
    legal = (sp_need <= sp_bytes) & (acc_need <= acc_bytes_cap)
    if not legal.any():
        i = int(np.argmin(sp_need + acc_need))
        raise MappingError(
            f"no tile of GEMM {m}x{k}x{n} fits on chip: the smallest ({int(em[i])}x{int(ek[i])}x{int(en[i])}) needs "
            f"{sp_need[i]:.0f} B of scratchpad (have {sp_bytes}) and {acc_need[i]:.0f} B of accumulator "
            f"(have {acc_bytes_cap})")
    tm, tk, tn, em, ek, en, sp_need, acc_need = (x[legal] for x in (tm, tk, tn, em, ek, en, sp_need, acc_need))
    trips = {"m": _ceil(m, tm), "k": _ceil(k, tk), "n": _ceil(n, tn)}

    compute, sp_reads, acc_traffic = (np.asarray(x, dtype=np.float64) for x in folds.work(
        m, k, n, rows, cols, trips["m"], trips["k"], a_b, b_b, acc_b))

    # Fetch multiplicity of each operand under each order: the product of the trip counts of its re-fetch loops,
    # for all orders and candidates at once: (orders, operands, candidates).
    loops = np.stack([trips["m"], trips["k"], trips["n"]]).astype(np.float64)  # (3, candidates)
    mult = np.where(_REFETCH[:, :, :, None], loops[None, None], 1.0).prod(axis=2)
    a_traffic = m * k * a_b * mult[:, 0] if a_from_dram else 0.0
    spills = (mult[:, 2] - 1.0) * m * n * acc_b
    reads = a_traffic + k * n * b_b * mult[:, 1] + spills  # (orders, candidates)
    writes = (m * n * o_b if c_to_dram else 0.0) + spills
    tilings = _Tilings(em, ek, en, sp_need, acc_need, compute, sp_reads, acc_traffic, reads, writes)
    for array in tilings:
        array.setflags(write=False)  # shared by every later search that hits this cache entry
    return tilings


@lru_cache(maxsize=65_536)  # ~1.5 KB per entry: bounded at ~100 MB
def _search(key: tuple) -> GemmCost:
    m, k, n, hwkey, objective, a_bits, b_bits, out_bits, a_from_dram, c_to_dram, ideal_memory = key
    (rows, cols, dataflow, _in_bits, _w_bits, acc_bits, sp_bytes, acc_bytes_cap, bw, latency, node, fmt) = hwkey
    a_b, b_b, o_b = a_bits / 8.0, b_bits / 8.0, out_bits / 8.0
    em, ek, en, sp_need, acc_need, compute, sp_reads, acc_traffic, reads, writes = _tilings(
        m, k, n, rows, cols, dataflow, a_bits, b_bits, out_bits, acc_bits, sp_bytes, acc_bytes_cap, a_from_dram,
        c_to_dram)
    if ideal_memory:
        cycles = np.broadcast_to(compute, reads.shape).astype(np.float64)
    else:
        transfer = (reads + writes) / bw
        first_tiles = ((em * ek * a_b if a_from_dram else 0.0) + ek * en * b_b) / bw
        last_tile = (em * en * o_b if c_to_dram else 0.0) / bw
        # Prologue (latency + first A/B tiles) and epilogue (last C tile) do not overlap compute; the rest does.
        overlapped = np.maximum(compute, np.maximum(transfer - first_tiles - last_tile, 0.0))
        cycles = latency + first_tiles + overlapped + last_tile

    tech = Technology.at(node)
    mac_pj = tech.mac_pj(_in_bits, _w_bits, acc_bits, fmt) * m * k * n
    sram_pj = ((sp_reads + reads) * tech.sram_pj_per_byte(sp_bytes / 1024)
               + (acc_traffic + writes) * tech.sram_pj_per_byte(acc_bytes_cap / 1024))
    dram_pj = (reads + writes) * tech.dram_pj_per_byte
    energy = mac_pj + sram_pj + dram_pj
    # Lexicographic choice: within 0.1% of the best primary objective, take the best secondary one
    # (a compute-bound GEMM has many equally fast tilings; the one with least traffic should win).
    if objective == "latency":
        primary, secondary = cycles, energy
    elif objective == "energy":
        primary, secondary = energy, cycles
    else:
        primary, secondary = energy * cycles, cycles
    score = np.where(primary <= primary.min() * 1.001, secondary, np.inf)
    flat = int(np.argmin(score))
    o, i = divmod(flat, em.shape[0])
    macs = m * k * n
    mapping = Mapping(dataflow=dataflow, tile_m=int(em[i]), tile_k=int(ek[i]), tile_n=int(en[i]),
                      loop_order=LOOP_ORDERS[o], scratchpad_bytes_used=int(sp_need[i]),
                      accumulator_bytes_used=int(acc_need[i]))
    total = float(cycles[o, i])
    comp = float(compute[i])
    return GemmCost(
        m=m, k=k, n=n, macs=macs, cycles=total, compute_cycles=comp, stall_cycles=total - comp,
        dram_read_bytes=float(reads[o, i]), dram_write_bytes=float(writes[o, i]),
        scratchpad_bytes=float(sp_reads[i] + reads[o, i]), accumulator_bytes=float(acc_traffic[i] + writes[o, i]),
        utilization=macs / (total * rows * cols), energy_pj=float(energy[o, i]), energy_mac_pj=float(mac_pj),
        energy_sram_pj=float(np.broadcast_to(sram_pj, reads.shape)[o, i]), energy_dram_pj=float(dram_pj[o, i]),
        mapping=mapping,
        candidates=int(reads.size))
