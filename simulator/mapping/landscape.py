"""The mapping landscape of one GEMM: every legal mapping of a space enriched toward Timeloop's, or a seeded uniform
sample of it, priced by the search's own cost model (`pricing.py`), with where the optimal mapper's and Gemmini's
tiler's choices sit in it. The survey (Kim et al. 2023, Sec 5.5) draws this for 100k random Timeloop mappings.

The space (docs/simulator.md, "Mapping landscape"): a mapping is
- tile sizes: along each dimension the array folds over (K and N under WS, M and N under OS), every multiple of the
  array's side up to the padded dimension; along the free one (M under WS, K under OS), every value 1..dim;
- spatial factors: how much of a fold's rows and columns hold data, the divisors of R (C) below the dimension and
  R (C) itself; a partial fold costs a whole one (`weight_stationary.py`);
- one of the six tile-loop orders;
- the operands the L2 keeps across re-fetches: any subset of {A, B, partial sums} that fits it (none without an L2).
Legal: the double-buffered A and B tiles fit the scratchpad, the C tile the accumulator. The space is counted without
listing it (legal free values are a prefix 1..count for each pair of folded tiles), so a uniform sample draws indices
and decodes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.hardware.spec import AcceleratorSpec
from simulator.mapping import pricing
from simulator.mapping.gemm import GemmCost, MappingError, Objective, gemm_cost
from simulator.mapping.pricing import LOOP_ORDERS, Operands
from simulator.mapping.tilings import DATAFLOWS

DEFAULT_LIMIT = 100_000  # the survey's sample: 100k random valid mappings
MAX_TILE_PAIRS = 1 << 20  # pairs of folded tile sizes counted at once (8 MB per array): bounds time and memory
PERCENTILES = (10, 50, 90)
WITHIN = (2, 3, 10)
BINS_PER_DECADE = 10
OPERANDS = "abc"  # L2 keep bits: a = 1, b = 2, c (partial sums) = 4
REFERENCE_KEYS = ("objective", "mapping", "tile_m", "tile_k", "tile_n", "loop_order", "l2_keep", "cycles", "energy_pj",
                  "edp_j_s", "relative_edp", "percentile", "dram_bytes", "l2_bytes")


def keep_name(mask: int) -> str:
    return "+".join(name for j, name in enumerate(OPERANDS) if mask >> j & 1)


def keep_mask(names: str) -> int:
    """'a+c' (or 'ac') -> 5."""
    return sum(1 << OPERANDS.index(c) for c in names if c in OPERANDS)


def spatial_choices(size: int, dim: int) -> np.ndarray:
    """Spatial factors along an array side of `size` PEs for a dimension `dim`: the divisors of `size` below `dim`
    (each divides every tile, a multiple of `size`), and `size` itself (the whole fold)."""
    return np.array([d for d in range(1, size) if size % d == 0 and d < dim] + [size], dtype=np.int64)


def _operands(hw: AcceleratorSpec) -> Operands:
    """The standalone GEMM of `dse simulate-gemm`: operands at the array's widths from DRAM, the output to DRAM."""
    return Operands(hw.input_bits, hw.weight_bits, hw.input_bits, "dram", "dram", "dram")


