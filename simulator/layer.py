"""One layer on its own: a GEMM or a convolution evaluated on an accelerator, outside any model.

Why a layer API: measured cycles (FireSim, a user's chip) come per layer, so checking the model against them
(`simulator/validation.py`, `dse validate`, `dse simulate-conv`) needs one layer priced exactly as the model prices
it inside a workload. A GEMM is `gemm_cost`, as `dse simulate-gemm` runs it. A convolution is, today, the im2col
GEMM the CNN workloads lower it to (`simulator/workload/cnn_graph.py` `conv`: M = batch·out_h·out_w,
K = kernel_h·kernel_w·in_channels, N = out_channels, A moved as the real input map, not the im2col matrix), priced
through the lowering's `GemmWork`. All of that sits in `_convolution_cost`, the one place a convolution is priced
here, so Gemmini's LoopConv execution can replace it behind the same API.

Operands come from and go to DRAM: a lone layer has no producer that left its input in the L2.

Explicit mappings (Timeloop/DOSA strings, `simulator/mapping/explicit.py`) are parsed and checked against the
layer (`check_mapping`; a GEMM's letters read as DOSA writes matmuls: P = m, C = k, K = n), not yet evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from simulator.hardware.spec import AcceleratorSpec
from simulator.lower import GemmWork, _operands
from simulator.mapping import GemmCost, gemm_cost
from simulator.mapping.explicit import ExplicitMapping, parse_mapping
from simulator.options import Options
from simulator.workload import Operator

LayerKind = Literal["gemm", "conv"]
Mapper = Literal["optimal", "gemmini"]


class ExplicitMappingNotEvaluated(ValueError):
    """A valid explicit mapping was given, but the model cannot price one yet."""


@dataclass(frozen=True)
class GemmLayer:
    """(m x k) . (k x n)."""

    m: int
    k: int
    n: int

    kind: ClassVar[LayerKind] = "gemm"

    def __post_init__(self) -> None:
        _positive(m=self.m, k=self.k, n=self.n)

    @property
    def dimensions(self) -> dict[str, int]:
        """Timeloop's letters as DOSA writes a matmul (a 1x1 "convolution"): P = m, C = k, K = n."""
        return {"P": self.m, "C": self.k, "K": self.n}

    def describe(self) -> str:
        return f"GEMM {self.m}x{self.k}x{self.n}"


@dataclass(frozen=True)
class ConvLayer:
    """A 2-D convolution given by its output; `padding` None is `kernel // 2` per side (Gemmini's tests' choice)."""

    batch: int
    in_channels: int
    out_channels: int
    out_h: int
    out_w: int
    kernel_h: int
    kernel_w: int
    stride: int = 1
    padding: int | None = None

    kind: ClassVar[LayerKind] = "conv"

    def __post_init__(self) -> None:
        _positive(batch=self.batch, in_channels=self.in_channels, out_channels=self.out_channels, out_h=self.out_h,
                  out_w=self.out_w, kernel_h=self.kernel_h, kernel_w=self.kernel_w, stride=self.stride)
        if self.padding is not None and self.padding < 0:
            raise ValueError(f"padding must be >= 0, got {self.padding}")

    @property
    def padding_h(self) -> int:
        return self.kernel_h // 2 if self.padding is None else self.padding

    @property
    def padding_w(self) -> int:
        return self.kernel_w // 2 if self.padding is None else self.padding

    @property
    def in_h(self) -> int:
        """Input rows the output needs: (out_h − 1)·stride + kernel_h − 2·padding (at least one)."""
        return max(1, (self.out_h - 1) * self.stride + self.kernel_h - 2 * self.padding_h)

    @property
    def in_w(self) -> int:
        return max(1, (self.out_w - 1) * self.stride + self.kernel_w - 2 * self.padding_w)

    @property
    def dimensions(self) -> dict[str, int]:
        """Timeloop's `cnn-layer` letters: P/Q output width/height, R/S kernel width/height."""
        return {"N": self.batch, "C": self.in_channels, "K": self.out_channels, "P": self.out_w, "Q": self.out_h,
                "R": self.kernel_w, "S": self.kernel_h}

    def describe(self) -> str:
        return (f"conv {self.batch}x{self.in_channels}->{self.out_channels} out {self.out_h}x{self.out_w} "
                f"kernel {self.kernel_h}x{self.kernel_w} stride {self.stride} "
                f"padding {self.padding_h}x{self.padding_w}")


