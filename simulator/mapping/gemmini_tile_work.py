"""What each tile of a Gemmini `tiled_conv` / `tiled_matmul` call asks of the hardware: commands, DMA requests,
TileLink packets and bus beats, array cycles — counted, not timed (timing: `simulator.mapping.gemmini_exec`).

Tiles are grouped into classes of identical work (interior, edge and partial tiles; first and last reduction
chunks), one row of `TileWork` per class with its multiplicity, so a call costs a few dozen rows, not one per tile.
Sources (docs/gemmini_conv_path.md §3–§5): the DRAM loop of gemmini-rocc-tests `dosa` `include/gemmini.h`
`tiled_conv` / `tiled_matmul_outer`; per tile the units of gemmini-dosa `LoopConv.scala` / `LoopMatmul.scala`:

- conv, per tile: input `batches·loaded_rows·loaded_cols` pixels (padding rows/cols are zero-filled without
  traffic), one DMA request per pixel and 64-byte channel chunk (`max_block_len·N` = 64 B for N ≤ 64); weights
  `krows·kcols·kchs` rows, one request per 64-byte chunk of output channels; output (last reduction chunk only)
  one write request per pixel and N-channel block; zero-fill of the accumulator (first reduction chunk only, no
  traffic) one row per pixel and `max_block_len_acc·N`-column block;
- matmul, per tile of I x J x K blocks: A `I·N` rows in chunks of up to `64/N` blocks, B `K·N` rows likewise, C
  (last k) `I·N` rows in chunks of `64/N` blocks, zero-fill (first k) `I·N` rows per `16/N`-block chunk;
- the array: per weight block (one N x N slice of weights, preloaded once), one compute per N output pixels
  (conv: per output row and N-column chunk), each streaming I ≤ N rows;
- packets: a request is cut into naturally aligned 16/32/64-byte TileLink transactions, at each step the size that
  moves the most bytes (gemmini-dosa `DMA.scala` `read_packets`/`write_packets`); beats = bytes / 16 (128-bit bus).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np

from simulator.mapping.dosa_calls import ConvCall, MatmulCall

DMA_MAX_BYTES = 64  # gemmini-dosa Configs.scala defaultConfig `dma_maxbytes`
BEAT_BYTES = 16  # `dma_buswidth = 128`
PACKET_SIZES = (16, 32, 64)  # DMA.scala: powers of two from the beat to dma_maxbytes
ACC_BLOCK_BYTES = 16  # `max_block_len_acc = max(1, 16 / N)` blocks (LoopConv.scala l. 1170)

OPERANDS = ("in", "w", "out")  # conv input / matmul A, conv weights / matmul B, the output (written)
TRAFFIC = ("requests", "packets", "beats", "lines")
COLUMNS = ("mult", "array_cycles", "wblocks", "rows_per_wblock", "computes_per_wblock",
           *(f"{operand}_{what}" for operand in OPERANDS for what in TRAFFIC), "zero_rows", "pages", "wrapped",
           *(f"{operand}_commands" for operand in OPERANDS))


@dataclass(frozen=True)
class TileWork:
    """Per tile class (one array element each): `mult` tiles alike; the rest is one tile's work."""

    row: np.ndarray  # which call the class belongs to
    side: np.ndarray  # that call's array side N
    mult: np.ndarray
    array_cycles: np.ndarray  # cycles the array is busy (ExecuteController `total_rows` per compute)
    wblocks: np.ndarray  # weight blocks preloaded into the array
    rows_per_wblock: np.ndarray  # rows streamed through the array per weight block
    computes_per_wblock: np.ndarray  # compute commands per weight block
    in_requests: np.ndarray  # DMA requests (one per row chunk)
    in_packets: np.ndarray  # TileLink transactions
    in_beats: np.ndarray  # 16-byte bus beats
    in_lines: np.ndarray  # distinct 64-byte lines touched (what an L2 miss fetches)
    w_requests: np.ndarray
    w_packets: np.ndarray
    w_beats: np.ndarray
    w_lines: np.ndarray
    out_requests: np.ndarray
    out_packets: np.ndarray
    out_beats: np.ndarray
    out_lines: np.ndarray
    zero_rows: np.ndarray  # accumulator rows zero-filled (no traffic)
    pages: np.ndarray  # 4 KiB pages the tile's three DRAM regions span (the DMA's TLB holds 4)
    wrapped: np.ndarray  # 1 when the padding exceeds the tile's input window (a negative count reaches LoopConv)
    in_commands: np.ndarray  # mvin commands (each at most N rows, one DMACommandTracker entry until all returned)
    w_commands: np.ndarray
    out_commands: np.ndarray  # mvout commands (the StoreController's tracker likewise)


