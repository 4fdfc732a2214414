"""One layer on its own: a GEMM or a convolution evaluated on an accelerator, outside any model.

Why a layer API: measured cycles (FireSim, a user's chip) come per layer, so checking the model against them
(`simulator/validation.py`, `dse validate`, `dse simulate-conv`) needs one layer priced exactly as the model prices
it. Two models can price it (`pricing_model`, docs/layer_model.md):

- Gemmini's measured execution model (`simulator/mapping/gemmini_exec.py`, fit to DOSA's FireSim measurements,
  docs/firesim_fit.md) by the rule whole models share (`simulator.measured.pricing_model`): an explicit mapping (a
  Timeloop/DOSA string, run as DOSA's harness ran it, `dosa_calls`), or `mapper: gemmini` on an accelerator whose
  `pricing` is `gemmini-measured` (the call Gemmini's tiler makes, `gemmini_auto_calls`). A convolution runs as
  LoopConv runs it: input rows addressed in place, no im2col matrix. The result carries the model's breakdown and
  an error band from its residuals (`simulator/error_bands.py`).
- The analytic model otherwise (`mapper: optimal`, our search; `gemmini` on `pricing: analytic`): a GEMM is
  `gemm_cost`, as `dse simulate-gemm` runs it; a convolution the im2col GEMM the CNN workloads lower it to
  (`simulator/workload/cnn_graph.py` `conv`: M = batch·out_h·out_w, K = kernel_h·kernel_w·in_channels,
  N = out_channels, A moved as the real input map), priced through the lowering's `GemmWork`. No band: it has no
  measurement behind it.

Operands come from and go to DRAM: a lone layer has no producer that left its input in the L2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from simulator.hardware.spec import AcceleratorSpec
from simulator.lower import GemmWork, gemm_operands
from simulator.mapping import GemmCost, gemm_cost
from simulator.mapping.dosa_calls import ConvCall, MatmulCall, array_side, conv_call, matmul_call
from simulator.mapping.explicit import ExplicitMapping, parse_mapping
from simulator.mapping.gemmini_conv_tiler import ConvShape as TilerShape
from simulator.mapping.gemmini_conv_tiler import ConvTile, conv_footprint
from simulator.measured import NOT_VALIDATED, PricingModel, call_cycles, describe_call, measured_array_side
from simulator.measured import conv_call as auto_conv_call
from simulator.measured import matmul_call as auto_matmul_call
from simulator.measured import pricing_model as _rule
from simulator.measurements import ConvShape as TimeloopShape
from simulator.options import Options
from simulator.workload import Operator

LayerKind = Literal["gemm", "conv"]
Mapper = Literal["optimal", "gemmini"]


class IllegalMapping(ValueError):
    """An explicit mapping that cannot run the layer: it does not parse, its factors do not multiply to the layer's
    sizes, its spatial factors exceed the array, or its tile does not fit. Its own type so that a caller can name
    the mapping as the field at fault (`POST /api/simulate` answers 422 at `mapping`)."""


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
    """A 2-D convolution given by its output; `padding` None is `kernel // 2` per side (Gemmini's tests' choice).

    `input_h`/`input_w`: the input map's side when it is larger than the output needs (a network's real map: a
    stride can leave its last rows unread, and Gemmini's tiler is given the real side); None: what the output needs.
    """

    batch: int
    in_channels: int
    out_channels: int
    out_h: int
    out_w: int
    kernel_h: int
    kernel_w: int
    stride: int = 1
    padding: int | None = None
    input_h: int | None = None
    input_w: int | None = None

    kind: ClassVar[LayerKind] = "conv"

    def __post_init__(self) -> None:
        _positive(batch=self.batch, in_channels=self.in_channels, out_channels=self.out_channels, out_h=self.out_h,
                  out_w=self.out_w, kernel_h=self.kernel_h, kernel_w=self.kernel_w, stride=self.stride)
        if self.padding is not None and self.padding < 0:
            raise ValueError(f"padding must be >= 0, got {self.padding}")
        for name, given, needed in (("input_h", self.input_h, self.needed_h), ("input_w", self.input_w,
                                                                                self.needed_w)):
            if given is not None and not needed <= given < needed + self.stride:
                raise ValueError(f"{name} must be from {needed} to {needed + self.stride - 1} for this output, "
                                 f"kernel, stride and padding, got {given}")

    @property
    def padding_h(self) -> int:
        return self.kernel_h // 2 if self.padding is None else self.padding

    @property
    def padding_w(self) -> int:
        return self.kernel_w // 2 if self.padding is None else self.padding

    @property
    def needed_h(self) -> int:
        """Input rows the output needs: (out_h − 1)·stride + kernel_h − 2·padding (at least one)."""
        return max(1, (self.out_h - 1) * self.stride + self.kernel_h - 2 * self.padding_h)

    @property
    def needed_w(self) -> int:
        return max(1, (self.out_w - 1) * self.stride + self.kernel_w - 2 * self.padding_w)

    @property
    def in_h(self) -> int:
        """The input map's rows: `input_h`, else what the output needs."""
        return self.needed_h if self.input_h is None else self.input_h

    @property
    def in_w(self) -> int:
        return self.needed_w if self.input_w is None else self.input_w

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
class LayerBreakdown:
    """Gemmini's execution model's parts of a layer (`gemmini_exec.Breakdown`, summed over tiles before overlap)."""

    host: float  # Rocket's loop and RoCC instructions
    array: float  # the array's busy cycles
    reads: float  # the DMA reader (mvin)
    writes: float  # the DMA writer (mvout)
    memory: float  # lines fetched below the L2
    tiles: float
    bound: str  # the largest part: host, array, reads, writes or memory


