"""Gemmini's convolution tiler (`tiled_conv_auto`), followed by hand through gemmini.h on ResNet-50's layers, and the
properties its search guarantees on any layer: the tile fits half of each memory, no argument exceeds its dimension,
and no argument could grow by one more (phase 3 stops only when none can); and, on a wider set of shapes, the tile
gemmini.h's loops pick run step by step (the tiler follows them in jumps)."""

from __future__ import annotations

import itertools
import math
from dataclasses import astuple, replace

import pytest

from simulator.mapping.gemmini_conv_tiler import ConvShape, TilerError, gemmini_conv_tiles

KIB = 1024

# ResNet-50 (batch 1): the 7x7/2 first layer on 3 channels, its fused 3x3/2 max-pool as imagenet/resnet50.c runs it,
# 3x3 convolutions of stages 2, 4 and 5, 1x1 expand/reduce, the 1x1/2 downsample, a 3x3/2 (ResNet v1.5's stage 3).
CONV1 = ConvShape(1, 3, 64, 224, 224, 112, 112, 7, 7, stride=2, padding=3)
CONV1_POOLED = replace(CONV1, pool_size=3, pool_stride=2, pool_padding=1)
CONV2_3X3 = ConvShape(1, 64, 64, 56, 56, 56, 56, 3, 3, padding=1)
CONV4_3X3 = ConvShape(1, 256, 256, 14, 14, 14, 14, 3, 3, padding=1)
CONV5_3X3 = ConvShape(1, 512, 512, 7, 7, 7, 7, 3, 3, padding=1)
CONV2_EXPAND = ConvShape(1, 64, 256, 56, 56, 56, 56, 1, 1)
CONV4_REDUCE = ConvShape(1, 1024, 256, 14, 14, 14, 14, 1, 1)
CONV3_DOWNSAMPLE = ConvShape(1, 256, 512, 56, 56, 28, 28, 1, 1, stride=2)
CONV3_3X3_STRIDE2 = ConvShape(1, 128, 128, 56, 56, 28, 28, 3, 3, stride=2, padding=1)