@cache
def _one_request(address: int, length: int) -> tuple[int, int]:
    """(packets, beats) of one DMA request at `address` (mod 64) of `length` bytes (`read_packets`)."""
    packets = beats = 0
    while length > 0:
        cover, size = max(((min(s - address % s, length), s) for s in PACKET_SIZES), key=lambda cs: (cs[0], -cs[1]))
        address, length = (address + cover) % DMA_MAX_BYTES, length - cover
        packets, beats = packets + 1, beats + size // BEAT_BYTES
    return packets, beats


@cache
def request_cost(pitch: int, start: int, length: int) -> tuple[float, float]:
    """Mean (packets, beats) of a request of `length` bytes starting `start` bytes into rows `pitch` apart."""
    period = DMA_MAX_BYTES // math.gcd(pitch, DMA_MAX_BYTES)
    costs = [_one_request((start + i * pitch) % DMA_MAX_BYTES, length) for i in range(period)]
    return sum(c[0] for c in costs) / period, sum(c[1] for c in costs) / period


def chunked_cost(pitch: int, width: int, chunk: int, rows: float = 1.0) -> tuple[float, float, float, float]:
    """(requests, packets, beats, lines) of `rows` rows `pitch` bytes apart, each `width` bytes moved in requests
    of at most `chunk` bytes; rows closer than a line share it."""
    requests, packets, beats = 0, 0.0, 0.0
    for start in range(0, width, chunk):
        p, b = request_cost(pitch, start, min(chunk, width - start))
        requests, packets, beats = requests + 1, packets + p, beats + b
    lines = request_cost(pitch, 0, width)[0] * min(1.0, pitch / DMA_MAX_BYTES)  # a row's chunks share lines
    return rows * requests, rows * packets, rows * beats, rows * lines


_NOTHING = (0.0, 0.0, 0.0, 0.0)
PAGE_BYTES = 4096


def _pages(segments: int, length: int, pitch: int) -> float:
    """Pages spanned by `segments` runs of `length` bytes, `pitch` bytes apart."""
    if pitch <= PAGE_BYTES:
        return ((segments - 1) * pitch + length) / PAGE_BYTES + 1
    return segments * (length / PAGE_BYTES + 1)


# LoopConv.scala: `irows_unpadded = irows -& upad -& dpad` lands in a 16-bit field (small_iterator_bitwidth = 16),
# so a window smaller than its padding wraps to 2^16 - x rows (or columns), which LdInput then loads from DRAM
ITERATOR_WRAP = 1 << 16
MIN_ROWS = 4  # ExecuteController.scala: total_rows floored at 4 (WAW spacing in the accumulator)


def weight_blocks_cycles(side: int, pixels: int, repeats: int, reduction: int) -> int:
    """Array cycles of the weight blocks along a reduction of `reduction` rows (blocks of N = `side`, the last
    partial), each streaming `repeats` runs of `pixels` rows cut into computes of at most N rows. Per block each
    compute feeds max(A rows, 4) rows, the first also the block's B rows (`total_rows = max(rows_a, rows_b, 4)` in
    WS, ExecuteController.scala): counted per kind of compute and block rather than one by one."""
    full, last = divmod(pixels, side)
    streamed = repeats * (full * max(side, MIN_ROWS) + (max(last, MIN_ROWS) if last else 0))
    first = min(side, pixels)
    blocks, partial = divmod(reduction, side)
    per_block = [(blocks, side)] + ([(1, partial)] if partial else [])
    return sum(n * (streamed - max(first, MIN_ROWS) + max(first, weight_rows, MIN_ROWS))
               for n, weight_rows in per_block)


