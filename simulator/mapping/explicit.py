"""Explicit mappings in Timeloop's compact notation, the form DOSA's FireSim measurements give them in.

`L3[WIO] K8 Q28 - L2[WI] N1 K4X - L1[O] K2 S7 R7 Q4 P7 C3X - L0[W] P16` maps one convolution (Timeloop's
`cnn-layer`: N batch, C input channels, K output channels, P/Q output width/height, R/S kernel width/height) onto
Gemmini's four storage levels, outermost first: L3 DRAM, L2 scratchpad, L1 accumulator, L0 registers (DOSA
`dataset/hw/gemmini/gemmini_config.py`, `MEM_LVLS`). The bracket lists the tensors the level keeps (W weights,
I inputs, O outputs). A factor is a dimension letter and a loop bound; a trailing `X` (or `Y`) marks a spatial factor,
spread over the array's columns (rows) instead of iterated.

Order is Timeloop's: `Nest::PrintCompact` (NVlabs/timeloop `src/mapping/nest.cpp`) prints the loop nest from the
outermost loop in, so a level's temporal factors are written outer to inner, and its spatial factors, which sit
below its temporal loops in Timeloop's nest, after them. DOSA reads it so (`dataset/common/mapping_utils.py`
`process_mapping`: the first factor written gets the outermost permutation rank) and writes it so
(`dataset/hw/hardware_config.py` `parse_mapping`: Timeloop's permutation, innermost first, reversed).

Bound-1 factors are kept (Timeloop prints `N1` for a level without loops), so DOSA's strings round-trip exactly.
Canonical form (`to_string`): single spaces, ` - ` between levels, a level's temporal factors then its spatial ones.
Not accepted: Timeloop's residual bound (`P7;3`, an imperfect factorization), which DOSA's data never uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

DIMENSIONS = ("N", "C", "K", "P", "Q", "R", "S")
TENSORS = ("W", "I", "O")
# Storage level index (Timeloop's L<i>, 0 innermost) -> Gemmini's memory at that level.
GEMMINI_LEVELS = ("registers", "accumulator", "scratchpad", "DRAM")

_HEADER = re.compile(r"L(\d+)\[([A-Za-z]*)\]")
_LEVEL_SEPARATOR = re.compile(r"\s+-\s+")
_FACTOR = re.compile(r"([NCKPQRS])([1-9][0-9]*)([XY]?)")


@dataclass(frozen=True)
class Factor:
    """One loop: `bound` iterations of `dimension`, in time, or in space along the array's `axis` (X or Y)."""

    dimension: str
    bound: int
    axis: str | None = None

    @property
    def spatial(self) -> bool:
        return self.axis is not None

    def to_string(self) -> str:
        return f"{self.dimension}{self.bound}{self.axis or ''}"


@dataclass(frozen=True)
class MappingLevel:
    """One storage level's block of the loop nest: what it keeps, its loops outer to inner, its spatial fan-out."""

    index: int
    kept: tuple[str, ...]
    temporal: tuple[Factor, ...]
    spatial: tuple[Factor, ...]

    @property
    def name(self) -> str:
        return GEMMINI_LEVELS[self.index]

    def product(self, dimension: str) -> int:
        """This level's temporal and spatial bounds of `dimension`, multiplied."""
        return math.prod(f.bound for f in (*self.temporal, *self.spatial) if f.dimension == dimension)

    def to_string(self) -> str:
        words = [f"L{self.index}[{''.join(self.kept)}]", *(f.to_string() for f in (*self.temporal, *self.spatial))]
        return " ".join(words)