Layer = GemmLayer | ConvLayer


@dataclass(frozen=True)
class LayerResult:
    """One layer's cost: total and compute cycles, DRAM bytes, how it was mapped, and what ran."""

    kind: LayerKind
    cycles: float
    compute_cycles: float
    dram_bytes: float
    mapping: str  # the chosen mapping, described (tile sizes, loop order, who chose it)
    gemm: tuple[int, int, int]  # the (m, k, n) the array ran: the GEMM itself, or a convolution's im2col GEMM
    mapper: Mapper


def _positive(**sizes: int) -> None:
    bad = [f"{name}={value}" for name, value in sizes.items() if value < 1]
    if bad:
        raise ValueError(f"layer sizes must be positive integers, got {', '.join(bad)}")


def check_mapping(layer: Layer, text: str) -> ExplicitMapping:
    """Parse an explicit mapping and check that its factors multiply to the layer's sizes (a ValueError says why)."""
    mapping = parse_mapping(text)
    mapping.check_dimensions(layer.dimensions)
    return mapping


def evaluate_layer(layer: Layer, hw: AcceleratorSpec, *, mapper: Mapper = "optimal",
                   mapping: str | None = None) -> LayerResult:
    """The layer's cost under `mapper`'s mapping; an explicit `mapping` is checked, then refused (not priced yet)."""
    if mapping is not None:
        check_mapping(layer, mapping)
        raise ExplicitMappingNotEvaluated(
            "explicit mappings are not evaluated yet: the mapping is valid for this layer, but only the mappers "
            "(optimal, gemmini) are priced today")
    cost = _gemm_cost(layer, hw, mapper) if isinstance(layer, GemmLayer) else _convolution_cost(layer, hw, mapper)
    return LayerResult(kind=layer.kind, cycles=cost.cycles, compute_cycles=cost.compute_cycles,
                       dram_bytes=cost.dram_bytes, mapping=cost.mapping.describe(), gemm=(cost.m, cost.k, cost.n),
                       mapper=mapper)


def _gemm_cost(layer: GemmLayer, hw: AcceleratorSpec, mapper: Mapper) -> GemmCost:
    return gemm_cost(layer.m, layer.k, layer.n, hw, mapper=mapper)


def _convolution_cost(layer: ConvLayer, hw: AcceleratorSpec, mapper: Mapper) -> GemmCost:
    """A convolution as the model runs it today: the im2col GEMM of the CNN workloads, priced as they price it."""
    m = layer.batch * layer.out_h * layer.out_w
    k = layer.kernel_h * layer.kernel_w * layer.in_channels
    n = layer.out_channels
    input_map = layer.batch * layer.in_channels * layer.in_h * layer.in_w
    op = Operator(name="conv", kind="gemm", op_class="convolution", phase="forward", layer_count=1, m=m, k=k, n=n,
                  instances=1, b_is_weight=True, flops=2 * m * k * n,
                  bytes_read=(input_map * hw.input_bits + k * n * hw.weight_bits) // 8,
                  bytes_written=m * n * hw.input_bits // 8, elements=m * n, a_elements=min(m * k, input_map))
    options = Options(mapper=mapper)
    run_k, a_bits, b_bits = _operands(op, hw, options, hw.weight_bits, hw.input_bits)
    work = GemmWork(op, run_k, a_bits, b_bits, hw.input_bits, a_source="dram", b_source="dram", c_dest="dram")
    return work.cost(hw, options)