# (layer, DIM, scratchpad KiB, accumulator KiB, upstream downsample) -> tile (batches, porows, pocols, pochs, krows,
# kcols, kchs) and (A, B, C) rows of tiled_conv_total_spad_rows. Halves: 256/64 KiB on 16x16 = 8,192 scratchpad and
# 512 accumulator rows; "in turn" = orows and ocols alternately lose one, orows first on a tie (lower index).
CASES = [
    # C = 4 blocks x 112 x 112 = 50,176 > 512: orows/ocols fall in turn; each time they meet ochs (64) it loses a block
    # (64 -> 48 -> 32 -> 16); rows/cols go on to 22 x 23 = 506. Nothing grows: 23 x 23 = 529, 22 x 24 = 528, ochs 17 is
    # a second block (1,012).
    pytest.param(CONV1, 16, 256, 64, False, (1, 22, 23, 16, 7, 7, 3), (2600, 147, 506), id="conv1-16x16-256k-64k"),
    # Pooled dims 56: ochs 64 is the largest first; rows/cols and ochs fall as above to 16 x 16 x 16; then ocols (16 <=
    # DIM) is skipped while orows > 1: orows 16 -> 15 (tie with ochs, lower index), ochs 16 -> 1 (a whole block off,
    # clamped to 1), orows alone down to 6 (pre-pool 6*2+2 = 14 x 34 = 476). Phase 2: ocols 17 (14 x 36 = 504; 18 ->
    # 532). Phase 3: ochs back up one by one to 16 (one block); orows 7 -> 16 x 36 = 576.
    pytest.param(CONV1_POOLED, 16, 256, 64, False, (1, 6, 17, 16, 7, 7, 3), (2652, 147, 504), id="conv1+pool"),
    # ochs and kchs (64, ochs first) lose a block each, rows/cols fall in turn to meet them at 48 and 32, channels ->
    # 16, rows/cols to 22 x 23 (506). Phase 3 regrows kchs one by one to 64: 4 blocks x 24 x 25 input pixels = 2,400 +
    # 9 x 64 = 576 weight rows; ochs 17 -> 1,012 acc rows.
    pytest.param(CONV2_3X3, 16, 256, 64, False, (1, 22, 23, 16, 3, 3, 64), (2400, 576, 506), id="conv2-3x3"),
    # The accumulator allows ochs <= 32 (2 x 196 = 392; 3 blocks = 588); ochs and kchs (largest) lose a block in turn,
    # ochs first, so it first fits at ochs 32 / kchs 48 (768 + 864 rows). Phase 3: kchs to 240: 15 blocks x 16 x 16 =
    # 3,840 + 2 x 9 x 240 = 4,320 = 8,160; 241 -> 16 blocks: 4,096 + 4,338 = 8,434 > 8,192.
    pytest.param(CONV4_3X3, 16, 256, 64, False, (1, 14, 14, 32, 3, 3, 240), (3840, 4320, 392), id="conv4-3x3"),
    # Weights bind: ochs and kchs lose a block in turn from 512; at ochs 112 / kchs 128 the scratchpad needs 648 +
    # 7 x 9 x 128 = 8,712; kchs -> 112 fits (567 + 7,056). Phase 3: ochs 113 = 8 blocks (8,631) no; kchs to 119 (648 +
    # 7,497 = 8,145; 120 -> 8,208).
    pytest.param(CONV5_3X3, 16, 256, 64, False, (1, 7, 7, 112, 3, 3, 119), (648, 7497, 343), id="conv5-3x3"),
    # ochs 256 falls alone by blocks to 64, then ties kchs 64 (ochs first) -> 48 / 48; then as conv2-3x3 down to 22 x
    # 23 x 16 x 16; kchs regrows to 64: 4 x 22 x 23 = 2,024 + 64 rows.
    pytest.param(CONV2_EXPAND, 16, 256, 64, False, (1, 22, 23, 16, 1, 1, 64), (2024, 64, 506), id="1x1-expand"),
    # kchs 1024 falls alone by blocks to 256, then ochs and kchs alternate to ochs 32 / kchs 48 (acc needs ochs <= 32).
    # Phase 3 grows kchs to 568, filling the scratchpad half exactly: 36 blocks x 196 = 7,056 + 2 x 568 = 8,192.
    pytest.param(CONV4_REDUCE, 16, 256, 64, False, (1, 14, 14, 32, 1, 1, 568), (7056, 1136, 392), id="1x1-reduce"),
    # The dosa branch (no downsample): ochs 512 falls alone to 240, then kchs and ochs alternate to 16 / 16, rows/cols
    # 28 -> 22 x 23. The input counts stride 2: 44 x 46 = 2,024 rows per block, so kchs regrows only to 64 (8,096 +
    # 64 = 8,160; 65 -> 5 blocks = 10,120).
    pytest.param(CONV3_DOWNSAMPLE, 16, 256, 64, False, (1, 22, 23, 16, 1, 1, 64), (8096, 64, 506), id="1x1/2-dosa"),
    # Upstream: downsample halves the counted input to 22 x 23 = 506 rows per block: same shrink, but kchs regrows to
    # 240 (15 x 506 = 7,590 + 240 = 7,830; 241 -> 16 blocks = 8,096 + 241 = 8,337).
    pytest.param(CONV3_DOWNSAMPLE, 16, 256, 64, True, (1, 22, 23, 16, 1, 1, 240), (7590, 240, 506),
                 id="1x1/2-upstream-downsample"),
    # ochs/kchs alternate 128 -> 16, rows/cols 28 -> 22 x 23; input (orows*2 + 2) x (ocols*2 + 2) = 46 x 48 = 2,208
    # rows per block: kchs regrows to 48 (6,624 + 432 = 7,056; 49 -> 4 blocks = 8,832 + 441).
    pytest.param(CONV3_3X3_STRIDE2, 16, 256, 64, False, (1, 22, 23, 16, 3, 3, 48), (6624, 432, 506), id="3x3/2"),
    # The measured SoC's 4 MiB / 4 MiB (131,072 / 32,768 rows): only the accumulator binds, 4 blocks x 112^2 = 50,176;
    # rows/cols fall in turn to 90 x 91 (4 x 8,190 = 32,760); 91 x 91 -> 33,124, 90 x 92 -> 33,120.
    pytest.param(CONV1, 16, 4096, 4096, False, (1, 90, 91, 64, 7, 7, 3), (34968, 588, 32760), id="conv1-4MiB"),
    # The whole layer fits the halves (13,456 + 2,304 spad, 12,544 acc rows): no shrink, nothing to grow.
    pytest.param(CONV2_3X3, 16, 4096, 4096, False, (1, 56, 56, 64, 3, 3, 64), (13456, 2304, 12544), id="conv2-4MiB"),
    # Batch 4 on 64 / 16 KiB (2,048 / 128 rows): as conv2-3x3 down to 16 x 16 x 16 x 16; ocols (<= DIM) is then kept:
    # orows -> 15, ochs and kchs 16 -> 1, orows -> 4; batches 4 ties orows 4 and goes first: b 3, orows 3, b 2: 2 x 3 x
    # 16 = 96. Phase 2: ocols 21 (126). Phase 3: ochs to 16, kchs to 64: 4 blocks x 2 x 5 x 23 = 920 + 576.
    pytest.param(replace(CONV2_3X3, batch=4), 16, 64, 16, False, (2, 3, 21, 16, 3, 3, 64), (920, 576, 126),
                 id="conv2-batch4-64k-16k"),
    # 8x8 on 64 / 16 KiB (4,096 / 256 rows of 8): blocks of 8: ochs 64 -> 56 -> ... -> 8 as rows/cols meet it, fits at
    # 15 x 15 x 8 (225). Phase 2: ocols 17 (255). Phase 3: orows 16 -> 272; ochs 9 -> 2 blocks.
    pytest.param(CONV1, 8, 64, 16, False, (1, 15, 17, 8, 7, 7, 3), (1440, 147, 255), id="conv1-8x8-64k-16k"),
    # 32x32 on 1 MiB / 256 KiB (16,384 / 1,024 rows of 32): ochs and kchs lose 32 in turn; at 192 / 192 the acc needs
    # 6 x 196 = 1,176; ochs 160 fits (980). Phase 3: kchs back to 256 (2,048 + 5 x 9 x 256); ochs 161 -> 1,176.
    pytest.param(CONV4_3X3, 32, 1024, 256, False, (1, 14, 14, 160, 3, 3, 256), (2048, 11520, 980),
                 id="conv4-32x32-1M-256k"),
    # DOSA's 4x4 image with 4 MiB (524,288 / 131,072 rows of 4): 16 blocks x 112^2 = 200,704; rows/cols fall to 90 x 91
    # (16 x 8,190 = 131,040), the 16x16 tile again (same blocks-to-rows ratio).
    pytest.param(CONV1, 4, 4096, 4096, False, (1, 90, 91, 64, 7, 7, 3), (34968, 2352, 131040), id="conv1-4x4-4MiB"),
    # Tiny 8 / 2 KiB (256 / 16 rows): as conv1 down to 16 x 16 x 16, then as conv1+pool ochs -> 1 and orows alone to
    # 6; then the kernel is the largest: krows, kcols 7 -> 6, orows 6 -> 5, ... down to 2 / 2 / 2, kchs 3 -> 1 (block
    # cut, clamped), orows -> 1: 1 x 16 = 16 acc rows. Phase 3 passes: ochs +1 each pass to 16; krows and kcols to
    # 4 x 4, kchs to 3; then krows 5 needs 6 x 35 = 210 + 60 = 270 > 256, kcols 5 only 5 x 36 = 180 + 60 = 240: a 4 x 5
    # kernel tile.
    pytest.param(CONV1, 16, 8, 2, False, (1, 1, 16, 16, 4, 5, 3), (180, 60, 16), id="conv1-8k-2k"),
    # Same memories, conv2-3x3: orows falls to 3, ties krows/kcols 3 (orows first) -> 2, kernel 3 -> 2, orows -> 1
    # (the accumulator bound, not the kernel: phase 3 regrows krows, kcols to 3, ochs to 16, kchs to 16; kchs 17 ->
    # 2 blocks x 54 + 153 = 261 > 256).
    pytest.param(CONV2_3X3, 16, 8, 2, False, (1, 1, 16, 16, 3, 3, 16), (54, 144, 16), id="conv2-8k-2k"),
    # Batch 32 on 4 MiB: ochs and kchs lose a block in turn from 512; at 336 / 336 the acc needs 21 x 32 x 49 = 32,928
    # > 32,768; ochs 320 fits (31,360; spad 21 x 2,592 + 20 x 9 x 336 = 114,912). Phase 3: kchs to 382 (24 x 2,592 =
    # 62,208 + 68,760 = 130,968; 383 -> 131,148).
    pytest.param(replace(CONV5_3X3, batch=32), 16, 4096, 4096, False, (32, 7, 7, 320, 3, 3, 382), (62208, 68760, 31360),
                 id="conv5-batch32-4MiB"),
]


