"""DOSA's explicit mappings as the `tiled_conv` / `tiled_matmul` calls that ran on FireSim.

Follows gemmini-rocc-tests (branch `dosa`) `gemmini-data-collection/layers/extract_data_csv.py` and the templates
`templates/conv_tilings.c`, `templates/matmul_tilings.c` (docs/gemmini_conv_path.md §7, docs/measured_soc.md §1):

- tiles: batches = L1[N], ocols = L1[P]·L0[P], orows = L1[Q]·L0[Q], ochs = L1[K]·L2[K spatial], kcols = L1[R],
  krows = L1[S], kchs = L1[C]·L1[C spatial];
- loop order: the DRAM level's letters reversed (its last letter innermost), then the letters of "CRSKPQN" it lacks;
- the image the conv ran on is square: in_dim = P·stride, padding = R // 2, out_dim = (in_dim + 2·padding − R) /
  stride + 1 (so P ≠ Q rows ran P×P, even kernels give out_dim = P + 1);
- Q = R = S = 1 rows ran as `tiled_matmul` with I = P, K = C, J = K, tiles converted to blocks with
  `t < 16 ? 1 : t >> 4` and `pe_dim` = the image's array side (the published template; the measured 4x4 and 8x8
  matmul rows agree with it and not with `t / N`, docs/firesim_fit.md);
- the array side N: the smallest power of two ≥ the largest spatial factor, at least 2 (`per_pe_dim`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from simulator.mapping.explicit import ExplicitMapping


class ConvShape(Protocol):
    """A layer in Timeloop's letters (`simulator.measurements.ConvShape` is one)."""

    @property
    def batch(self) -> int: ...

    @property
    def in_channels(self) -> int: ...

    @property
    def out_channels(self) -> int: ...

    @property
    def out_w(self) -> int: ...

    @property
    def kernel_w(self) -> int: ...

    @property
    def stride_w(self) -> int: ...


DEFAULT_PERM = "CRSKPQN"  # tiled_conv's default order, first letter innermost


@dataclass(frozen=True)
class ConvCall:
    """`tiled_conv`'s arguments: the (square) layer it ran, the tile, the loop order (first letter innermost)."""

    batch: int
    in_dim: int
    in_channels: int
    out_channels: int
    out_dim: int
    stride: int
    padding: int
    kernel_dim: int
    batches: int
    orows: int
    ocols: int
    ochs: int
    krows: int
    kcols: int
    kchs: int
    perm: str


@dataclass(frozen=True)
class MatmulCall:
    """`tiled_matmul`'s arguments: I x K times K x J, tiles in blocks of `pe_dim`, the loop order."""

    dim_i: int
    dim_j: int
    dim_k: int
    tile_i: int
    tile_j: int
    tile_k: int
    pe_dim: int
    perm: str


def array_side(mapping: ExplicitMapping) -> int:
    """The FireSim image's N: smallest power of two ≥ both spatial factors, at least 2."""
    spatial = max(_spatial(mapping, "scratchpad", "K"), _spatial(mapping, "accumulator", "C"))
    side = 2
    while side < spatial:
        side *= 2
    return side


def _spatial(mapping: ExplicitMapping, level: str, dimension: str) -> int:
    return next((f.bound for f in mapping.level(level).spatial if f.dimension == dimension), 1)


def loop_order(mapping: ExplicitMapping) -> str:
    """DRAM-level letters reversed, then the missing letters of the default order (first letter innermost)."""
    written = [f.dimension for f in mapping.level("DRAM").temporal]
    head = "".join(reversed(written))
    return head + "".join(letter for letter in DEFAULT_PERM if letter not in head)


def _tile(mapping: ExplicitMapping, dimension: str) -> int:
    """Product of the accumulator and register levels' factors, plus the scratchpad's spatial ones."""
    return (mapping.level("accumulator").product(dimension) * mapping.level("registers").product(dimension)
            * _spatial(mapping, "scratchpad", dimension))


def conv_call(layer: ConvShape, mapping: ExplicitMapping) -> ConvCall:
    """The `tiled_conv` call `conv_tilings.c` made for a conv row."""
    stride, kernel = layer.stride_w, layer.kernel_w
    in_dim, padding = layer.out_w * stride, kernel // 2
    return ConvCall(
        batch=layer.batch, in_dim=in_dim, in_channels=layer.in_channels, out_channels=layer.out_channels,
        out_dim=(in_dim + 2 * padding - kernel) // stride + 1, stride=stride, padding=padding, kernel_dim=kernel,
        batches=_tile(mapping, "N"), orows=_tile(mapping, "Q"), ocols=_tile(mapping, "P"), ochs=_tile(mapping, "K"),
        krows=_tile(mapping, "S"), kcols=_tile(mapping, "R"), kchs=_tile(mapping, "C"), perm=loop_order(mapping))


def matmul_call(layer: ConvShape, mapping: ExplicitMapping, side: int) -> MatmulCall:
    """The `tiled_matmul` call `matmul_tilings.c` made for a Q = R = S = 1 row (tiles `>> 4`, as published)."""
    def blocks(tile: int) -> int:
        return 1 if tile < 16 else tile >> 4

    return MatmulCall(dim_i=layer.out_w, dim_j=layer.out_channels, dim_k=layer.in_channels,
                      tile_i=blocks(_tile(mapping, "P")), tile_j=blocks(_tile(mapping, "K")),
                      tile_k=blocks(_tile(mapping, "C")), pe_dim=side, perm=loop_order(mapping))