def _conv_array_cycles(side: int, batches: int, orows: int, ocols: int, ochs: int, krows: int, kcols: int,
                       kchs: int) -> int:
    """Per output-channel block and kernel position: each output row's N-column chunks over the kchs blocks."""
    return -(-ochs // side) * krows * kcols * weight_blocks_cycles(side, ocols, batches * orows, kchs)


def _matmul_array_cycles(side: int, i_rows: int, jb: int, k_rows: int) -> int:
    return jb * weight_blocks_cycles(side, i_rows, 1, k_rows)


def _tiles(limit: int, step: int) -> list[tuple[int, int]]:
    """(start, size) of each tile of a loop, the last one partial."""
    return [(start, min(step, limit - start)) for start in range(0, limit, step)]


def _window(call: ConvCall, out_tiles: list[tuple[int, int]], k_tiles: list[tuple[int, int]]) -> Counter:
    """Along rows (or columns): (outputs, kernel positions, input pixels loaded, first, last chunk) -> tiles."""
    groups: Counter = Counter()
    for out_start, outs in out_tiles:
        for k_start, ks in k_tiles:
            first = out_start * call.stride + k_start - call.padding
            span = outs * call.stride + ks - 1
            # negative when the padding exceeds the window: tiled_conv passes irows - upad - dpad < 0 to LoopConv
            loaded = span - max(0, -first) - max(0, first + span - call.in_dim)
            groups[(outs, ks, loaded, k_start == 0, k_start + ks >= call.kernel_dim)] += 1
    return groups


def conv_work(call: ConvCall, side: int) -> list[tuple[float, ...]]:
    """One tuple of `COLUMNS` per tile class of a `tiled_conv` call on an N x N array (N = `side`)."""
    rows = _window(call, _tiles(call.out_dim, call.orows), _tiles(call.kernel_dim, call.krows))
    cols = _window(call, _tiles(call.out_dim, call.ocols), _tiles(call.kernel_dim, call.kcols))
    ochs = Counter(size for _, size in _tiles(call.out_channels, call.ochs))
    kchs = Counter((size, start == 0, start + size >= call.in_channels)
                   for start, size in _tiles(call.in_channels, call.kchs))
    batches = Counter(size for _, size in _tiles(call.batch, call.batches))
    chunk = max(1, DMA_MAX_BYTES // side) * side
    acc_chunk = max(1, ACC_BLOCK_BYTES // side) * side
    out = []
    for (orows, krows, in_rows, r_first, r_last), n_rows in rows.items():
        for (ocols, kcols, in_cols, c_first, c_last), n_cols in cols.items():
            for ochs_, n_och in ochs.items():
                for (kchs_, k_first, k_last), n_kch in kchs.items():
                    for b, n_b in batches.items():
                        first, last = r_first and c_first and k_first, r_last and c_last and k_last
                        o_blocks, k_blocks = -(-ochs_ // side), -(-kchs_ // side)
                        out_pixels = b * orows * ocols
                        wrapped = min(in_rows, in_cols) < 0
                        in_rows, in_cols = in_rows % ITERATOR_WRAP, in_cols % ITERATOR_WRAP
                        out.append((
                            n_rows * n_cols * n_och * n_kch * n_b,
                            _conv_array_cycles(side, b, orows, ocols, ochs_, krows, kcols, kchs_),
                            o_blocks * krows * kcols * k_blocks, out_pixels, b * orows * -(-ocols // side),
                            *chunked_cost(call.in_channels, kchs_, chunk, b * in_rows * in_cols),
                            *chunked_cost(call.out_channels, ochs_, chunk, krows * kcols * kchs_),
                            *(chunked_cost(call.out_channels, ochs_, side, out_pixels) if last else _NOTHING),
                            out_pixels * -(-ochs_ // acc_chunk) if first else 0,
                            _pages(b * in_rows, in_cols * call.in_channels, call.in_dim * call.in_channels)
                            + _pages(krows * kcols, kchs_ * call.out_channels, call.in_channels * call.out_channels)
                            + (_pages(b * orows, ocols * call.out_channels, call.out_dim * call.out_channels)
                               if last else 0.0),
                            float(wrapped),
                            # LoopConvLdInput: a mvin per input row, N-pixel chunk and channel chunk;
                            # LoopConvLdWeight: per output-channel chunk, kernel position and N input channels;
                            # LoopConvSt: per output row, N-pixel chunk and N output channels
                            b * in_rows * -(-in_cols // side) * -(-kchs_ // chunk),
                            -(-ochs_ // chunk) * krows * kcols * k_blocks,
                            b * orows * -(-ocols // side) * o_blocks if last else 0.0,
                        ))
    return out


def _block_tiles(dim: int, tile: int, side: int) -> list[tuple[int, int, int]]:
    """(start block, blocks, rows or bytes) of each matmul tile along a dimension padded to `side`."""
    blocks = -(-dim // side)
    return [(start, size, min(size * side, dim - start * side)) for start, size in _tiles(blocks, tile)]


def matmul_work(call: MatmulCall, side: int) -> list[tuple[float, ...]]:
    """One tuple of `COLUMNS` per tile class of a `tiled_matmul` call (tiles in blocks of `side`)."""
    i_tiles = Counter((b, r) for _, b, r in _block_tiles(call.dim_i, call.tile_i, side))
    j_tiles = Counter((b, r) for _, b, r in _block_tiles(call.dim_j, call.tile_j, side))
    k_all = _block_tiles(call.dim_k, call.tile_k, side)
    k_tiles = Counter((b, r, s == 0, s + b >= k_all[-1][0] + k_all[-1][1]) for s, b, r in k_all)
    chunk = max(1, DMA_MAX_BYTES // side) * side
    acc_chunk = max(1, ACC_BLOCK_BYTES // side) * side
    out = []
    for (ib, i_rows), n_i in i_tiles.items():
        for (jb, j_bytes), n_j in j_tiles.items():
            for (kb, k_rows, first, last), n_k in k_tiles.items():
                out.append((
                    n_i * n_j * n_k, _matmul_array_cycles(side, i_rows, jb, k_rows), jb * kb, i_rows, ib,
                    *chunked_cost(call.dim_k, k_rows, chunk, i_rows),
                    *chunked_cost(call.dim_j, j_bytes, chunk, k_rows),
                    *(chunked_cost(call.dim_j, j_bytes, chunk, i_rows) if last else _NOTHING),
                    i_rows * -(-j_bytes // acc_chunk) if first else 0,
                    _pages(1, i_rows * call.dim_k, 0) + _pages(1, k_rows * call.dim_j, 0)
                    + (_pages(1, i_rows * call.dim_j, 0) if last else 0.0), 0.0,
                    # LoopMatmulLdA/LdB/StC: a command per block row (N rows) and run of up to 64 bytes of blocks
                    -(-i_rows // side) * -(-k_rows // chunk), -(-k_rows // side) * -(-j_bytes // chunk),
                    -(-i_rows // side) * -(-j_bytes // chunk) if last else 0.0,
                ))
    return out


def tile_work(calls: list[ConvCall | MatmulCall], sides: list[int]) -> TileWork:
    """The tile classes of many calls, one table (`row` says which call)."""
    rows, side_col, values = [], [], []
    for index, (call, side) in enumerate(zip(calls, sides, strict=True)):
        classes = conv_work(call, side) if isinstance(call, ConvCall) else matmul_work(call, side)
        rows += [index] * len(classes)
        side_col += [side] * len(classes)
        values += classes
    table = np.asarray(values, dtype=float).reshape(-1, len(COLUMNS))
    return TileWork(row=np.asarray(rows), side=np.asarray(side_col, dtype=float),
                    **{name: table[:, i] for i, name in enumerate(COLUMNS)})