def tiles(layer: ConvShape, dim: int, sp_kib: int, acc_kib: int, **kwargs):
    return gemmini_conv_tiles(layer, dim, dim, "ws", 1.0, 1.0, 4.0, sp_kib * KIB, acc_kib * KIB, **kwargs)


@pytest.mark.parametrize(("layer", "dim", "sp_kib", "acc_kib", "upstream", "tile", "rows"), CASES)
def test_the_tile_is_the_one_gemmini_h_picks(layer: ConvShape, dim: int, sp_kib: int, acc_kib: int, upstream: bool,
                                             tile: tuple[int, ...], rows: tuple[int, int, int]) -> None:
    chosen = tiles(layer, dim, sp_kib, acc_kib, upstream_downsample=upstream)
    used = chosen.footprint
    assert astuple(chosen.tile) == tile
    assert (used.input_rows, used.weight_rows, used.acc_rows) == rows
    assert used.scratchpad_bytes == (rows[0] + rows[1]) * dim and used.accumulator_bytes == rows[2] * dim * 4


def test_the_first_layer_tile_in_pixels_and_trips() -> None:
    """conv1 on 16x16: 22 x 23 output pixels read a 50 x 52 input patch (22*2 + 6 rows: one more than the exact 49),
    and tiled_conv runs 6 x 5 spatial tiles by 4 output-channel tiles; the 3 channels take a whole 16-byte row."""
    chosen = tiles(CONV1, 16, 256, 64)
    used = chosen.footprint
    assert (used.conv_out_rows, used.conv_out_cols, used.in_rows, used.in_cols) == (22, 23, 50, 52)
    assert chosen.trips == (1, 6, 5, 4, 1, 1, 1) and not chosen.downsample
    assert (chosen.usable_scratchpad_bytes, chosen.usable_accumulator_bytes) == (128 * KIB, 32 * KIB)


