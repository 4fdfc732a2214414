"""Gemmini's own convolution tiler: the tile `tiled_conv_auto` picks before `tiled_conv` runs it.

Our implementation of the heuristic in ucb-bar/gemmini-rocc-tests `include/gemmini.h` (`tiled_conv_auto`, which calls
`tiled_conv_stride_auto` upstream and `tiled_conv_auto_inner` on the `dosa` branch that ran on FireSim; both search
alike), with its capacity count `tiled_conv_total_spad_rows`. Generalised from Gemmini's square DIM x DIM mesh and
int8/int32 rows to any R x C array and operand widths by counting bytes instead of rows, as `gemmini_tiler` does:

- A tile is seven arguments of `tiled_conv`, in elements (not blocks): batches, pooled output rows and columns
  (`porows`, `pocols`), output channels (`pochs`), kernel rows and columns (`krows`, `kcols`), input channels
  (`kchs`).
- Footprint: the input tile holds `orows * stride + krows_dilated - 1` rows by the same in columns (one more than the
  exact `(orows - 1) * stride + krows_dilated` when stride > 1; over the input dilation, rounded up; halved by
  `>> downsample`), one scratchpad row of R channels per pixel and channel block, so channels are padded to whole
  blocks (a 3-channel first layer takes a whole row per pixel: gemmini.h has no first-layer case here). Weights
  take one row of C output channels per (krow, kcol, input channel) and output-channel block; the output one
  accumulator row of C channels per pixel and output-channel block. Pooling is folded in first: `orows = porows *
  pool_stride + pool_size - 1`.
- Limits: half the scratchpad and half the accumulator, always (`BANK_NUM * BANK_ROWS / 2`, `ACC_ROWS / 2`: LoopConv
  double-buffers), whatever the dataflow: Gemmini runs convolutions weight-stationary only (`tiled_conv` exits on
  OS). The tile fits when its scratchpad bytes and its accumulator bytes are each at most the half.
- Phase 1, start at the whole layer and shrink until it fits: the largest argument (first index on ties) loses one,
  except that output columns are skipped while they are at most one array block (R) and output rows can still
  shrink; channels lose a whole block, R input or C output channels (down to the block boundary, never below 1).
- Phase 2: grow output columns by one while the tile fits. Phase 3: pass over the seven arguments in order, each
  grown by one if that fits (later ones see the earlier growth), until a pass grows nothing.
- Every footprint term grows with every argument, so we follow these one-by-one loops in jumps (bisection along
  phase 1's cuts, which do not depend on the memories and are cached per layer and array; in phase 2 and 3 the
  longest run of steps that all succeed at once): the same tile in ~20 footprints instead of hundreds.
- `downsample` (upstream only; the `dosa` branch hard-codes `false`): a 1x1 stride-2 unpadded unpooled
  convolution with even input dims loads every other input pixel, so its input tile is counted halved.

Not part of the choice: padding (applied per tile by `tiled_conv`), upstream's `a_reuse`/`b_reuse` in `tiled_conv`,
the fork's `spatial_ochs`/`spatial_kchs` arguments (passed, unused) and `HAS_FIRST_LAYER_OPTIMIZATIONS` (packs
pixels in `sp_tiled_conv`). `tiled_conv_downsample` is a separate entry point (one `tiled_matmul_auto` per output
row) that `tiled_conv_auto` never calls.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

Fits = Callable[[tuple[int, ...]], bool]


class TilerError(ValueError):
    """Gemmini's conv tiler has no tile: the layer is one Gemmini's library refuses, or not even a 1-wide tile fits."""


@dataclass(frozen=True, slots=True)
class ConvShape:
    """One convolution as `tiled_conv_auto` takes it (NHWC; gemmini.h's kernel is square, ours may not be).

    Pooling is fused max-pooling after the convolution (`pool_size`, `pool_stride`, `pool_padding`); 1, 1, 0 is none.
    """

    batch: int
    in_channels: int
    out_channels: int
    in_h: int
    in_w: int
    out_h: int
    out_w: int
    kernel_h: int
    kernel_w: int
    stride: int = 1
    padding: int = 0
    input_dilation: int = 1
    kernel_dilation: int = 1
    pool_size: int = 1
    pool_stride: int = 1
    pool_padding: int = 0

    @property
    def pooled(self) -> bool:
        return (self.pool_size, self.pool_stride, self.pool_padding) != (1, 1, 0)

    @property
    def pooled_out_h(self) -> int:
        return (self.out_h + 2 * self.pool_padding - self.pool_size) // self.pool_stride + 1

    @property
    def pooled_out_w(self) -> int:
        return (self.out_w + 2 * self.pool_padding - self.pool_size) // self.pool_stride + 1

    def downsamples(self) -> bool:
        """Upstream's `downsample` condition (`tiled_conv_stride_auto`)."""
        return (self.stride == 2 and self.kernel_h == self.kernel_w == 1 and self.padding == 0 and not self.pooled
                and self.in_h % 2 == 0 and self.in_w % 2 == 0)


@dataclass(frozen=True, slots=True)
class ConvTile:
    """`tiled_conv`'s tile arguments, in its order, under readable names (gemmini.h's name in each comment)."""

    batches: int  # batches
    out_rows: int  # porows: output rows after pooling
    out_cols: int  # pocols
    out_channels: int  # pochs
    kernel_rows: int  # krows
    kernel_cols: int  # kcols
    in_channels: int  # kchs


@dataclass(frozen=True, slots=True)
class ConvFootprint:
    """What one tile holds (`tiled_conv_total_spad_rows`): extents in pixels, rows of each memory, and bytes."""

    conv_out_rows: int  # output rows before pooling (orows)
    conv_out_cols: int
    in_rows: int  # input rows reserved (irows >> downsample)
    in_cols: int
    input_rows: int  # A_rows: scratchpad rows of R channels
    weight_rows: int  # B_rows: scratchpad rows of C output channels
    acc_rows: int  # C_rows: accumulator rows of C output channels
    scratchpad_bytes: float
    accumulator_bytes: float


@dataclass(frozen=True, slots=True)
class GemminiConvTiles:
    """The chosen tile, what it occupies, the halves it had to fit, and the tiles `tiled_conv` loops over.

    `trips`: tiles along batch, pooled output rows, pooled output columns, output channels, kernel rows, kernel
    columns, input channels (the last tile of each loop may be partial).
    """

    tile: ConvTile
    footprint: ConvFootprint
    usable_scratchpad_bytes: float
    usable_accumulator_bytes: float
    downsample: bool
    trips: tuple[int, ...]


def conv_footprint(layer: ConvShape, tile: ConvTile, rows: int, cols: int, a_bytes: float, b_bytes: float,
                   acc_bytes: float, downsample: bool = False) -> ConvFootprint:
    """`tiled_conv_total_spad_rows` for `tile`, counted in bytes for an R x C array (see the module's docstring)."""
    args = (tile.batches, tile.out_rows, tile.out_cols, tile.out_channels, tile.kernel_rows, tile.kernel_cols,
            tile.in_channels)
    return ConvFootprint(*_footprint(layer, args, rows, cols, a_bytes, b_bytes, acc_bytes, downsample))


def _footprint(layer: ConvShape, args: tuple[int, ...], rows: int, cols: int, a_bytes: float, b_bytes: float,
               acc_bytes: float, downsample: bool) -> tuple[int | float, ...]:
    """`conv_footprint`'s fields for the seven tile arguments as a tuple (the search asks this a hundred times)."""
    batches, porows, pocols, ochs, krows, kcols, kchs = args
    orows = porows * layer.pool_stride + layer.pool_size - 1
    ocols = pocols * layer.pool_stride + layer.pool_size - 1
    krows_dilated = krows + (layer.kernel_dilation - 1) * (krows - 1)
    kcols_dilated = kcols + (layer.kernel_dilation - 1) * (kcols - 1)
    # one more input row than needed when stride > 1 ("- 2 * padding" is commented out in gemmini.h: none is taken off)
    irows = _ceil_div(orows * layer.stride + krows_dilated - 1, layer.input_dilation) >> downsample
    icols = _ceil_div(ocols * layer.stride + kcols_dilated - 1, layer.input_dilation) >> downsample
    in_blocks, out_blocks = _ceil_div(kchs, rows), _ceil_div(ochs, cols)
    input_rows = in_blocks * batches * irows * icols
    weight_rows = out_blocks * kcols * krows * kchs
    acc_rows = out_blocks * batches * orows * ocols
    return (orows, ocols, irows, icols, input_rows, weight_rows, acc_rows,
            input_rows * rows * a_bytes + weight_rows * cols * b_bytes, acc_rows * cols * acc_bytes)


def gemmini_conv_tiles(layer: ConvShape, rows: int, cols: int, dataflow: str, a_bytes: float, b_bytes: float,
                       acc_bytes: float, scratchpad_bytes: int, accumulator_bytes: int,
                       upstream_downsample: bool = False) -> GemminiConvTiles:
    """The tile `tiled_conv_auto` picks for `layer` (see the module's docstring).

    `upstream_downsample`: apply upstream gemmini.h's `downsample`; the `dosa` branch, which ran on FireSim, does not.
    """
    _check_supported(layer, dataflow)
    downsample = upstream_downsample and layer.downsamples()
    usable_sp, usable_acc = scratchpad_bytes / 2, accumulator_bytes / 2  # "for the sake of double-buffering"
    whole = (layer.batch, layer.pooled_out_h, layer.pooled_out_w, layer.out_channels, layer.kernel_h, layer.kernel_w,
             layer.in_channels)

    def fits(args: tuple[int, ...]) -> bool:
        used = _footprint(layer, args, rows, cols, a_bytes, b_bytes, acc_bytes, downsample)
        return used[7] <= usable_sp and used[8] <= usable_acc

    if not fits((1,) * 7):
        smallest = conv_footprint(layer, ConvTile(*(1,) * 7), rows, cols, a_bytes, b_bytes, acc_bytes, downsample)
        raise TilerError(
            f"Gemmini's conv tiler has no tile for this layer: a tile of one output pixel, one kernel position and one "
            f"channel each way needs {smallest.scratchpad_bytes / 1024:g} KiB of scratchpad (usable "
            f"{usable_sp / 1024:g} KiB, half of it) and {smallest.accumulator_bytes / 1024:g} KiB of accumulator "
            f"(usable {usable_acc / 1024:g} KiB, half of it)")
    args = _shrink(whole, fits, rows, cols)
    args = _grow(args, whole, fits)
    tile = ConvTile(*args)
    trips = tuple(_ceil_div(dim, step) for dim, step in zip(whole, args, strict=True))
    return GemminiConvTiles(tile, conv_footprint(layer, tile, rows, cols, a_bytes, b_bytes, acc_bytes, downsample),
                            usable_sp, usable_acc, downsample, trips)


_OUT_ROWS, _OUT_COLS, _OUT_CHANNELS, _IN_CHANNELS = 1, 2, 3, 6


def _check_supported(layer: ConvShape, dataflow: str) -> None:
    """The layers `tiled_conv` refuses (its GEMMINI_ASSERTIONS and its OS check), as errors rather than exits."""
    refusals = (
        (dataflow != "ws", "Gemmini runs convolutions weight-stationary only (tiled_conv exits on OS)"),
        (min(layer.kernel_h, layer.kernel_w) <= layer.padding, "the kernel must be larger than the padding"),
        (layer.input_dilation > 2, "input dilation above 2 runs only on the CPU"),
        (layer.input_dilation > 1 and layer.stride > 1, "input dilation needs stride 1"),
        (min(layer.padding, layer.pool_padding) < 0 or min(_sizes(layer)) < 1,
         "every dimension, the stride, the dilations and the pooling must be at least 1, the paddings at least 0"),
    )
    for refused, reason in refusals:
        if refused:
            raise TilerError(f"Gemmini's conv tiler cannot take this layer: {reason}")


def _sizes(layer: ConvShape) -> tuple[int, ...]:
    """Every field that must be at least 1: all but the two paddings."""
    return (layer.batch, layer.in_channels, layer.out_channels, layer.in_h, layer.in_w, layer.out_h, layer.out_w,
            layer.kernel_h, layer.kernel_w, layer.stride, layer.input_dilation, layer.kernel_dilation, layer.pool_size,
            layer.pool_stride, layer.pooled_out_h, layer.pooled_out_w)


def _shrink(whole: tuple[int, ...], fits: Fits, rows: int, cols: int) -> tuple[int, ...]:
    """Phase 1: from the whole layer, cut the largest argument until the tile fits (`fits` holds for all-ones).

    Every cut shrinks the tile, so along the cuts fits is false, then true: the first fitting tile is found by
    bisection (the same tile as testing every cut)."""
    path = cut_path(whole, rows, cols)
    return path[bisect_left(path, True, key=fits)]


@lru_cache(maxsize=512)  # a few hundred tiles each; a sweep has a few dozen (layer, array) pairs
def cut_path(whole: tuple[int, ...], rows: int, cols: int) -> tuple[tuple[int, ...], ...]:
    """Phase 1's cuts from the whole layer down to all-ones. They do not depend on the memories, so a sweep over
    memory sizes cuts a layer once (cleared by `simulator.cache_clear`)."""
    path = [whole]
    while any(value > 1 for value in path[-1]):
        path.append(_cut(path[-1], rows, cols))
    return tuple(path)


def _cut(args: tuple[int, ...], rows: int, cols: int) -> tuple[int, ...]:
    """One step of phase 1: the largest argument loses one, channels a block (gemmini.h's `tiled_conv_auto` loop)."""
    cut = list(args)
    largest, index = -1, -1
    for i, value in enumerate(cut):
        # "We avoid reducing ocols when possible to keep the spatial array fully utilized"
        keep_cols = i == _OUT_COLS and value <= rows and cut[_OUT_ROWS] > 1
        if not keep_cols and value > largest:
            largest, index = value, i
    if index in (_OUT_CHANNELS, _IN_CHANNELS):  # "no point in subtracting by just one": a whole block
        block = cols if index == _OUT_CHANNELS else rows
        smaller = cut[index] // block * block if cut[index] % block else cut[index] - block
        cut[index] = max(smaller, 1)
    else:
        cut[index] -= 1
    return tuple(cut)


def _grow(args: tuple[int, ...], whole: tuple[int, ...], fits: Fits) -> tuple[int, ...]:
    """Phases 2 and 3: output columns by one while they fit, then one-by-one passes over all seven arguments.

    A tile that grows only fits less (every footprint term is non-decreasing in every argument), so gemmini.h's
    loops are followed in jumps with the same result: phase 2 takes the most output columns that fit at once; in
    phase 3 an argument that once fails never fits again, and `t` passes in which every argument still growing grows
    by one are one jump of t (every tile tried on the way is no larger than the last); the pass after the longest such
    jump stops at least one argument, so at most seven jumps and passes follow."""
    grown = list(args)
    grown[_OUT_COLS] += _longest_jump(grown, whole, fits, [_OUT_COLS])
    growing = [i for i in range(7) if grown[i] < whole[i]]
    while growing:
        jump = _longest_jump(grown, whole, fits, growing)
        for i in growing:
            grown[i] += jump
        still = []
        for i in growing:  # one pass as gemmini.h runs it: later arguments see the earlier growth
            if grown[i] < whole[i] and fits(_plus_one(grown, i)):
                grown[i] += 1
                still.append(i)
        growing = still
    return tuple(grown)


def _longest_jump(args: list[int], whole: tuple[int, ...], fits: Fits, growing: list[int]) -> int:
    """The most t such that the tile with every argument in `growing` t larger fits and stays within the layer."""
    room = min(whole[i] - args[i] for i in growing)

    def too_far(t: int) -> bool:
        return t > room or not fits(tuple(value + t * (i in growing) for i, value in enumerate(args)))

    return _first(too_far, 1) - 1


def _first(holds: Callable[[int], bool], start: int) -> int:
    """The least n >= start for which `holds` (false, then true from there on) is true: doubling, then bisection."""
    low, step = start, 1
    while not holds(low + step - 1):
        low, step = low + step, step * 2
    high = low + step - 1  # holds(high); not holds(low - 1)
    while low < high:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _plus_one(args: list[int], index: int) -> tuple[int, ...]:
    return tuple(value + (i == index) for i, value in enumerate(args))


def _ceil_div(numerator: int, denominator: int) -> int:
    """C's `x / d + (x % d != 0)` for non-negative x."""
    return -(-numerator // denominator)