@dataclass(frozen=True)
class LayerResult:
    """One layer's cost: total and compute cycles, how it was mapped, which model priced it and how far to trust it.

    `model` is `gemmini-measured` (Gemmini's execution model fit to FireSim, with `breakdown` and an error band
    `cycles_low`..`cycles_high` from its residuals) or `analytic` (the mapping search's cost model, `dram_bytes`
    and `gemm` given, no band: not validated against measurements). `band_source` says where the band comes from.
    """

    kind: LayerKind
    cycles: float
    compute_cycles: float
    dram_bytes: float | None  # None under the measured model: it times DMA traffic, it does not total DRAM bytes
    mapping: str  # the mapping priced, described (tile sizes, loop order, who chose it)
    gemm: tuple[int, int, int] | None  # the (m, k, n) the analytic model ran (a convolution's im2col GEMM)
    mapper: str  # optimal, gemmini, or explicit (a given mapping)
    model: PricingModel = "analytic"
    breakdown: LayerBreakdown | None = None
    cycles_low: float | None = None
    cycles_high: float | None = None
    band_source: str = NOT_VALIDATED
    notes: tuple[str, ...] = ()


def _positive(**sizes: int) -> None:
    bad = [f"{name}={value}" for name, value in sizes.items() if value < 1]
    if bad:
        raise ValueError(f"layer sizes must be positive integers, got {', '.join(bad)}")


def check_mapping(layer: Layer, text: str) -> ExplicitMapping:
    """Parse an explicit mapping and check that its factors multiply to the layer's sizes (a ValueError says why)."""
    mapping = parse_mapping(text)
    mapping.check_dimensions(layer.dimensions)
    return mapping


def pricing_model(hw: AcceleratorSpec, mapper: Mapper, mapping: str | None) -> PricingModel:
    """Which model prices a layer: the rule whole models share (`simulator.measured.pricing_model`)."""
    return _rule(hw.pricing, mapper, mapping)


