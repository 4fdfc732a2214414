"""One layer (a GEMM or a convolution, `simulator/layer.py`) as the service takes and answers it: the request's
`layer` of `POST /api/simulate`, and the result both the API returns and `dse simulate-conv` / `dse simulate-gemm
--mapping --json` print (one schema, so the two cannot drift apart)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator.hardware import AcceleratorSpec
from simulator.layer import ConvLayer, GemmLayer, Layer, LayerResult

PRICED_BY = ("Which model priced it: Gemmini's execution model fit to FireSim (an explicit mapping, or mapper gemmini "
             "on an accelerator with pricing gemmini-measured) or the analytic model (anything else).")

# Bounds far above any layer of the presets' models that keep one request short and its numbers finite: Gemmini's
# conv tiler takes 14 s on a 2^20-pixel image and over a minute on a 2^20 kernel, and 2^20 in every conv field
# overflows; at these bounds the slowest layer takes under a second.
GemmSize = Annotated[int, Field(ge=1, le=1 << 20)]
Images = Annotated[int, Field(ge=1, le=1024)]
Channels = Annotated[int, Field(ge=1, le=1 << 16)]
Pixels = Annotated[int, Field(ge=1, le=4096)]
Window = Annotated[int, Field(ge=1, le=64)]  # kernel side, stride


class GemmLayerIn(BaseModel):
    """(m x k) . (k x n). An explicit mapping reads its letters as DOSA writes matmuls: P = m, C = k, K = n."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["gemm"]
    m: GemmSize
    k: GemmSize
    n: GemmSize

    def layer(self) -> GemmLayer:
        return GemmLayer(self.m, self.k, self.n)


class ConvLayerIn(BaseModel):
    """A 2-D convolution given by its output; `padding` null is kernel // 2 per side (Gemmini's tests' choice)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["conv"]
    batch: Images
    in_channels: Channels
    out_channels: Channels
    out_h: Pixels
    out_w: Pixels
    kernel_h: Window
    kernel_w: Window
    stride: Window = 1
    padding: Annotated[int, Field(ge=0, le=64)] | None = None

    def layer(self) -> ConvLayer:
        return ConvLayer(**self.model_dump(exclude={"kind"}))


LayerIn = Annotated[GemmLayerIn | ConvLayerIn, Field(discriminator="kind")]


class LayerBreakdownOut(BaseModel):
    """Gemmini's measured execution model's parts of the layer, in cycles (summed over tiles before overlap)."""

    host: float = Field(description="Rocket's loop and RoCC instructions.")
    array: float = Field(description="The array's busy cycles.")
    reads: float = Field(description="The DMA reader (mvin).")
    writes: float = Field(description="The DMA writer (mvout).")
    memory: float = Field(description="Lines fetched below the L2.")
    tiles: float
    bound: str = Field(description="The largest part: host, array, reads, writes or memory.")


class LayerOut(BaseModel):
    """One layer's cost: which model priced it, the mapping, and how far to trust the cycles (docs/layer_model.md)."""

    kind: Literal["gemm", "conv"]
    layer: str = Field(description="The layer, described (a convolution with its padding).")
    accelerator: str = Field(description="The accelerator's name.")
    cycles: float
    latency_s: float = Field(description="`cycles` at the accelerator's clock.")
    cycles_low: float | None = Field(description="The error band's low end (the 10th percentile of the measured "
                                                 "model's residuals for the layer's kind and bound); null under the "
                                                 "analytic model.")
    cycles_high: float | None
    band_source: str = Field(description="Where the band comes from, or \"not validated against measurements\".")
    model: Literal["gemmini-measured", "analytic"] = Field(description=PRICED_BY)
    compute_cycles: float
    dram_bytes: float | None = Field(description="DRAM bytes under the analytic model; null under the measured "
                                                 "model (it times DMA traffic).")
    mapper: str = Field(description="optimal, gemmini, or explicit (the given mapping).")
    mapping: str = Field(description="The mapping priced, described (tile sizes, loop order, who chose it).")
    gemm: dict[str, int] | None = Field(description="The m, k, n the analytic model ran (a convolution's im2col "
                                                    "GEMM); null under the measured model.")
    breakdown: LayerBreakdownOut | None = Field(description="Under the measured model: host, array, reads, writes, "
                                                            "memory, tiles and the bound.")
    notes: list[str]

    @classmethod
    def of(cls, layer: Layer, hw: AcceleratorSpec, result: LayerResult) -> LayerOut:
        return cls(kind=result.kind, layer=layer.describe(), accelerator=hw.name, cycles=result.cycles,
                   latency_s=result.cycles / (hw.clock_ghz * 1e9), cycles_low=result.cycles_low,
                   cycles_high=result.cycles_high, band_source=result.band_source, model=result.model,
                   compute_cycles=result.compute_cycles, dram_bytes=result.dram_bytes, mapper=result.mapper,
                   mapping=result.mapping,
                   gemm=None if result.gemm is None else dict(zip(("m", "k", "n"), result.gemm, strict=True)),
                   breakdown=None if result.breakdown is None else LayerBreakdownOut(**asdict(result.breakdown)),
                   notes=list(result.notes))
