"""Which model prices a GEMM or a convolution, and Gemmini's measured execution model on a whole model's ops.

Why one rule for one layer (`simulator/layer.py`) and a whole model (`evaluate`, `evaluate_batch`): a layer priced
by `dse simulate-conv` must cost what the same layer costs inside ResNet-50, and only one model has measurements
behind it (docs/layer_model.md). Gemmini's measured execution model (`gemmini_exec`, fit to DOSA's FireSim rows,
docs/firesim_fit.md) prices a GEMM or convolution when an explicit mapping is given (the layer API only: DOSA's
harness), or when the mapper is `gemmini` on an accelerator whose `pricing` is `gemmini-measured`; everything else
is the analytic model, with no band.

On a whole model, an op's cycles per instance are those of the call Gemmini's own tiler makes (`tiled_matmul_auto`;
a convolution `tiled_conv_auto` on its real geometry, run as LoopConv runs it), with the error band of its kind and
bound (`error_bands`); its DRAM/L2 traffic and energy stay those of the analytic pricing of Gemmini's tiler. Calls
and their cycles are cached per (layer, array side, memories), so a sweep prices each once, and the new calls of
a batch's op are priced in one vectorized pass (`measured_bands`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Protocol

from simulator.error_bands import error_band
from simulator.lower import GemmWork
from simulator.mapping.dosa_calls import ConvCall, MatmulCall
from simulator.mapping.gemmini_auto_calls import auto_conv_call, auto_matmul_call
from simulator.mapping.gemmini_conv_tiler import ConvShape, cut_path
from simulator.mapping.gemmini_exec import Breakdown, call_work, execution_cycles, measured_timing
from simulator.workload.operator import Operator

PricingModel = Literal["gemmini-measured", "analytic"]
MEASURED: PricingModel = "gemmini-measured"
ANALYTIC: PricingModel = "analytic"
NOT_VALIDATED = "not validated against measurements"
FIX = "set pricing: analytic to use the analytic model"


class GemminiLike(Protocol):
    """What the measured model reads of an accelerator (an `AcceleratorSpec` or its `HardwareKey`)."""

    rows: int
    cols: int
    dataflow: str
    input_bits: int
    weight_bits: int
    accumulator_bits: int
    array_format: str


def pricing_model(pricing: str, mapper: str, mapping: str | None = None) -> PricingModel:
    """The rule: the measured model for an explicit mapping, or for mapper `gemmini` on `pricing: gemmini-measured`."""
    if mapping is not None or (mapper == "gemmini" and pricing == MEASURED):
        return MEASURED
    return ANALYTIC


def default_mapper(pricing: str) -> Literal["optimal", "gemmini"]:
    """The mapper of a layer that names none: on an accelerator priced by the measured model, Gemmini's own tiler
    (what the measured chip runs and what has a band); elsewhere our search."""
    return "gemmini" if pricing == MEASURED else "optimal"


def measured_array_side(hw: GemminiLike, explicit: bool = False) -> int:
    """The array side N of Gemmini as measured: square, WS, int8 operands, int32 accumulator (else a one-line
    ValueError naming what differs and, under `pricing: gemmini-measured`, how to get the analytic model)."""
    problems = []
    if hw.dataflow != "ws":
        problems.append(f"it runs weight-stationary only (this accelerator is {hw.dataflow})")
    if hw.rows != hw.cols:
        problems.append(f"its array is square, DIM x DIM (this one is {hw.rows}x{hw.cols})")
    if (hw.input_bits, hw.weight_bits, hw.accumulator_bits, hw.array_format) != (8, 8, 32, "int"):
        problems.append(f"its operands are int8 with an int32 accumulator (this one has {hw.input_bits}-bit "
                        f"{hw.array_format} inputs, {hw.weight_bits}-bit weights, a {hw.accumulator_bits}-bit "
                        "accumulator)")
    if not problems:
        return hw.rows
    if explicit:
        raise ValueError("Gemmini's measured execution model (an explicit mapping) cannot price this accelerator: "
                         + "; ".join(problems))
    raise ValueError("pricing: gemmini-measured: Gemmini's measured execution model cannot price this accelerator: "
                     + "; ".join(problems) + f"; {FIX}")


@lru_cache(maxsize=65536)
def conv_call(shape: ConvShape, side: int, scratchpad_bytes: int, accumulator_bytes: int) -> ConvCall:
    """The `tiled_conv` call `tiled_conv_auto` makes (a ValueError for a non-square image or kernel)."""
    if (shape.out_h, shape.kernel_h, shape.in_h) != (shape.out_w, shape.kernel_w, shape.in_w):
        raise ValueError(f"conv {shape.batch}x{shape.in_channels}->{shape.out_channels} out {shape.out_h}x"
                         f"{shape.out_w} kernel {shape.kernel_h}x{shape.kernel_w}: Gemmini's tiled_conv takes square "
                         "images and kernels (one in_dim, out_dim, kernel_dim and padding); this layer is not square")
    return auto_conv_call(shape, side, scratchpad_bytes, accumulator_bytes)


@lru_cache(maxsize=65536)
def matmul_call(m: int, k: int, n: int, side: int, scratchpad_bytes: int, accumulator_bytes: int) -> MatmulCall:
    """The `tiled_matmul` call `tiled_matmul_auto` makes."""
    return auto_matmul_call(m, k, n, side, scratchpad_bytes, accumulator_bytes)


@dataclass(frozen=True, slots=True)
class CallCycles:
    """One call on the measured model: its cycles, their parts (`gemmini_exec.Breakdown`), and its error band."""

    cycles: float
    host: float
    array: float
    reads: float
    writes: float
    memory: float
    tiles: float
    bound: str  # the largest part: host, array, reads, writes or memory
    wrapped_tiles: float  # tiles whose negative input window wraps LoopConv's 16-bit bound
    low: float  # cycles · the band's low factor
    high: float
    band_source: str


ArrayCall = tuple[ConvCall | MatmulCall, int]  # a call and the array side it runs on
_PRICED: dict[ArrayCall, CallCycles] = {}  # call_cycles' cache (a sweep asks again), filled many calls at a time
_PRICED_MAX = 65536


def call_cycles(call: ConvCall | MatmulCall, side: int) -> CallCycles:
    """Price one call with Gemmini's execution model and attach its error band (cached: a sweep asks again)."""
    return calls_cycles([(call, side)])[0]


