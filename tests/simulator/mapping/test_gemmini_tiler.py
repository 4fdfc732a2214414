"""Gemmini's software tiler (`tiled_matmul_auto`), hand-followed on the survey's BERT-Base GEMMs, and the mapping it
gives the cost model: one tiling, loop i0 -> j0 -> k0, operands reused where the tiler reuses them."""

from __future__ import annotations

import pytest

from simulator import load_accelerator_preset
from simulator.mapping import MappingError, gemm_cost
from simulator.mapping.gemmini_tiler import TilerError, gemmini_tiles

KIB = 1024


def tiles(m: int, k: int, n: int, sp_kib: int, acc_kib: int, **kwargs):
    return gemmini_tiles(m, k, n, 16, 16, "ws", 1.0, 1.0, 4.0, sp_kib * KIB, acc_kib * KIB, **kwargs)


def test_the_baseline_tiles_follow_the_accumulator_half() -> None:
    """256 KiB scratchpad, 64 KiB accumulator, WS (double-buffered): half the accumulator holds 512 rows of 16 int32,
    32 output blocks, so the start is floor(sqrt(32)) = 5 blocks each way; tile_K = (a quarter of the scratchpad,
    256 blocks) / 5 = 51, capped at K's 48 blocks. Growing J to 6 would need (5·48 + 48·6)·16 = 8,448 of 8,192
    scratchpad rows: nothing grows. A projection 512x768x768 runs 80 x 768 x 80 tiles, 7 x 10 of them."""
    t = tiles(512, 768, 768, 256, 64)
    assert (t.tile_i, t.tile_j, t.tile_k) == (5, 5, 48)
    assert t.trips(512, 768, 768) == (7, 1, 10) and not (t.a_reuse or t.b_reuse)


def test_growth_order_is_j_then_i_then_k() -> None:
    """Q·Kᵀ 512x64x512 on the baseline: start 5 x 5 x 4; J grows to 6 (30 blocks of 32 fit), then I cannot (36)."""
    t = tiles(512, 64, 512, 256, 64)
    assert (t.tile_i, t.tile_j, t.tile_k) == (5, 6, 4)


def test_rebalanced_memories_give_square_output_tiles_and_reuse() -> None:
    """64 KiB scratchpad, 256 KiB accumulator: 128 output blocks in half the accumulator, start 11 x 11, tile_K =
    64 / 11 = 5. A·V (512x512x64) grows I to 14 and K to 7; its whole B (K0·J0 = 5 tiles) is not reused, and on the
    baseline its 4 x 1 x 1 tiles let B (J0·K0 = 1) be loaded once."""
    assert (lambda t: (t.tile_i, t.tile_j, t.tile_k))(tiles(512, 768, 768, 64, 256)) == (11, 11, 5)
    av = tiles(512, 512, 64, 64, 256)
    assert (av.tile_i, av.tile_j, av.tile_k, av.b_reuse) == (14, 4, 7, False)
    assert tiles(512, 512, 64, 256, 64).b_reuse


def test_a_fused_row_wise_op_starts_from_one_block_of_whole_rows() -> None:
    """LayerNorm after W_out (n = 768): tile_I = 1, tile_J = 48 (the whole row), tile_K = 1, then growth: with 128 KiB
    of accumulator (half: 1,024 rows) I stays 1 (2 x 48 x 16 = 1,536 rows), with 256 KiB it reaches 2; with the
    baseline's 64 KiB not even one block of whole rows fits, a clear error."""
    small = tiles(512, 768, 768, 64, 128, whole_rows=True)
    large = tiles(512, 768, 768, 64, 256, whole_rows=True)
    assert (small.tile_i, small.tile_j, large.tile_i) == (1, 48, 2)
    with pytest.raises(TilerError, match="whole output rows of 768"):
        tiles(512, 768, 768, 256, 64, whole_rows=True)


def test_the_gemmini_mapper_prices_the_tilers_tiling_in_its_loop_order() -> None:
    """The cost model gets exactly the tiler's tiles and its i0 -> j0 -> k0 order: A fetched J0 = 10 times, B I0 = 7
    times (no L2 here, so every fetch reaches DRAM)."""
    hw = load_accelerator_preset("gemmini-default", l2_kib=0)
    cost = gemm_cost(512, 768, 768, hw, mapper="gemmini")
    mapping = cost.mapping
    assert (mapping.tile_m, mapping.tile_k, mapping.tile_n, mapping.loop_order) == (80, 768, 80, "mnk")
    assert "Gemmini tiler" in mapping.describe() and cost.candidates == 1
    a, b, c = 512 * 768, 768 * 768, 512 * 768
    assert cost.dram_read_bytes == 10 * a + 7 * b and cost.dram_write_bytes == c


def test_the_optimal_mapper_never_loses_to_gemminis_tiler() -> None:
    hw = load_accelerator_preset("gemmini-default")
    for shape in ((512, 768, 768), (512, 64, 512), (512, 512, 64), (512, 768, 3072), (1, 768, 768)):
        assert gemm_cost(*shape, hw).cycles <= gemm_cost(*shape, hw, mapper="gemmini").cycles * 1.001


def test_whole_rows_that_cannot_fit_are_a_mapping_error() -> None:
    hw = load_accelerator_preset("gemmini-default")
    with pytest.raises(MappingError, match="whole output rows"):
        gemm_cost(512, 768, 768, hw, mapper="gemmini", whole_rows=True)