def test_a_rectangular_array_blocks_input_channels_by_rows_and_output_channels_by_cols() -> None:
    """8 rows x 16 cols, 64 / 16 KiB (32,768 scratchpad bytes, 128 accumulator rows of 16 int32), 1x1 64 -> 64 at
    14 x 14: ochs loses 16s (64 -> 48 -> 32 -> 16 -> 1) and kchs 8s (64 -> 56 -> 48 -> ... -> 8), largest first, ochs
    first on ties; then orows/ocols (14 > 8 rows: not kept) in turn to 11 x 11 = 121. Phase 3: ochs to 16 (one block
    of 16 columns), kchs to 64: 8 blocks x 121 rows of 8 bytes = 7,744 + 64 rows of 16 bytes = 8,768 bytes."""
    layer = ConvShape(1, 64, 64, 14, 14, 14, 14, 1, 1)
    chosen = gemmini_conv_tiles(layer, 8, 16, "ws", 1.0, 1.0, 4.0, 64 * KIB, 16 * KIB)
    used = chosen.footprint
    assert astuple(chosen.tile) == (1, 11, 11, 16, 1, 1, 64)
    assert (used.input_rows, used.weight_rows, used.acc_rows) == (968, 64, 121)
    assert (used.scratchpad_bytes, used.accumulator_bytes) == (968 * 8 + 64 * 16, 121 * 16 * 4)


def test_downsample_needs_upstreams_conditions() -> None:
    """Upstream's downsample takes only a 1x1, stride-2, unpadded, unpooled convolution with even input dims."""
    assert tiles(CONV3_DOWNSAMPLE, 16, 256, 64, upstream_downsample=True).downsample
    odd = replace(CONV3_DOWNSAMPLE, in_h=55, in_w=55)
    assert not tiles(odd, 16, 256, 64, upstream_downsample=True).downsample
    assert not tiles(CONV3_3X3_STRIDE2, 16, 256, 64, upstream_downsample=True).downsample


