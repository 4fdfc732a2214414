"""`AcceleratorSpec`: a Gemmini-like accelerator as flat scalars, so every field can be a sweep axis."""

from __future__ import annotations

from collections import namedtuple
from functools import cache, lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.vocabulary import Knob, fields_reading

Placement = Literal["accelerator", "host_cpu"]
Dataflow = Literal["ws", "os"]
Timing = Literal["gemmini", "scalesim", "analytic"]
Topology = Literal["ring", "switch"]
Pricing = Literal["analytic", "gemmini-measured"]

# Non-linear op classes the spec places; the names match `Operator.op_class` (plus de/quantization).
NONLINEAR_CLASSES: tuple[str, ...] = ("softmax", "normalization", "activation", "residual", "quantization")
# The placed classes whose ops can ride on the producing GEMM's accumulator read path (de/quantization is not an op).
FUSABLE: frozenset[str] = frozenset(NONLINEAR_CLASSES) - {"quantization"}
# The preset whose sourced values fill any field a spec leaves out (no value is repeated here as a literal).
BASE_PRESET = "gemmini-default"
PRESET_DIR = Path(__file__).resolve().parent.parent / "data" / "accelerators"
# Keys of a preset mapping beside its fields: where each value comes from, the options its model assumes, and what
# a calibrated preset was fitted to (simulator/hardware/calibration.py).
NOT_FIELDS = frozenset({"sources", "options", "calibration"})
# The stages that read a field (`Knob.reads`, simulator/vocabulary.py): the lowering's and the mapping cache's keys
# are the fields naming their stage, so a field read by a stage but not declared here fails tests/simulator/
# test_stage_keys.py instead of handing one accelerator's cached result to another.
EVERY_STAGE = frozenset({"lowering", "gemm", "ops", "aggregate"})  # array and memory sizes
NUMBER_FORMAT = frozenset({"lowering", "gemm", "aggregate"})  # what the array supports, MAC energy, PE area
LINK = frozenset({"gemm", "ops"})  # what times transfers: widths, latencies, the DMA, the fold timing
PLACEMENT = frozenset({"lowering", "ops", "aggregate"})  # whether a fusion group applies, where an op runs, units
OPS_ONLY = frozenset({"ops"})  # how the host and the non-linear lanes run an op
LABEL: frozenset[str] = frozenset()  # no stage's numbers depend on it


@cache
def base_values() -> dict[str, Any]:
    data = yaml.safe_load((PRESET_DIR / f"{BASE_PRESET}.yaml").read_text())
    return {k: v for k, v in data.items() if k not in NOT_FIELDS | {"name", "description"}}


class MemorySystem:
    """Capacities in bytes and the links' rates, derived from an accelerator's memory fields: one formula each for
    `AcceleratorSpec` and its `GemmFields`, which both carry those fields."""

    __slots__ = ()

    @property
    def scratchpad_bytes(self) -> int:
        return int(self.scratchpad_kib * 1024)

    @property
    def accumulator_bytes(self) -> int:
        return int(self.accumulator_kib * 1024)

    @property
    def l2_bytes(self) -> int:
        return int(self.l2_kib * 1024)

    @property
    def local_link(self) -> tuple[float, int]:
        """(bytes/cycle, latency) the local memories' DMA sustains to the next level (the L2, else DRAM): the link's
        width, bounded by the requests it keeps in flight over the latency (Little's law)."""
        bandwidth, latency = self.memory_link
        return min(bandwidth, self.request_link[0]), latency

    @property
    def memory_link(self) -> tuple[float, int]:
        """(bytes/cycle, latency) of the link from the accelerator's side to the next memory level (the L2, else
        DRAM), as the host sees it (no DMA limit)."""
        if self.l2_kib > 0:
            return self.l2_bytes_per_cycle, self.l2_latency_cycles
        return self.dram_bytes_per_cycle, self.dram_latency_cycles

    @property
    def dram_link_bytes_per_cycle(self) -> float:
        """Bytes/cycle the DMA's traffic to DRAM sustains through an L2: the DRAM link's width, bounded by the
        requests the DMA keeps in flight over the whole round trip of a miss (L2 lookup, then DRAM): a request
        that misses holds its slot until DRAM answers (Little's law; the L2 has no prefetcher to hide it)."""
        return min(self.dram_bytes_per_cycle, self.request_link[1])

    @property
    def request_link(self) -> tuple[float, float]:
        """(to the next level, to DRAM through the L2): bytes/cycle the DMA's in-flight limit allows when every
        request is full, or infinity without a limit. A tile's partial requests divide these (mapping/requests.py);
        `local_link` and `dram_link_bytes_per_cycle` are these bounds with full requests, taken with the links'
        widths."""
        unlimited = float("inf")
        if not self.dma_max_in_flight:
            return unlimited, unlimited
        slots = self.dma_max_in_flight * self.dma_request_bytes
        local_latency = self.memory_link[1]
        dram_latency = self.l2_latency_cycles + self.dram_latency_cycles if self.l2_kib > 0 else 0
        return (slots / local_latency if local_latency else unlimited,
                slots / dram_latency if dram_latency else unlimited)


