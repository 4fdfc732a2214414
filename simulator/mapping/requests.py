"""How many DMA requests a tile's rows cost: Gemmini's DMA counts requests, not bytes, against its in-flight limit.

From ucb-bar/gemmini (read, not copied):
- LoopMatmul.scala: a tile moves in `mvin`/`mvout` commands of at most `max_block_len` array blocks side by side
  (`max_block_len = dma_maxbytes / block row bytes`, at least one block), so a tile row is cut into chunks of that
  many blocks' row bytes, each a separate DMA request of `cols` elements.
- LoadController.scala: one DMA request per row of a command; rows are never merged, even when contiguous in memory
  ("TODO when we request data from multiple rows which are actually contiguous ... merge them").
- DMA.scala `StreamReaderCore` (and `StreamWriter` alike): each request is cut into TileLink packets of a
  power-of-two size up to `dma_maxbytes`, aligned to that size, picking the size that moves the most bytes. Such a
  packet never crosses a `dma_maxbytes` boundary and always reaches the next one (or the end), so a chunk costs one
  packet per `dma_maxbytes`-aligned line it touches. Each packet holds one of the `max_in_flight_mem_reqs` slots
  (XactTracker) for its whole round trip.

So a tile whose rows are narrow or start off a line boundary moves fewer useful bytes per slot: its transfers are
bound by packets x latency / slots, not bytes x latency / (slots x request size). `request_factor` is that ratio,
packets x request bytes / useful bytes (1 when every packet is full), for one pass over a row-major operand.
Assumed: the matrix starts on a request boundary (gemmini-rocc-tests aligns rows to a block; a worse start only
adds packets).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np


def _packets(offsets: np.ndarray, width: int, chunk: int, line: int) -> np.ndarray:
    """Packets for one tile row `width` bytes wide starting at each of `offsets` (bytes into a line), cut into
    `chunk`-byte requests: the lines each chunk touches."""
    if chunk % line == 0:  # every chunk starts at the row's offset within a line
        full, rest = divmod(width, chunk)
        packets = full * -(-(offsets + chunk) // line)
        return packets + (-(-(offsets + rest) // line) if rest else 0)
    packets, start = np.zeros_like(offsets), 0
    while start < width:
        length = min(chunk, width - start)
        packets += -(-((offsets + start) % line + length) // line)
        start += length
    return packets


class Factors(NamedTuple):
    """Per byte of one pass, in full packets' worth: every packet (`packets`), and those whose line the tile to the
    left along the row already fetched (`neighbour_hits`: with an L2 they hit it instead of waiting on DRAM)."""

    packets: float
    neighbour_hits: float


@lru_cache(maxsize=65_536)
def request_factor(tile_bytes: float, row_bytes: float, block_bytes: float, request_bytes: int) -> Factors:
    """Packets x `request_bytes` / bytes moved, for one pass over a row-major operand whose rows are `row_bytes`
    long (also the row pitch), fetched in tiles `tile_bytes` wide along them; `block_bytes` is one array block's
    row (what a command moves side by side, up to a request). Exact over every tile and row offset modulo a line.
    A tile row that starts inside a line shares that line with its left neighbour (fetched one tile earlier)."""
    line = request_bytes
    row, tile, block = math.ceil(row_bytes), math.ceil(min(tile_bytes, row_bytes)), math.ceil(block_bytes)
    chunk = block if block >= line else (line // block) * block
    tiles = -(-row // tile)
    last = row - (tiles - 1) * tile
    row_starts = (np.arange(line // math.gcd(row, line)) * row) % line  # one period of the rows' offsets
    period = line // math.gcd(tile, line)  # tile j starts at j * tile: its offset repeats every `period` tiles
    first = np.arange(min(tiles - 1, period))
    counts = (tiles - 1 - first + period - 1) // period  # full tiles in each residue class
    full = (row_starts[:, None] + first[None, :] * tile) % line
    last_start = (row_starts + (tiles - 1) * tile) % line
    packets = (_packets(full, tile, chunk, line) * counts).sum(axis=1) + _packets(last_start, last, chunk, line)
    inside = (full != 0) * (counts - (first == 0))  # tiles after the row's first that start inside a line
    hits = inside.sum(axis=1) + ((last_start != 0) & (tiles > 1))
    scale = line / row
    return Factors(float(packets.mean()) * scale, float(hits.mean()) * scale)