@dataclass(frozen=True)
class ExplicitMapping:
    """A whole mapping: Gemmini's four levels, DRAM (L3) first, as written."""

    levels: tuple[MappingLevel, ...]

    def level(self, name: str) -> MappingLevel:
        """The level of that Gemmini memory ("DRAM", "scratchpad", "accumulator", "registers")."""
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(f"no level named {name!r}; levels are {', '.join(lv.name for lv in self.levels)}")

    def products(self) -> dict[str, int]:
        """Every dimension's bounds over all levels, temporal and spatial, multiplied (1 where it has none)."""
        return {d: math.prod(level.product(d) for level in self.levels) for d in DIMENSIONS}

    def check_dimensions(self, dimensions: Mapping[str, int]) -> None:
        """Raise ValueError unless each dimension's factors multiply to its size (a size not given is 1)."""
        unknown = sorted(set(dimensions) - set(DIMENSIONS))
        if unknown:
            raise ValueError(f"unknown dimension(s) {', '.join(unknown)}; dimensions are {', '.join(DIMENSIONS)}")
        products = self.products()
        wrong = [
            f"{d}: the factors multiply to {products[d]}, the layer's {d} is {dimensions.get(d, 1)}"
            for d in DIMENSIONS
            if products[d] != dimensions.get(d, 1)
        ]
        if wrong:
            raise ValueError(f"mapping {self.to_string()!r} does not tile the layer: " + "; ".join(wrong))

    def to_string(self) -> str:
        return " - ".join(level.to_string() for level in self.levels)


def parse_mapping(text: str) -> ExplicitMapping:
    """Parse a Timeloop/DOSA compact mapping string; a malformed one is a ValueError naming the offending token."""
    if not text.strip():
        raise ValueError("empty mapping: expected e.g. 'L3[WIO] K8 - L2[WI] N1 K4X - L1[O] C3X - L0[W] P16'")
    blocks = _LEVEL_SEPARATOR.split(text.strip())
    if len(blocks) != len(GEMMINI_LEVELS):
        raise ValueError(
            f"mapping {text!r} has {len(blocks)} level(s) separated by ' - '; Gemmini's has {len(GEMMINI_LEVELS)}: "
            "L3 (DRAM) - L2 (scratchpad) - L1 (accumulator) - L0 (registers)"
        )
    levels = tuple(
        _parse_level(block, expected_index=len(GEMMINI_LEVELS) - 1 - position)
        for position, block in enumerate(blocks)
    )
    return ExplicitMapping(levels=levels)


def _parse_level(block: str, expected_index: int) -> MappingLevel:
    words = block.split()
    if not words:
        raise ValueError(f"level L{expected_index} is empty: expected 'L{expected_index}[...]' and its factors")
    header = _HEADER.fullmatch(words[0])
    if header is None:
        raise ValueError(f"expected a level header like 'L{expected_index}[WI]', got {words[0]!r}")
    if int(header.group(1)) != expected_index:
        raise ValueError(
            f"level {words[0]!r} is out of place: levels run L3, L2, L1, L0 (DRAM, scratchpad, accumulator, "
            f"registers), and L{expected_index} belongs here"
        )
    kept = _parse_kept(words[0], header.group(2))
    factors = tuple(_parse_factor(word, words[0]) for word in words[1:])
    temporal = tuple(f for f in factors if not f.spatial)
    spatial = tuple(f for f in factors if f.spatial)
    _reject_repeats(words[0], temporal)
    _reject_repeats(words[0], spatial)
    return MappingLevel(index=expected_index, kept=kept, temporal=temporal, spatial=spatial)


def _parse_kept(header: str, letters: str) -> tuple[str, ...]:
    for letter in letters:
        if letter not in TENSORS:
            raise ValueError(f"level {header!r} keeps an unknown tensor {letter!r}: tensors are W, I, O")
    if len(set(letters)) != len(letters):
        raise ValueError(f"level {header!r} names a tensor twice")
    return tuple(letters)


def _parse_factor(word: str, header: str) -> Factor:
    if ";" in word:
        raise ValueError(
            f"factor {word!r} in level {header!r} has a residual bound (Timeloop's imperfect factorization), "
            "which is not supported"
        )
    match = _FACTOR.fullmatch(word)
    if match is None:
        raise ValueError(
            f"bad factor {word!r} in level {header!r}: expected a dimension letter (N, C, K, P, Q, R, S), "
            "a positive integer, and X or Y for a spatial factor, e.g. 'K8' or 'C16X'"
        )
    return Factor(dimension=match.group(1), bound=int(match.group(2)), axis=match.group(3) or None)


def _reject_repeats(header: str, factors: tuple[Factor, ...]) -> None:
    seen: set[tuple[str, str | None]] = set()
    for factor in factors:
        key = (factor.dimension, factor.axis)
        if key in seen:
            kind = f"spatial ({factor.axis})" if factor.spatial else "temporal"
            raise ValueError(f"level {header!r} has two {kind} factors of {factor.dimension}: {factor.to_string()!r}")
        seen.add(key)