@dataclass(frozen=True, slots=True)
class Space:
    """The legal mappings of one GEMM, counted. Per legal pair of folded tiles (`row_tiles`: the dimension folded over
    the array's rows, K under WS and M under OS; `col_tiles`: N), the free dimension takes the values 1..`free_counts`.
    Index order, outer to inner: tile pair and free value, spatial rows, spatial columns, loop order, L2 keep set."""

    m: int
    k: int
    n: int
    dataflow: str
    spatial_rows: np.ndarray
    spatial_cols: np.ndarray
    row_tiles: np.ndarray
    col_tiles: np.ndarray
    free_counts: np.ndarray
    keeps: tuple[int, ...]

    @property
    def tilings(self) -> int:
        return int(self.free_counts.sum())

    @property
    def size(self) -> int:
        return (self.tilings * len(self.spatial_rows) * len(self.spatial_cols) * len(LOOP_ORDERS)
                * len(self.keeps))

    def decode(self, index: np.ndarray) -> dict[str, np.ndarray]:
        """Mappings by their index in the space: tile sizes, spatial factors, loop order (index) and keep mask."""
        g = np.asarray(index, dtype=np.int64)
        keep, g = g % len(self.keeps), g // len(self.keeps)
        order, g = g % len(LOOP_ORDERS), g // len(LOOP_ORDERS)
        col, g = g % len(self.spatial_cols), g // len(self.spatial_cols)
        row, g = g % len(self.spatial_rows), g // len(self.spatial_rows)
        ends = np.cumsum(self.free_counts)
        pair = np.searchsorted(ends, g, side="right")
        free = g - (ends[pair] - self.free_counts[pair]) + 1
        rows_tile, cols_tile = self.row_tiles[pair], self.col_tiles[pair]
        tm, tk = (free, rows_tile) if self.dataflow == "ws" else (rows_tile, free)
        return {"tile_m": tm, "tile_k": tk, "tile_n": cols_tile, "spatial_rows": self.spatial_rows[row],
                "spatial_cols": self.spatial_cols[col], "order": order, "keep": np.asarray(self.keeps)[keep]}


def _fits(hw: AcceleratorSpec, operands: Operands, m: int, k: int, n: int, tm: np.ndarray, tk: np.ndarray,
          tn: np.ndarray) -> np.ndarray:
    """The search's legality test (gemm.py): double-buffered A and B tiles in the scratchpad, C in the accumulator."""
    a_b, b_b, acc_b = operands.a_bits / 8.0, operands.b_bits / 8.0, hw.accumulator_bits / 8.0
    em, ek, en = np.minimum(tm, m), np.minimum(tk, k), np.minimum(tn, n)
    return ((2.0 * (em * ek * a_b + ek * en * b_b) <= hw.scratchpad_bytes)
            & (em * en * acc_b <= hw.accumulator_bytes))


