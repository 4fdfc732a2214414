"""DMA packets per tile row (simulator/mapping/requests.py) against a packet-by-packet replay of Gemmini's DMA, and
what they do to a GEMM's time (docs/simulator.md, "DMA packets")."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.hardware import AcceleratorSpec, load_accelerator_preset
from simulator.mapping import gemm_cost
from simulator.mapping.requests import request_factor

LINE = 64

# Memory constants under which the DMA's 16 slots bind (the presets' pre-fit L2 40 + DRAM 100-cycle round trip and a
# 16 B/cycle DRAM): the fitted ones (docs/firesim_fit.md) leave the slots above the links' widths.
SLOT_BOUND = {"l2_latency_cycles": 40, "dram_latency_cycles": 100, "dram_bytes_per_cycle": 16}


def replay(tile: int, row: int, block: int) -> tuple[float, float]:
    """Cut every row of a row-major operand (`row` bytes per row and pitch) into tiles, each tile row into commands of
    up to a line's worth of whole blocks (LoopMatmul's max_block_len), each command row into TileLink packets the way
    DMA.scala's StreamReaderCore picks them (of the power-of-two sizes from 16 B to a line, aligned to their size, the
    one that reads the most bytes, the smallest on a tie), one row after another; count the packets, and the tiles
    after a row's first whose first line the tile to their left touched. Per line's worth of bytes."""
    chunk = block if block >= LINE else (LINE // block) * block
    packets = hits = 0
    rows = LINE  # the rows' offsets within a line repeat at most every LINE rows
    for r in range(rows):
        start = 0
        while start < row:
            width = min(tile, row - start)
            address = r * row + start
            if start and address % LINE:
                hits += 1
            done = 0
            while done < width:
                length, left = min(chunk, width - done), min(chunk, width - done)
                at = address + done
                while left:
                    read = max(min(size - at % size, left) for size in (16, 32, 64))
                    at, left, packets = at + read, left - read, packets + 1
                done += length
            start += width
    scale = LINE / (rows * row)
    return packets * scale, hits * scale


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([8, 16, 32, 64, 128, 12, 40]), st.integers(1, 40), st.integers(1, 24),
       st.sampled_from([0, 0, 4, 16, 40]))
def test_packets_match_a_replay_of_the_dma(block: int, blocks_per_row: int, blocks_per_tile: int, extra: int) -> None:
    """Any block size (power of two or not), tile width and row pitch (aligned to a line or not)."""
    row, tile = block * blocks_per_row + extra, block * blocks_per_tile
    factors = request_factor(tile, row, block, LINE)
    assert (factors.packets, factors.neighbour_hits) == pytest.approx(replay(tile, row, block))


def test_gemmini_tilers_ffn_tiles_by_hand() -> None:
    """FFN W1's B (768 x 3072 int8) in the tiler's 80-B-wide tiles (5 blocks): a tile row is a 64-B command and a
    16-B one, starting 0, 16, 32 or 48 B into a line (tile j at 80j): 2, 3, 3, 3 packets; the last tile (32 B at
    3040) takes 1. Per 3,072-B row (48 lines): 38 full tiles, 10 at offset 0 (20 packets) and 28 others (84), + 1
    = 105 packets: factor 105 / 48. A re-balanced 176-B tile takes fewer packets per byte; a 768-B tile, whole
    lines (factor 1)."""
    assert request_factor(80, 3072, 16, 64).packets == pytest.approx(105 / 48)
    assert request_factor(176, 3072, 16, 64).packets < request_factor(80, 3072, 16, 64).packets
    assert request_factor(768, 3072, 16, 64) == (1.0, 0.0)


def test_misaligned_tiles_cost_time_only_under_a_request_limit() -> None:
    """The same bytes in tiles that straddle lines: slower when the DMA's 16 slots bound it, the same without a
    limit (bytes over the link's width). At the fitted round trip the slots do not bind gemmini-default's DRAM
    (16 x 64 B / 20 cycles > 3.06 B/cycle), so a 100-cycle, 16 B/cycle DRAM makes them."""
    limited = load_accelerator_preset("gemmini-default", l2_kib=0, **SLOT_BOUND)
    free = limited.model_copy(update={"dma_max_in_flight": 0})
    aligned, straddling = (1, 4096, 4096), (1, 4096, 4080)  # weight rows of 4,096 B, or 4,080 B (not a line multiple)
    per_byte = {hw.dma_max_in_flight: [gemm_cost(*shape, hw).transfer_cycles / (shape[1] * shape[2])
                                       for shape in (aligned, straddling)] for hw in (limited, free)}
    assert per_byte[16][1] > 1.2 * per_byte[16][0]
    assert per_byte[0][1] == pytest.approx(per_byte[0][0], rel=0.01)


def test_qk_reads_k_token_by_token() -> None:
    """Q·Kᵀ's B is K stored one token per row (Gemmini's transformer runs it with transpose_B): tile rows along K
    (d_head = 64 B, whole lines), where a K x N layout of a 77-token context would straddle lines (which costs
    time where the DMA's slots bind: SLOT_BOUND)."""
    hw = load_accelerator_preset("gemmini-default", **SLOT_BOUND)
    by_token = gemm_cost(77, 64, 77, hw, b_transposed=True)
    by_column = gemm_cost(77, 64, 77, hw)
    assert by_token.transfer_cycles < by_column.transfer_cycles
    assert by_token.dram_bytes == by_column.dram_bytes


def test_a_spec_without_a_limit_has_infinite_slot_rates() -> None:
    hw = AcceleratorSpec(dma_max_in_flight=0)
    assert hw.request_link == (math.inf, math.inf)
    gemmini = load_accelerator_preset("gemmini-default")
    assert gemmini.request_link == (pytest.approx(16 * 64 / 15), pytest.approx(16 * 64 / (15 + 20)))