class AcceleratorSpec(MemorySystem, BaseModel):
    """A Gemmini-like accelerator: R x C systolic array, scratchpad + accumulator, DRAM, non-linear placement.

    Why flat: a sweep axis names a field directly (`rows`, `scratchpad_kib`, `softmax_on`), and a result row
    in SQL is these fields plus the metrics. A field left out takes the base preset's (`gemmini-default`) value.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Knob("Accelerator", sweepable=False, column=False, reads=LABEL)] = "custom"
    description: Annotated[str, Knob("Description", sweepable=False, column=False, reads=LABEL)] = ""
    rows: Annotated[int, Knob("Array rows", "PEs", "array", reads=EVERY_STAGE)] = Field(
        ge=1, le=4096, description="systolic array rows (K dimension under WS)")
    cols: Annotated[int, Knob("Array columns", "PEs", "array", reads=EVERY_STAGE)] = Field(
        ge=1, le=4096, description="systolic array columns (N dimension)")
    dataflow: Annotated[Dataflow, Knob("Dataflow", group="array", reads=frozenset({"lowering", "gemm"}))] = Field(
        description="ws: weights stay in the PEs; os: outputs accumulate in the PEs")
    timing: Annotated[Timing, Knob("Fold timing", group="array", reads=LINK)] = Field(
        description="gemmini: double-buffered preload, folds back to back (Gemmini's mesh); scalesim: every fold "
                    "preloads, fills and drains (SCALE-Sim's convention); analytic: rows stream, nothing else "
                    "(the survey's Sec 3.3 model, op time = max(compute, memory))")
    input_bits: Annotated[int, Knob("Input precision", "bit", "numerics", reads=NUMBER_FORMAT)] = Field(ge=1, le=64)
    weight_bits: Annotated[int, Knob("Weight precision", "bit", "numerics", reads=NUMBER_FORMAT)] = Field(ge=1, le=64)
    accumulator_bits: Annotated[int, Knob("Accumulator precision", "bit", "numerics", reads=EVERY_STAGE)] = Field(
        ge=1, le=64)
    scratchpad_kib: Annotated[float, Knob("Scratchpad", "KiB", "memory", reads=EVERY_STAGE)] = Field(
        gt=0, le=1 << 20, description="input/weight scratchpad, KiB (double-buffered)")
    accumulator_kib: Annotated[float, Knob("Accumulator", "KiB", "memory", reads=EVERY_STAGE)] = Field(
        gt=0, le=1 << 20, description="accumulator SRAM, KiB")
    dram_bytes_per_cycle: Annotated[float, Knob("DRAM bandwidth", "B/cycle", "memory", reads=LINK)] = Field(
        gt=0, le=1 << 20)
    dram_latency_cycles: Annotated[int, Knob("DRAM latency", "cycles", "memory", reads=LINK)] = Field(ge=0, le=1 << 20)
    l2_kib: Annotated[float, Knob("L2 cache", "KiB", "memory", reads=frozenset({"lowering", "gemm", "ops"}))] = Field(
        ge=0, le=1 << 22, description="shared L2 between the local memories and DRAM; 0 = none (the local memories "
                                      "talk to DRAM at dram_bytes_per_cycle)")
    l2_bytes_per_cycle: Annotated[float, Knob("L2 bandwidth", "B/cycle", "memory", reads=LINK)] = Field(
        gt=0, le=1 << 20, description="local memories <-> L2 (with an L2; dram_bytes_per_cycle is then L2 <-> DRAM)")
    l2_latency_cycles: Annotated[int, Knob("L2 latency", "cycles", "memory", reads=LINK)] = Field(ge=0, le=1 << 20)
    dma_request_bytes: Annotated[int, Knob("DMA request size", "B", "memory", reads=LINK)] = Field(
        ge=1, le=1 << 16, description="bytes per DMA memory request")
    dma_max_in_flight: Annotated[int, Knob("DMA requests in flight", "", "memory", reads=LINK)] = Field(
        ge=0, le=1 << 16, description="outstanding DMA requests; with the latency of the level the DMA talks to, it "
                                      "bounds the bandwidth it sustains (Little's law); 0 = unbounded")
    clock_ghz: Annotated[float, Knob("Clock", "GHz", "technology", reads=frozenset({"ops", "aggregate"}))] = Field(
        gt=0, le=100)
    technology_nm: Annotated[int, Knob("Technology node", "nm", "technology",
                                       reads=frozenset({"gemm", "ops", "aggregate"}))] = Field(ge=1, le=1000)
    softmax_on: Annotated[Placement, Knob("Softmax runs on", group="non-linear", reads=PLACEMENT)]
    normalization_on: Annotated[Placement, Knob("Normalization runs on", group="non-linear", reads=PLACEMENT)]
    activation_on: Annotated[Placement, Knob("Activation runs on", group="non-linear", reads=PLACEMENT)]
    residual_on: Annotated[Placement, Knob("Residual add runs on", group="non-linear", reads=PLACEMENT)]
    quantization_on: Annotated[Placement, Knob("De/quantization runs on", group="non-linear",
                                               reads=frozenset({"ops", "aggregate"}))]
    nonlinear_elements_per_cycle: Annotated[float, Knob("Non-linear lanes", "elements/cycle", "non-linear",
                                                        reads=frozenset({"ops", "aggregate"}))] = Field(
        ge=0, le=1 << 20, description="integer non-linear lanes (elements/cycle)")
    nonlinear_passes: Annotated[float, Knob("Non-linear passes", "passes", "non-linear", reads=OPS_ONLY)] = Field(
        ge=0, le=64, description="passes over the data of every non-linear op on the lanes; 0 = each class's own "
                                 "(I-BERT kernels, technology table)")
    host_cycles_per_element_softmax: Annotated[
        float, Knob("Host softmax cost", "cycles/element", "host", reads=OPS_ONLY)] = Field(gt=0, le=1e6)
    host_cycles_per_element_normalization: Annotated[
        float, Knob("Host normalization cost", "cycles/element", "host", reads=OPS_ONLY)] = Field(gt=0, le=1e6)
    host_cycles_per_element_activation: Annotated[
        float, Knob("Host activation cost", "cycles/element", "host", reads=OPS_ONLY)] = Field(gt=0, le=1e6)
    host_cycles_per_element_residual: Annotated[
        float, Knob("Host residual cost", "cycles/element", "host", reads=OPS_ONLY)] = Field(gt=0, le=1e6)
    host_cycles_per_element_quantization: Annotated[
        float, Knob("Host de/quantization cost", "cycles/element", "host", reads=OPS_ONLY)] = Field(gt=0, le=1e6)
    array_format: Annotated[Literal["int", "float"], Knob("Array number format", group="numerics",
                                                          reads=NUMBER_FORMAT)] = Field(
        description="number format of the PE array's multipliers (int: Gemmini; float: e.g. fp16 PEs)")
    sparse_support: Annotated[bool, Knob("Structured-sparsity support", group="array",
                                         reads=frozenset({"lowering", "aggregate"}))] = Field(
        description="PEs skip pruned weights of N:M structured sparsity (operand-select muxes, metadata)")
    gemm_efficiency: Annotated[float, Knob("GEMM efficiency", "", "array", reads=frozenset({"gemm"}))] = Field(
        gt=0, le=1, description="the share of the modelled array throughput a real chip reaches on GEMMs (compute "
                                "cycles / efficiency); 1 = the model as derived; below 1 only when calibrated to "
                                "measurements (dse calibrate)")

    pricing: Annotated[Pricing, Knob("GEMM/conv pricing", group="array", reads=frozenset({"gemm"}))] = Field(
        description="analytic: the mapping search's cost model for every GEMM and convolution (not validated against "
                    "measurements); gemmini-measured: under mapper gemmini, Gemmini's execution model fit to FireSim "
                    "measurements prices them (docs/layer_model.md), with an error band; needs Gemmini as measured "
                    "(square WS int8/int32 array)")

    memory_gib: Annotated[float, Knob("Device memory", "GiB", "memory", reads=frozenset({"aggregate"}))] = Field(
        ge=0, le=1 << 20, description="DRAM capacity of one device: weights, KV cache and activations must fit "
                                      "(simulator/workload/footprint.py); 0 = unlimited (only a preset that models "
                                      "no capacity says so)")
    link_gb_s: Annotated[float, Knob("Link bandwidth", "GB/s", "interconnect", reads=OPS_ONLY)] = Field(
        gt=0, le=1 << 20, description="device-to-device link, per direction per link (collectives of tensor and "
                                      "pipeline parallelism; unused on one device)")
    link_latency_us: Annotated[float, Knob("Link latency", "µs", "interconnect", reads=OPS_ONLY)] = Field(
        ge=0, le=1e6, description="one hop over a link (a ring step, or a pass through the switch)")
    topology: Annotated[Topology, Knob("Interconnect topology", group="interconnect", reads=OPS_ONLY)] = Field(
        description="ring: devices in a ring, an all-reduce takes n-1 latencies; switch: every device one hop from "
                    "every other through a switch, 2 latencies (simulator/cost/communication.py)")

    @model_validator(mode="before")
    @classmethod
    def _base_preset_fills_the_rest(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {**base_values(), **data}
        return data

    @model_validator(mode="after")
    def _units_exist_where_used(self) -> AcceleratorSpec:
        on_accelerator = [c for c in NONLINEAR_CLASSES if self.placement(c) == "accelerator"]
        if on_accelerator and self.nonlinear_elements_per_cycle <= 0:
            raise ValueError(
                f"nonlinear_elements_per_cycle must be > 0 when {', '.join(f'{c}_on' for c in on_accelerator)}"
                " = 'accelerator' (no non-linear units to run them on)")
        return self

    def placement(self, op_class: str) -> Placement:
        """Where a non-linear op class runs."""
        return getattr(self, f"{op_class}_on")

    def host_cycles_per_element(self, op_class: str) -> float:
        return getattr(self, f"host_cycles_per_element_{op_class}")

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.rows * self.cols

    def gemm_fields(self) -> GemmFields:
        """The fields the `gemm` stage reads (their Knob says so)."""
        return GemmFields._make(_gemm_values(self))  # its fields are GEMM_FIELDS: each value read by its name

    def hardware_key(self) -> HardwareKey:
        """The mapping-cache key: what the mapping's formulas read, derived from `gemm_fields` alone."""
        return _hardware_key(self.gemm_fields())

    def lowering_key(self) -> tuple:
        """The fields `lower` reads (their Knob says the `lowering` stage reads them): points that share them share
        their operator work."""
        return _lowering_values(self)