def evaluate_layer(layer: Layer, hw: AcceleratorSpec, *, mapper: Mapper = "optimal",
                   mapping: str | None = None) -> LayerResult:
    """The layer's cost under an explicit `mapping`, else under `mapper`'s; `pricing_model` says which model. A
    mapping that cannot run the layer is an IllegalMapping; an accelerator the measured model cannot price, a
    ValueError."""
    if pricing_model(hw, mapper, mapping) == "gemmini-measured":
        side = measured_array_side(hw, explicit=mapping is not None)
        if mapping is not None:
            try:
                call, notes = explicit_call(layer, check_mapping(layer, mapping), hw, side)
            except ValueError as error:
                raise IllegalMapping(str(error)) from error
            how = f"explicit {parse_mapping(mapping).to_string()}"
        else:
            call, notes = auto_call(layer, hw, side), ()
            how = "Gemmini tiler (tiled_conv_auto)" if isinstance(call, ConvCall) else (
                "Gemmini tiler (tiled_matmul_auto)")
        return _measured(layer, call, side, f"{how}: {describe_call(call)}",
                         "explicit" if mapping is not None else mapper, notes)
    cost = _gemm_cost(layer, hw, mapper) if isinstance(layer, GemmLayer) else _convolution_cost(layer, hw, mapper)
    return LayerResult(kind=layer.kind, cycles=cost.cycles, compute_cycles=cost.compute_cycles,
                       dram_bytes=cost.dram_bytes, mapping=cost.mapping.describe(), gemm=(cost.m, cost.k, cost.n),
                       mapper=mapper)


# ---------------------------------------------------------------------------------------------------- measured model


def _timeloop_shape(layer: Layer) -> TimeloopShape:
    """The layer in Timeloop's letters, as DOSA's calls take it (a GEMM is a 1x1 "convolution": P = m, C = k, K = n)."""
    if isinstance(layer, GemmLayer):
        return TimeloopShape(1, layer.k, layer.n, layer.m, 1, 1, 1, 1, 1)
    return TimeloopShape(layer.batch, layer.in_channels, layer.out_channels, layer.out_w, layer.out_h,
                         layer.kernel_w, layer.kernel_h, layer.stride, layer.stride)


def explicit_call(layer: Layer, mapping: ExplicitMapping, hw: AcceleratorSpec,
                  side: int) -> tuple[ConvCall | MatmulCall, tuple[str, ...]]:
    """The `tiled_conv` / `tiled_matmul` call an explicit mapping makes, as DOSA's harness made it
    (`dosa_calls`): Q = R = S = 1 with one image runs as `tiled_matmul`; a convolution runs on the square image
    of side P·stride with padding R // 2. A ValueError when the mapping's spatial factors exceed the array or its
    tile does not fit the memories."""
    needed = array_side(mapping)
    if needed > side:
        raise ValueError(f"the mapping's spatial factors need a {needed}x{needed} array; this accelerator has "
                         f"{side}x{side}")
    shape = _timeloop_shape(layer)
    notes: tuple[str, ...] = ()
    if shape.runs_as_matmul and shape.batch == 1:
        call: ConvCall | MatmulCall = matmul_call(shape, mapping, side)
    else:
        call = conv_call(shape, mapping)
        if isinstance(layer, ConvLayer) and (layer.out_h, layer.kernel_h, layer.padding_h, layer.padding_w) != (
                call.out_dim, call.kernel_dim, call.padding, call.padding):
            notes = (f"run as DOSA's harness ran explicit mappings: a square {call.out_dim}x{call.out_dim} output "
                     f"from a {call.in_dim}x{call.in_dim} input, kernel {call.kernel_dim}x{call.kernel_dim}, "
                     f"padding {call.padding} (tiled_conv takes square images)",)
    _check_fits(call, side, hw)
    return call, notes


def _check_fits(call: ConvCall | MatmulCall, side: int, hw: AcceleratorSpec) -> None:
    """`tiled_conv` / `tiled_matmul`'s own check (gemmini.h, GEMMINI_ASSERTIONS): under WS a tile may use half the
    scratchpad and half the accumulator (double buffering)."""
    if isinstance(call, MatmulCall):
        block = side * side
        scratchpad = (call.tile_i * call.tile_k + call.tile_k * call.tile_j) * block
        accumulator = call.tile_i * call.tile_j * block * 4
    else:
        shape = TilerShape(call.batch, call.in_channels, call.out_channels, call.in_dim, call.in_dim, call.out_dim,
                           call.out_dim, call.kernel_dim, call.kernel_dim, call.stride, call.padding)
        tile = ConvTile(call.batches, call.orows, call.ocols, call.ochs, call.krows, call.kcols, call.kchs)
        used = conv_footprint(shape, tile, side, side, 1, 1, 4)
        scratchpad, accumulator = used.scratchpad_bytes, used.accumulator_bytes
    for memory, needs, kib in (("scratchpad", scratchpad, hw.scratchpad_kib),
                               ("accumulator", accumulator, hw.accumulator_kib)):
        if needs > kib * 1024 / 2:
            raise ValueError(f"the mapping's tile does not fit the {memory}: it needs {needs / 1024:g} KiB, "
                             f"half of the {kib:g} KiB {memory} is usable (double-buffered)")