@pytest.mark.parametrize(("layer", "dataflow", "sp_bytes", "acc_bytes", "message"), [
    (CONV2_3X3, "os", 256 * KIB, 64 * KIB, "weight-stationary only"),
    # Half of 64 B is less than one accumulator row of 16 int32: not even a 1-wide tile fits (tiled_conv_auto would
    # cut batches to 0 and tiled_conv would never finish).
    (CONV2_3X3, "ws", 256 * KIB, 64, "one output pixel"),
    (replace(CONV2_EXPAND, padding=1), "ws", 256 * KIB, 64 * KIB, "larger than the padding"),
    (replace(CONV2_3X3, stride=2, input_dilation=2), "ws", 256 * KIB, 64 * KIB, "needs stride 1"),
    (replace(CONV2_3X3, out_channels=0), "ws", 256 * KIB, 64 * KIB, "at least 1"),
])
def test_layers_gemmini_refuses_are_clear_errors(layer: ConvShape, dataflow: str, sp_bytes: int, acc_bytes: int,
                                                 message: str) -> None:
    with pytest.raises(TilerError, match=message):
        gemmini_conv_tiles(layer, 16, 16, dataflow, 1.0, 1.0, 4.0, sp_bytes, acc_bytes)


# Property sweep: every ResNet-50 conv shape (plus pooled, batched and dilated variants) on square and rectangular
# arrays, int8 and 16-bit operands, roomy and cramped memories.
LAYERS = [CONV1, CONV1_POOLED, CONV2_3X3, CONV4_3X3, CONV5_3X3, CONV2_EXPAND, CONV4_REDUCE, CONV3_DOWNSAMPLE,
          CONV3_3X3_STRIDE2, replace(CONV2_3X3, batch=8), replace(CONV4_3X3, kernel_dilation=2, padding=2),
          ConvShape(1, 2048, 512, 7, 7, 7, 7, 1, 1), ConvShape(2, 17, 33, 30, 30, 13, 13, 5, 5, stride=2)]
ARRAYS = [(16, 16, 1.0, 4.0), (8, 8, 1.0, 4.0), (32, 32, 1.0, 4.0), (8, 32, 1.0, 4.0), (16, 4, 2.0, 4.0)]
MEMORIES_KIB = [(256, 64), (4096, 4096), (32, 16), (64, 256)]


def _bytes_used(layer: ConvShape, tile: tuple[int, ...], rows: int, cols: int, operand_bytes: float,
                acc_bytes: float) -> tuple[float, float]:
    """The footprint written out again from gemmini.h's formulas, for the property checks."""
    batches, porows, pocols, ochs, krows, kcols, kchs = tile
    out_rows = porows * layer.pool_stride + layer.pool_size - 1
    out_cols = pocols * layer.pool_stride + layer.pool_size - 1
    in_rows = out_rows * layer.stride + layer.kernel_dilation * (krows - 1)
    in_cols = out_cols * layer.stride + layer.kernel_dilation * (kcols - 1)
    input_bytes = batches * in_rows * in_cols * math.ceil(kchs / rows) * rows * operand_bytes
    weight_bytes = krows * kcols * kchs * math.ceil(ochs / cols) * cols * operand_bytes
    return input_bytes + weight_bytes, batches * out_rows * out_cols * math.ceil(ochs / cols) * cols * acc_bytes


@pytest.mark.parametrize(("rows", "cols", "operand_bytes", "acc_bytes"), ARRAYS)
def test_the_tile_fits_is_within_the_layer_and_cannot_grow(rows: int, cols: int, operand_bytes: float,
                                                           acc_bytes: float) -> None:
    for layer, (sp_kib, acc_kib) in itertools.product(LAYERS, MEMORIES_KIB):
        chosen = gemmini_conv_tiles(layer, rows, cols, "ws", operand_bytes, operand_bytes, acc_bytes,
                                    sp_kib * KIB, acc_kib * KIB)
        tile = astuple(chosen.tile)
        whole = (layer.batch, layer.pooled_out_h, layer.pooled_out_w, layer.out_channels, layer.kernel_h,
                 layer.kernel_w, layer.in_channels)
        spad, acc = _bytes_used(layer, tile, rows, cols, operand_bytes, acc_bytes)
        assert spad <= sp_kib * KIB / 2 and acc <= acc_kib * KIB / 2
        assert (spad, acc) == (chosen.footprint.scratchpad_bytes, chosen.footprint.accumulator_bytes)
        assert all(1 <= t <= w for t, w in zip(tile, whole, strict=True))
        assert chosen.trips == tuple(math.ceil(w / t) for w, t in zip(whole, tile, strict=True))
        for i in range(7):  # phase 3 ends only when no argument can grow by one
            if tile[i] < whole[i]:
                grown = tuple(t + (j == i) for j, t in enumerate(tile))
                spad, acc = _bytes_used(layer, grown, rows, cols, operand_bytes, acc_bytes)
                assert spad > sp_kib * KIB / 2 or acc > acc_kib * KIB / 2, (layer, sp_kib, acc_kib, i)