GEMM_FIELDS = fields_reading(AcceleratorSpec.model_fields, "gemm")
LOWERING_FIELDS = fields_reading(AcceleratorSpec.model_fields, "lowering")
_gemm_values = attrgetter(*GEMM_FIELDS)
_lowering_values = attrgetter(*LOWERING_FIELDS)


class GemmFields(namedtuple("GemmFields", GEMM_FIELDS), MemorySystem):
    """The accelerator's fields that the `gemm` stage reads, named as on AcceleratorSpec, with the capacities and
    links derived from them: all a GEMM's mapping may know of the hardware."""

    __slots__ = ()


class HardwareKey(NamedTuple):
    """The hardware as the mapping's formulas see it, and the mapping cache's key: the values they read, each taken by
    its name from `GemmFields` (a declared field, or a capacity or link derived from the declared fields), so a value
    can depend on no undeclared field. Accelerators that differ only where no formula can see it (a DRAM rate above
    what the DMA's requests sustain, an L2's rate without an L2) share one search; a formula reads nothing else."""

    rows: int
    cols: int
    dataflow: str
    timing: str
    gemm_efficiency: float
    input_bits: int
    weight_bits: int
    accumulator_bits: int
    array_format: str
    technology_nm: int
    scratchpad_bytes: int
    accumulator_bytes: int
    l2_bytes: int
    local_link: tuple[float, int]  # (bytes/cycle, latency) the DMA sustains to the next level
    dram_link_bytes_per_cycle: float  # what the DMA sustains from DRAM through the L2 (requests in flight / miss)
    dram_latency_cycles: int
    request_link: tuple[float, float]  # (local, DRAM) bytes/cycle the DMA's in-flight limit allows at full requests
    dma_request_bytes: int
    pricing: str  # analytic, or Gemmini's measured execution model under mapper gemmini (simulator/measured.py)

    @classmethod
    def of(cls, fields: GemmFields) -> HardwareKey:
        return cls(**{name: getattr(fields, name) for name in cls._fields})


@lru_cache(maxsize=4096)
def _hardware_key(fields: GemmFields) -> HardwareKey:
    """`HardwareKey.of` once per set of fields: every point of a sweep asks."""
    return HardwareKey.of(fields)
