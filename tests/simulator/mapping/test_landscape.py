"""The mapping landscape (simulator/mapping/landscape.py): its space counted exactly, sampled deterministically,
summarised by hand-checkable maths, and priced by the same model as the optimal search."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator import load_accelerator_preset
from simulator.hardware import AcceleratorSpec
from simulator.mapping import LOOP_ORDERS, gemm_cost, weight_stationary
from simulator.mapping.landscape import (
    evaluate_mappings,
    histogram,
    keep_mask,
    landscape,
    space,
    spatial_choices,
    summarize,
)

# A 4x4 WS array with a 64 B scratchpad: hand-countable.
TINY = dict(rows=4, cols=4, dataflow="ws", scratchpad_kib=64 / 1024, accumulator_kib=1, l2_kib=0,
            dma_max_in_flight=0)


def test_a_hand_counted_space() -> None:
    """GEMM 3x8x4 on TINY. Spatial rows: divisors of 4 below K = 8 and 4 -> {1, 2, 4}; columns: divisors below N = 4,
    and 4 -> {1, 2, 4}. Tiles: tk in {4, 8}, tn = 4, tm in 1..3. Scratchpad 2(tm·tk + tk·tn) <= 64: tk = 4 allows
    tm <= 4 (all 3), tk = 8 none. So 3 tilings x 3 x 3 spatial x 6 orders x 1 keep set (no L2) = 162; with an L2
    holding A, B and the partial sums (24 + 32 + 48 B) every one of the 8 keep sets fits: 1,296."""
    hw = AcceleratorSpec(**TINY)
    counted = space(3, 8, 4, hw)
    assert (counted.tilings, counted.size) == (3, 162)
    assert list(counted.spatial_rows) == [1, 2, 4] and list(counted.spatial_cols) == [1, 2, 4]
    with_l2 = space(3, 8, 4, AcceleratorSpec(**{**TINY, "l2_kib": 1}))
    assert (with_l2.size, with_l2.keeps) == (1296, tuple(range(8)))
    drawn = landscape(3, 8, 4, hw)
    assert not drawn.sampled and drawn.space_size == len(drawn.mappings.cycles) == 162
    tiles = set(zip(drawn.mappings.tile_m, drawn.mappings.tile_k, drawn.mappings.tile_n, strict=True))
    assert tiles == {(1, 4, 4), (2, 4, 4), (3, 4, 4)}


@pytest.mark.parametrize(("dataflow", "l2_kib"), [("ws", 0), ("os", 0), ("ws", 2)])
def test_the_count_is_every_legal_mapping_listed_by_brute_force(dataflow: str, l2_kib: float) -> None:
    """Count by listing every combination in Python and applying the search's legality test, against the
    landscape's count and its decoded mappings (each once, each legal)."""
    hw = AcceleratorSpec(rows=8, cols=4, dataflow=dataflow, scratchpad_kib=1, accumulator_kib=0.5, l2_kib=l2_kib,
                         dma_max_in_flight=0)
    m, k, n = 20, 40, 14
    row_dim, free_dim = (k, m) if dataflow == "ws" else (m, k)
    legal_tiles = 0
    for t_rows in range(8, -(-row_dim // 8) * 8 + 1, 8):
        for tn in range(4, -(-n // 4) * 4 + 1, 4):
            for free in range(1, free_dim + 1):
                tm, tk = (free, t_rows) if dataflow == "ws" else (t_rows, free)
                em, ek, en = min(tm, m), min(tk, k), min(tn, n)
                legal_tiles += 2.0 * (em * ek + ek * en) <= 1024 and em * en * 4 <= 512
    spatial = len([d for d in (1, 2, 4, 8) if d < row_dim or d == 8]) * len([d for d in (1, 2, 4) if d < n or d == 4])
    sizes = (m * k, k * n, m * n * 4)
    keeps = [mask for mask in range(8) if sum(s for j, s in enumerate(sizes) if mask >> j & 1) <= l2_kib * 1024] \
        if l2_kib else [0]
    counted = space(m, k, n, hw)
    assert counted.size == legal_tiles * spatial * 6 * len(keeps)
    decoded = counted.decode(np.arange(counted.size))
    rows = set(zip(*(decoded[key] for key in ("tile_m", "tile_k", "tile_n", "spatial_rows", "spatial_cols", "order",
                                               "keep")), strict=True))
    assert len(rows) == counted.size  # every index a different mapping
    evaluate_mappings(m, k, n, hw, tile_m=decoded["tile_m"], tile_k=decoded["tile_k"], tile_n=decoded["tile_n"],
                      order=decoded["order"], keep=decoded["keep"])  # raises if any tile does not fit


def test_spatial_factors_are_the_divisors_below_the_dimension_and_the_whole_side() -> None:
    assert list(spatial_choices(16, 768)) == [1, 2, 4, 8, 16]
    assert list(spatial_choices(16, 8)) == [1, 2, 4, 16]  # 8 would hold what 16 holds: one fold
    assert list(spatial_choices(12, 100)) == [1, 2, 3, 4, 6, 12]


def test_a_partial_fold_costs_a_whole_fold() -> None:
    """WS 2x2, (3x4)·(4x2), Gemmini timing: full folds 2 + 2 x 1 x 4 + 5 = 15 (docs/simulator.md); holding 1 of the
    array's 2 rows doubles the K folds: 2 + 4 x 1 x 4 + 5 = 23, and the accumulator sees every K fold."""
    full = weight_stationary.work("gemmini", 3, 4, 2, 2, 2, np.array([3]), np.array([4]), 1.0, 1.0, 4.0)
    half = weight_stationary.work("gemmini", 3, 4, 2, 2, 2, np.array([3]), np.array([4]), 1.0, 1.0, 4.0,
                                  spatial_rows=np.array([1]), spatial_cols=np.array([2]))
    assert (int(full[0][0]), int(half[0][0])) == (15, 23)
    assert half[2][0] == 2 * full[2][0]


def test_a_seeded_sample_is_uniform_without_repeats_and_repeatable() -> None:
    hw = load_accelerator_preset("gemmini-default")
    first = landscape(512, 64, 512, hw, limit=2_000, seed=7)
    again = landscape(512, 64, 512, hw, limit=2_000, seed=7)
    other = landscape(512, 64, 512, hw, limit=2_000, seed=8)
    assert first.sampled and first.space_size > 2_000 and len(first.mappings.cycles) == 2_000
    assert np.array_equal(first.mappings.edp, again.mappings.edp)
    assert first.to_json() == again.to_json()
    assert not np.array_equal(first.mappings.edp, other.mappings.edp)
    drawn = set(zip(first.mappings.tile_m, first.mappings.tile_k, first.mappings.tile_n, first.mappings.spatial_rows,
                    first.mappings.spatial_cols, first.mappings.order, first.mappings.keep, strict=True))
    assert len(drawn) == 2_000
    # uniform: the share of full-array mappings drawn is the space's share (1 of 5 x 5 spatial choices), within 4 sigma
    full = np.mean((first.mappings.spatial_rows == 16) & (first.mappings.spatial_cols == 16))
    assert abs(full - 1 / 25) < 4 * math.sqrt(1 / 25 * 24 / 25 / 2_000)


def test_summary_maths_on_a_hand_made_case() -> None:
    """EDPs 4, 1, 2, 8, 3: relative to the best (1) sorted 1, 2, 3, 4, 8. NumPy's linear percentiles: p10 at
    position 0.4 -> 1.4, p50 at 2 -> 3, p90 at 3.6 -> 4 + 0.6 x 4 = 6.4. Within 2x: 2 of 5, 3x: 3, 10x: all."""
    summary = summarize(np.array([4.0, 1.0, 2.0, 8.0, 3.0]))
    assert summary.best == 1 and summary.spread == 8.0
    assert summary.percentiles == pytest.approx({"10": 1.4, "50": 3.0, "90": 6.4})
    assert summary.share_within == {"2": 0.4, "3": 0.6, "10": 1.0}
    assert summarize(np.array([2.0, 2.0]), np.array([5.0, 3.0])).best == 1  # equal EDP: the faster one
    bins = histogram(np.array([1.0, 1.5, 12.0]))  # 10 bins per decade from 1 past 12: 11 bins
    assert len(bins["counts"]) == 11 and bins["relative_edp_edges"][-1] == pytest.approx(10 ** 1.1)
    assert bins["counts"][0] == bins["counts"][1] == bins["counts"][10] == 1 and sum(bins["counts"]) == 3


CASES = [("gemmini-default", {}), ("gemmini-os", {}), ("gemmini-transformer", {}), ("survey-analytic", {}),
         ("gemmini-default", {"l2_kib": 0}), ("gemmini-default", {"timing": "scalesim", "gemm_efficiency": 0.8})]


@pytest.mark.parametrize(("preset", "overrides"), CASES)
@pytest.mark.parametrize("shape", [(512, 768, 768), (100, 37, 250), (1, 768, 768), (3136, 576, 64)])
def test_a_mapping_of_the_search_costs_what_the_search_says(preset: str, overrides: dict, shape: tuple) -> None:
    """The search's choice (full spatial factors, its tiles, its loop order, its pinned operands) priced by the
    landscape: the same cycles, energy and traffic, to the bit."""
    hw = load_accelerator_preset(preset, **overrides)
    for objective in ("latency", "energy", "edp"):
        chosen = gemm_cost(*shape, hw, objective=objective)
        mapping = chosen.mapping
        priced = evaluate_mappings(*shape, hw, tile_m=[mapping.tile_m], tile_k=[mapping.tile_k],
                                   tile_n=[mapping.tile_n], order=[LOOP_ORDERS.index(mapping.loop_order)],
                                   keep=[keep_mask(mapping.l2_pinned)])
        assert (priced.cycles[0], priced.energy_pj[0]) == (chosen.cycles, chosen.energy_pj)
        assert (priced.dram_bytes[0], priced.l2_bytes[0]) == (chosen.dram_bytes, chosen.l2_bytes)
        assert (priced.scratchpad_bytes[0], priced.accumulator_bytes[0]) == (chosen.scratchpad_bytes,
                                                                             chosen.accumulator_bytes)


SMALL = [("gemmini-default", dict(scratchpad_kib=4, accumulator_kib=2, l2_kib=4)),
         ("gemmini-os", dict(scratchpad_kib=4, accumulator_kib=2)),
         ("gemmini-8x8", dict(scratchpad_kib=2, accumulator_kib=1, l2_kib=0)),
         ("survey-analytic", dict(scratchpad_kib=4, accumulator_kib=4, l2_kib=8))]


@pytest.mark.parametrize(("preset", "overrides"), SMALL)
@pytest.mark.parametrize("shape", [(48, 40, 56), (33, 70, 20), (1, 96, 48)])
def test_the_whole_landscape_is_never_worse_than_the_edp_search(preset: str, overrides: dict, shape: tuple) -> None:
    """Enumerated whole (small memories keep it so), the landscape holds the search's space, so its best EDP is at
    most the EDP the search finds when it minimises EDP, and that choice sits at or above the landscape's best."""
    hw = load_accelerator_preset(preset, **overrides)
    drawn = landscape(*shape, hw, limit=400_000, objective="edp")
    assert not drawn.sampled
    chosen = gemm_cost(*shape, hw, objective="edp")
    best = drawn.mappings.edp[drawn.summary.best]
    assert best <= chosen.energy_pj * chosen.cycles * (1 + 1e-12)
    placed = drawn.to_json(shown=5)["summary"]["references"]["optimal"]
    assert placed["relative_edp"] >= 1 - 1e-12
    below = np.count_nonzero(drawn.mappings.edp < chosen.energy_pj * chosen.cycles)
    assert placed["percentile"] == pytest.approx(100 * below / drawn.space_size)


def test_the_json_result_has_the_summary_the_cli_and_api_serve() -> None:
    drawn = landscape(512, 64, 512, load_accelerator_preset("gemmini-default"), limit=5_000)
    result = drawn.to_json(shown=30)
    summary = result["summary"]
    assert set(summary["relative_edp_percentiles"]) == {"10", "50", "90"}
    assert set(summary["share_within"]) == {"2", "3", "10"}
    assert 0 <= summary["share_within"]["2"] <= summary["share_within"]["3"] <= summary["share_within"]["10"] <= 1
    assert summary["best"]["relative_edp"] == 1.0 and summary["sampled"] and summary["evaluated"] == 5_000
    assert set(summary["references"]) == {"optimal", "gemmini"}
    ranks = [row["rank"] for row in result["mappings"]]
    assert ranks[:10] == list(range(10)) and ranks[-1] == 4_999 and len(ranks) == 30
    relative = [row["relative_edp"] for row in result["mappings"]]
    assert relative == sorted(relative) and relative[-1] == pytest.approx(summary["edp_spread"])
    assert sum(result["histogram"]["counts"]) == 5_000


def test_a_gemm_too_large_to_count_is_refused_with_what_to_change() -> None:
    with pytest.raises(ValueError, match="pairs of folded tile sizes on a 16x16 array; the landscape counts at most"):
        landscape(65_536, 65_536, 65_536, load_accelerator_preset("gemmini-default"))


def test_gemmini_tiler_without_a_tile_is_reported_not_raised() -> None:
    """Gemmini's tiler works in whole 16 x 16 blocks in half the accumulator under WS: 384 B of a 0.75 KiB one holds no
    4 KiB int32 block, while the search's smallest tile (one row of 16 outputs, 64 B) fits."""
    hw = load_accelerator_preset("gemmini-default", accumulator_kib=0.75)
    drawn = landscape(64, 64, 64, hw)
    assert isinstance(drawn.references["gemmini"], str)
    assert "Gemmini's tiler has no tile" in drawn.to_json()["summary"]["references"]["gemmini"]["error"]
    assert drawn.space_size > 0 and len(drawn.mappings.cycles) > 0