def calls_cycles(calls: list[ArrayCall]) -> list[CallCycles]:
    """`call_cycles` of many calls, those not cached priced in one vectorized pass (per call the same numbers)."""
    new = list(dict.fromkeys(call for call in calls if call not in _PRICED))
    if new:
        parts = execution_cycles(call_work([call for call, _ in new], [side for _, side in new]), measured_timing())
        bounds = parts.bound().tolist()
        if len(_PRICED) + len(new) > _PRICED_MAX:  # bounded as the call caches: a sweep past it starts afresh
            _PRICED.clear()
        for i, call in enumerate(new):
            _PRICED[call] = _priced(call[0], parts, i, str(bounds[i]))
    return [_PRICED[call] for call in calls]


def _priced(call: ConvCall | MatmulCall, parts: Breakdown, i: int, bound: str) -> CallCycles:
    """Call `i` of a `Breakdown` with the error band of its kind and bound."""
    cycles = float(parts.total[i])
    band = error_band("matmul" if isinstance(call, MatmulCall) else "conv", bound)
    return CallCycles(cycles=cycles, host=float(parts.host[i]), array=float(parts.array[i]),
                      reads=float(parts.reads[i]), writes=float(parts.writes[i]), memory=float(parts.memory[i]),
                      tiles=float(parts.tiles[i]), bound=bound, wrapped_tiles=float(parts.wrapped_tiles[i]),
                      low=cycles * band.low, high=cycles * band.high, band_source=band.source)


class MeasuredKey(GemminiLike, Protocol):
    scratchpad_bytes: int
    accumulator_bytes: int


def op_call(op: Operator, k: int, hw: MeasuredKey) -> tuple[ConvCall | MatmulCall, int]:
    """The call Gemmini's tiler makes for one instance of a GEMM op (a convolution on its own geometry), and the
    array side; a ValueError when the measured model cannot run it (`k`, the reduction the array runs, is shorter
    than the op's under N:M sparsity, which Gemmini's dense PEs do not skip)."""
    side = measured_array_side(hw)
    if k != op.k:
        raise ValueError(f"pricing: gemmini-measured: Gemmini's measured execution model cannot price {op.name} "
                         f"with structured sparsity (it runs K = {k} of {op.k}; Gemmini's PEs are dense); {FIX}")
    conv = op.conv
    if conv is None:
        return matmul_call(op.m, k, op.n, side, hw.scratchpad_bytes, hw.accumulator_bytes), side
    shape = ConvShape(conv.batch, conv.in_channels, op.n, conv.in_h, conv.in_w, conv.out_h, conv.out_w, conv.kernel,
                      conv.kernel, conv.stride, conv.padding)
    return conv_call(shape, side, hw.scratchpad_bytes, hw.accumulator_bytes), side


class PricedKey(MeasuredKey, Protocol):
    pricing: str


def measured_band(work: GemmWork, hw: PricedKey, mapper: str) -> tuple[float, float, float] | None:
    """One instance's cycles, low and high on the measured model where the rule says it prices the op (None: the
    analytic model does); a ValueError when it should and cannot."""
    band = measured_bands([(work, hw)], mapper)[0]
    if isinstance(band, ValueError):
        raise band
    return band


def measured_bands(ops: list[tuple[GemmWork, PricedKey]], mapper: str
                   ) -> list[tuple[float, float, float] | ValueError | None]:
    """`measured_band` of many (op, hardware) pairs, the calls priced together; the ValueError of a pair that should
    and cannot be priced is returned in its place."""
    calls: list[ArrayCall | ValueError | None] = []
    for work, hw in ops:
        try:
            calls.append(op_call(work.op, work.k, hw) if pricing_model(hw.pricing, mapper) == MEASURED else None)
        except ValueError as error:
            calls.append(error)
    priced = iter(calls_cycles([call for call in calls if isinstance(call, tuple)]))
    bands: list[tuple[float, float, float] | ValueError | None] = []
    for call in calls:
        if isinstance(call, tuple):
            cycles = next(priced)
            bands.append((cycles.cycles, cycles.low, cycles.high))
        else:
            bands.append(call)
    return bands


def describe_call(call: ConvCall | MatmulCall) -> str:
    """The call Gemmini's software makes, as the reports show it."""
    if isinstance(call, MatmulCall):
        return (f"tiled_matmul {call.dim_i}x{call.dim_k}x{call.dim_j} (I x K x J), tiles {call.tile_i}x{call.tile_k}"
                f"x{call.tile_j} blocks of {call.pe_dim}, order {call.perm}")
    return (f"tiled_conv tile batches {call.batches}, orows {call.orows}, ocols {call.ocols}, ochs {call.ochs}, "
            f"krows {call.krows}, kcols {call.kcols}, kchs {call.kchs}; order {call.perm} (innermost first)")


def timed_call(work: GemmWork, hw: PricedKey) -> str:
    """What the measured model timed for a GEMM op (its report row's mapping)."""
    return describe_call(op_call(work.op, work.k, hw)[0])


def cache_clear() -> None:
    for cached in (conv_call, matmul_call, cut_path):
        cached.cache_clear()
    _PRICED.clear()