def _stepwise_tile(layer: ConvShape, rows: int, cols: int, operand_bytes: float, acc_bytes: float, sp_bytes: int,
                   acc_bytes_total: int) -> tuple[int, ...] | None:
    """gemmini.h's `tiled_conv_auto` loops as written, one footprint per step (the tiler takes the same path in
    jumps); None when not even the 1-wide tile fits (the loops would not end)."""
    whole = [layer.batch, layer.pooled_out_h, layer.pooled_out_w, layer.out_channels, layer.kernel_h, layer.kernel_w,
             layer.in_channels]

    def fits(args: list[int]) -> bool:
        spad, acc = _bytes_used(layer, tuple(args), rows, cols, operand_bytes, acc_bytes)
        return spad <= sp_bytes / 2 and acc <= acc_bytes_total / 2

    if not fits([1] * 7):
        return None
    args = list(whole)
    while not fits(args):
        largest = max(value for i, value in enumerate(args) if not (i == 2 and value <= rows and args[1] > 1))
        index = next(i for i, value in enumerate(args) if value == largest and not (i == 2 and value <= rows
                                                                                    and args[1] > 1))
        if index in (3, 6):
            block = cols if index == 3 else rows
            args[index] = max(args[index] // block * block if args[index] % block else args[index] - block, 1)
        else:
            args[index] -= 1
    while args[2] < whole[2] and fits([*args[:2], args[2] + 1, *args[3:]]):
        args[2] += 1
    changed = True
    while changed:
        changed = False
        for i in range(7):
            if args[i] < whole[i] and fits([value + (j == i) for j, value in enumerate(args)]):
                args[i] += 1
                changed = True
    return tuple(args)


# Shapes beyond ResNet-50's: odd channel counts, large and tiny images, 5x5 and 1x1 kernels, strides 1-3, batches.
SHAPES = [*LAYERS, *(ConvShape(batch, in_ch, out_ch, size, size, (size + 2 * pad - k) // stride + 1,
                               (size + 2 * pad - k) // stride + 1, k, k, stride=stride, padding=pad)
                     for batch, in_ch, out_ch, size, k, stride, pad in itertools.product(
                         [1, 3], [3, 40, 300], [7, 96, 1000], [9, 64, 230], [1, 5], [1, 3], [0]))]


@pytest.mark.parametrize(("rows", "cols", "operand_bytes", "acc_bytes"), ARRAYS[:3])
def test_the_tile_is_the_one_the_stepwise_loops_pick(rows: int, cols: int, operand_bytes: float,
                                                      acc_bytes: float) -> None:
    for layer, (sp_kib, acc_kib) in itertools.product(SHAPES, [(8, 2), *MEMORIES_KIB]):
        expected = _stepwise_tile(layer, rows, cols, operand_bytes, acc_bytes, sp_kib * KIB, acc_kib * KIB)
        if expected is None:
            with pytest.raises(TilerError, match="one output pixel"):
                gemmini_conv_tiles(layer, rows, cols, "ws", operand_bytes, operand_bytes, acc_bytes, sp_kib * KIB,
                                   acc_kib * KIB)
            continue
        chosen = gemmini_conv_tiles(layer, rows, cols, "ws", operand_bytes, operand_bytes, acc_bytes, sp_kib * KIB,
                                    acc_kib * KIB)
        assert astuple(chosen.tile) == expected, (layer, sp_kib, acc_kib)