def space(m: int, k: int, n: int, hw: AcceleratorSpec) -> Space:
    """Count the legal mappings of (m x k)·(k x n) on `hw` (ValueError when the folded tile pairs are too many)."""
    operands = _operands(hw)
    row_dim, free_dim = (k, m) if hw.dataflow == "ws" else (m, k)
    row_choices = np.arange(hw.rows, -(-row_dim // hw.rows) * hw.rows + 1, hw.rows, dtype=np.int64)
    col_choices = np.arange(hw.cols, -(-n // hw.cols) * hw.cols + 1, hw.cols, dtype=np.int64)
    pairs = len(row_choices) * len(col_choices)
    if pairs > MAX_TILE_PAIRS:
        raise ValueError(f"GEMM {m}x{k}x{n} has {pairs:,} pairs of folded tile sizes on a {hw.rows}x{hw.cols} array; "
                         f"the landscape counts at most {MAX_TILE_PAIRS:,}: use a smaller GEMM or a larger array")
    row_tiles, col_tiles = (g.ravel() for g in np.meshgrid(row_choices, col_choices, indexing="ij"))

    def fits(free: np.ndarray) -> np.ndarray:
        tm, tk = (free, row_tiles) if hw.dataflow == "ws" else (row_tiles, free)
        return (free == 0) | _fits(hw, operands, m, k, n, tm, tk, col_tiles)

    # Legality is monotone in the free tile, so its legal values are 1..count: a vectorised binary search for count.
    low, high = np.zeros_like(row_tiles), np.full_like(row_tiles, free_dim)
    while (low < high).any():
        middle = (low + high + 1) // 2
        ok = fits(middle)
        low, high = np.where(ok, middle, low), np.where(ok, high, middle - 1)
    legal = low > 0
    sizes = pricing.operand_sizes(m, k, n, operands, hw.accumulator_bits)
    keeps = pricing.fitting_pin_sets(tuple(sizes), hw.l2_bytes) if hw.l2_bytes else (0,)
    return Space(m, k, n, hw.dataflow, spatial_choices(hw.rows, row_dim), spatial_choices(hw.cols, n),
                 row_tiles[legal], col_tiles[legal], low[legal], keeps)


@dataclass(frozen=True, slots=True)
class Priced:
    """Mappings and their cost, one array entry per mapping."""

    tile_m: np.ndarray
    tile_k: np.ndarray
    tile_n: np.ndarray
    spatial_rows: np.ndarray
    spatial_cols: np.ndarray
    order: np.ndarray
    keep: np.ndarray
    cycles: np.ndarray
    energy_pj: np.ndarray
    dram_bytes: np.ndarray
    l2_bytes: np.ndarray
    scratchpad_bytes: np.ndarray
    accumulator_bytes: np.ndarray

    @property
    def edp(self) -> np.ndarray:
        """Energy x delay in pJ x cycles (the ranking; J x s for a report is this x 1e-12 / clock)."""
        return self.energy_pj * self.cycles


def evaluate_mappings(m: int, k: int, n: int, hw: AcceleratorSpec, *, tile_m: np.ndarray, tile_k: np.ndarray,
                      tile_n: np.ndarray, order: np.ndarray, keep: np.ndarray,
                      spatial_rows: np.ndarray | None = None, spatial_cols: np.ndarray | None = None) -> Priced:
    """Cost of explicit mappings (arrays, one entry each; `order` indexes LOOP_ORDERS, `keep` is an L2 keep mask),
    through the fold formulas and `pricing.price`, the search's own model. Spatial factors default to the full
    array. Raises ValueError for a mapping whose tiles do not fit the memories."""
    operands = _operands(hw)
    tm, tk, tn = (np.asarray(x, dtype=np.int64) for x in (tile_m, tile_k, tile_n))
    order, keep = np.asarray(order, dtype=np.int64), np.asarray(keep, dtype=np.int64)
    rows_s = np.full(tm.shape, hw.rows, dtype=np.int64) if spatial_rows is None else np.asarray(spatial_rows)
    cols_s = np.full(tm.shape, hw.cols, dtype=np.int64) if spatial_cols is None else np.asarray(spatial_cols)
    if not _fits(hw, operands, m, k, n, tm, tk, tn).all():
        raise ValueError("a mapping's tiles do not fit the scratchpad and accumulator")
    a_b, b_b, acc_b = operands.a_bits / 8.0, operands.b_bits / 8.0, hw.accumulator_bits / 8.0
    em, ek, en = np.minimum(tm, m), np.minimum(tk, k), np.minimum(tn, n)
    compute, sp_reads, acc_traffic = (np.asarray(x, dtype=np.float64) for x in DATAFLOWS[hw.dataflow].work(
        hw.timing, m, k, n, hw.rows, hw.cols, tm, tk, a_b, b_b, acc_b, spatial_rows=rows_s, spatial_cols=cols_s))
    trips = np.stack([-(-m // tm), -(-k // tk), -(-n // tn)]).astype(np.float64)
    mult = pricing.multiplicity(trips, order)
    fetched = pricing.fetched_bytes(m, k, n, operands, hw.accumulator_bits, mult[:, 0], mult[:, 1], mult[:, 2])
    candidates = pricing.Candidates(em, ek, en, compute, sp_reads, acc_traffic, fetched,
                                    m * n * operands.out_bits / 8.0)
    priced = pricing.price(pricing.Gemm(m, k, n, operands), hw.hardware_key(), candidates, keep=keep)
    traffic, cycles = priced.traffic, priced.time.cycles
    shape = cycles.shape
    return Priced(tile_m=em, tile_k=ek, tile_n=en, spatial_rows=rows_s, spatial_cols=cols_s, order=order,
                  keep=np.broadcast_to(keep, shape), cycles=cycles, energy_pj=priced.energy.total_pj,
                  dram_bytes=np.broadcast_to(traffic.dram_reads + traffic.dram_writes, shape),
                  l2_bytes=np.broadcast_to(traffic.l2_traffic, shape),
                  scratchpad_bytes=sp_reads + traffic.local_reads,
                  accumulator_bytes=np.broadcast_to(acc_traffic + traffic.local_writes, shape))


@dataclass(frozen=True, slots=True)
class EdpSummary:
    """How a set of mappings' EDPs spread relative to the best of them."""

    best: int  # index of the best mapping (least EDP; among equal EDPs the fastest)
    percentiles: dict[str, float]  # relative EDP at the 10th, 50th, 90th percentile
    share_within: dict[str, float]  # fraction of mappings within 2x, 3x, 10x of the best
    spread: float  # worst / best


def summarize(edp: np.ndarray, cycles: np.ndarray | None = None) -> EdpSummary:
    """Percentiles (NumPy's linear interpolation) and shares of EDP relative to the least one."""
    edp = np.asarray(edp, dtype=np.float64)
    best = int(np.lexsort((cycles, edp))[0]) if cycles is not None else int(np.argmin(edp))
    relative = edp / edp[best]
    return EdpSummary(best=best,
                      percentiles={str(p): float(v) for p, v in zip(PERCENTILES, np.percentile(relative, PERCENTILES),
                                                                    strict=True)},
                      share_within={str(w): float(np.mean(relative <= w)) for w in WITHIN},
                      spread=float(relative.max()))


def histogram(relative: np.ndarray) -> dict[str, list[float]]:
    """Counts of relative EDP in log bins, BINS_PER_DECADE per decade from 1 (the best) past the worst."""
    top = max(1, int(np.ceil(np.log10(max(float(relative.max()), 1.0)) * BINS_PER_DECADE - 1e-9)))
    edges = 10.0 ** (np.arange(top + 1) / BINS_PER_DECADE)
    counts, _ = np.histogram(np.clip(relative, 1.0, edges[-1]), bins=edges)
    return {"relative_edp_edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


@dataclass(frozen=True, slots=True)
class Landscape:
    """The evaluated mappings of one GEMM (the whole space, or a uniform sample of it) and the reference mappings."""

    m: int
    k: int
    n: int
    accelerator: AcceleratorSpec
    objective: str
    space_size: int
    sampled: bool
    seed: int | None
    space: Space
    mappings: Priced
    summary: EdpSummary
    references: dict[str, GemmCost | str]  # mapper -> its cost, or why it has no mapping

    def edp_j_s(self, edp_pj_cycles: np.ndarray | float) -> np.ndarray | float:
        return edp_pj_cycles * 1e-12 / (self.accelerator.clock_ghz * 1e9)

    def row(self, i: int, rank: int | None = None) -> dict[str, Any]:
        """One mapping as JSON."""
        p = self.mappings
        best = float(p.edp[self.summary.best])
        keep = keep_name(int(p.keep[i]))
        order = LOOP_ORDERS[int(p.order[i])]
        row: dict[str, Any] = {} if rank is None else {"rank": rank}
        row.update({
            "tile_m": int(p.tile_m[i]), "tile_k": int(p.tile_k[i]), "tile_n": int(p.tile_n[i]),
            "spatial_rows": int(p.spatial_rows[i]), "spatial_cols": int(p.spatial_cols[i]), "loop_order": order,
            "l2_keep": keep, "cycles": float(p.cycles[i]), "energy_pj": float(p.energy_pj[i]),
            "edp_j_s": float(self.edp_j_s(p.edp[i])), "relative_edp": float(p.edp[i]) / best,
            "dram_bytes": float(p.dram_bytes[i]), "l2_bytes": float(p.l2_bytes[i]),
            "scratchpad_bytes": float(p.scratchpad_bytes[i]), "accumulator_bytes": float(p.accumulator_bytes[i]),
            "description": (f"{self.accelerator.dataflow} tile m{int(p.tile_m[i])} k{int(p.tile_k[i])} "
                            f"n{int(p.tile_n[i])} spatial {int(p.spatial_rows[i])}x{int(p.spatial_cols[i])} "
                            f"order {'>'.join(order)}" + (f" L2 {keep}" if keep else "")),
        })
        return row

    def reference(self, mapper: str) -> dict[str, Any]:
        """Where a mapper's choice sits: its relative EDP and the percentage of mappings with less EDP."""
        cost = self.references[mapper]
        if isinstance(cost, str):
            return {"mapper": mapper, "error": cost, **dict.fromkeys(REFERENCE_KEYS)}
        edp = cost.energy_pj * cost.cycles
        ranked = np.sort(self.mappings.edp)
        return {"mapper": mapper, "error": None, "objective": self.objective if mapper == "optimal" else None,
                "mapping": cost.mapping.describe(), "tile_m": cost.mapping.tile_m, "tile_k": cost.mapping.tile_k,
                "tile_n": cost.mapping.tile_n, "loop_order": cost.mapping.loop_order,
                "l2_keep": "+".join(cost.mapping.l2_pinned), "cycles": cost.cycles, "energy_pj": cost.energy_pj,
                "edp_j_s": float(self.edp_j_s(edp)), "relative_edp": edp / float(self.mappings.edp[self.summary.best]),
                "percentile": 100.0 * float(np.searchsorted(ranked, edp, side="left")) / len(ranked),
                "dram_bytes": cost.dram_bytes, "l2_bytes": cost.l2_bytes}

    def to_json(self, shown: int = 100) -> dict[str, Any]:
        """The summary, the histogram and `shown` mappings: the 10 best, then evenly spaced ranks up to the worst."""
        edp = self.mappings.edp
        order = np.lexsort((self.mappings.cycles, edp))
        count = len(order)
        head = min(10, shown, count)
        spaced = np.linspace(head, count - 1, max(0, min(shown, count) - head)).round().astype(int) if count > head \
            else np.array([], dtype=int)
        ranks = sorted(set(range(head)) | {int(r) for r in spaced})
        s = self.summary
        relative = edp / edp[s.best]
        hw = self.accelerator
        return {
            "gemm": {"m": self.m, "k": self.k, "n": self.n},
            "accelerator": hw.model_dump(mode="json"),
            "objective": self.objective,
            "space": {"size": self.space_size, "evaluated": count, "sampled": self.sampled, "seed": self.seed,
                      "free_dimension": "m" if hw.dataflow == "ws" else "k",
                      "spatial_rows": [int(x) for x in self.space.spatial_rows],
                      "spatial_cols": [int(x) for x in self.space.spatial_cols],
                      "tile_pairs": len(self.space.row_tiles), "tilings": self.space.tilings,
                      "loop_orders": list(LOOP_ORDERS), "l2_keep_sets": [keep_name(m) for m in self.space.keeps]},
            "summary": {
                "space_size": self.space_size, "evaluated": count, "sampled": self.sampled,
                "best": self.row(s.best, rank=0),
                "relative_edp_percentiles": s.percentiles, "share_within": s.share_within, "edp_spread": s.spread,
                "references": {mapper: self.reference(mapper) for mapper in self.references},
            },
            "histogram": histogram(relative),
            "mappings": [self.row(int(order[r]), rank=r) for r in ranks],
        }


def landscape(m: int, k: int, n: int, hw: AcceleratorSpec, *, limit: int = DEFAULT_LIMIT, seed: int = 0,
              objective: Objective = "latency") -> Landscape:
    """Every legal mapping of the GEMM on `hw` when there are at most `limit`, else `limit` of them drawn uniformly
    without replacement (NumPy's generator seeded with `seed`); the optimal mapper's choice for `objective` and
    Gemmini's tiler's as references. MappingError when no tile fits (the search's message)."""
    if min(m, k, n) < 1:
        raise MappingError(f"GEMM shape must be positive, got m={m} k={k} n={n}")
    if limit < 1:
        raise ValueError(f"the sample size must be at least 1, got {limit}")
    counted = space(m, k, n, hw)
    optimal = gemm_cost(m, k, n, hw, objective=objective)  # raises the search's MappingError when nothing fits
    references: dict[str, GemmCost | str] = {"optimal": optimal}
    try:
        references["gemmini"] = gemm_cost(m, k, n, hw, mapper="gemmini")
    except MappingError as error:
        references["gemmini"] = str(error)
    size = counted.size
    sampled = size > limit
    index = np.sort(np.random.default_rng(seed).choice(size, size=limit, replace=False)) if sampled else np.arange(size)
    mapping = counted.decode(index)
    priced = evaluate_mappings(m, k, n, hw, tile_m=mapping["tile_m"], tile_k=mapping["tile_k"],
                               tile_n=mapping["tile_n"], order=mapping["order"], keep=mapping["keep"],
                               spatial_rows=mapping["spatial_rows"], spatial_cols=mapping["spatial_cols"])
    return Landscape(m, k, n, hw, objective, size, sampled, seed if sampled else None, counted, priced,
                     summarize(priced.edp, priced.cycles), references)