def auto_call(layer: Layer, hw: AcceleratorSpec, side: int) -> ConvCall | MatmulCall:
    """The call Gemmini's own tiler makes: `tiled_matmul_auto` for a GEMM, `tiled_conv_auto` for a convolution
    (`simulator.measured`'s, which whole models use too)."""
    scratchpad, accumulator = hw.scratchpad_bytes, hw.accumulator_bytes
    if isinstance(layer, GemmLayer):
        return auto_matmul_call(layer.m, layer.k, layer.n, side, scratchpad, accumulator)
    if (layer.out_h, layer.kernel_h, layer.padding_h, layer.in_h) != (layer.out_w, layer.kernel_w, layer.padding_w,
                                                                      layer.in_w):
        raise ValueError(f"{layer.describe()}: Gemmini's tiled_conv takes square images and kernels (one in_dim, "
                         "out_dim, kernel_dim and padding); this layer is not square")
    shape = TilerShape(layer.batch, layer.in_channels, layer.out_channels, layer.in_h, layer.in_w, layer.out_h,
                       layer.out_w, layer.kernel_h, layer.kernel_w, layer.stride, layer.padding_h)
    return auto_conv_call(shape, side, scratchpad, accumulator)


def _measured(layer: Layer, call: ConvCall | MatmulCall, side: int, mapping: str, mapper: str,
              notes: tuple[str, ...]) -> LayerResult:
    """Price one call with Gemmini's execution model and attach its error band."""
    priced = call_cycles(call, side)
    breakdown = LayerBreakdown(host=priced.host, array=priced.array, reads=priced.reads, writes=priced.writes,
                               memory=priced.memory, tiles=priced.tiles, bound=priced.bound)
    if priced.wrapped_tiles > 0:
        notes = (*notes, f"{priced.wrapped_tiles:g} tile(s) have a negative input window (padding larger than the "
                         "window): LoopConv's 16-bit loop bound wraps and its input loader moves 2^16 - x rows, "
                         "which the model prices; the measured rows like this ran 30-190x slower than the same "
                         "tiles unwrapped")
    return LayerResult(kind=layer.kind, cycles=priced.cycles, compute_cycles=breakdown.array, dram_bytes=None,
                       mapping=mapping, gemm=None, mapper=mapper, model="gemmini-measured", breakdown=breakdown,
                       cycles_low=priced.low, cycles_high=priced.high, band_source=priced.band_source, notes=notes)


# ---------------------------------------------------------------------------------------------------- analytic model


def _gemm_cost(layer: GemmLayer, hw: AcceleratorSpec, mapper: Mapper) -> GemmCost:
    return gemm_cost(layer.m, layer.k, layer.n, hw, mapper=mapper)


def _convolution_cost(layer: ConvLayer, hw: AcceleratorSpec, mapper: Mapper) -> GemmCost:
    """A convolution as the analytic model runs it: the im2col GEMM of the CNN workloads, priced as they price it."""
    m = layer.batch * layer.out_h * layer.out_w
    k = layer.kernel_h * layer.kernel_w * layer.in_channels
    n = layer.out_channels
    input_map = layer.batch * layer.in_channels * layer.in_h * layer.in_w
    op = Operator(name="conv", kind="gemm", op_class="convolution", phase="forward", layer_count=1, m=m, k=k, n=n,
                  instances=1, b_is_weight=True, flops=2 * m * k * n,
                  bytes_read=(input_map * hw.input_bits + k * n * hw.weight_bits) // 8,
                  bytes_written=m * n * hw.input_bits // 8, elements=m * n, a_elements=min(m * k, input_map))
    options = Options(mapper=mapper)
    run_k, a_bits, b_bits = gemm_operands(op, hw, options, hw.weight_bits, hw.input_bits)
    work = GemmWork(op, run_k, a_bits, b_bits, hw.input_bits, a_source="dram", b_source="dram", c_dest="dram")
    return work.cost(hw, options)
