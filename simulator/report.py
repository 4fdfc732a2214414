"""`Report`: the typed result of one evaluation; its scalar metrics carry their label, unit and direction."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict

from simulator.vocabulary import Measure

Bound = Literal["compute", "memory", "non-linear", "communication"]
Pricing = Literal["gemmini-measured", "analytic"]
NOT_VALIDATED = "not validated against measurements"


class OpReport(BaseModel):
    """One operator row; cycles, bytes and energy are totals over its `count` copies."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str
    op_class: str
    phase: str
    count: int
    shape: str
    flops: float
    macs: float
    dram_bytes: float
    compulsory_dram_bytes: float  # its DRAM-resident operands and DRAM-bound output moved exactly once
    l2_bytes: float  # moved between the local memories and the L2 (0 without an L2)
    cycles: float
    compute_cycles: float  # on the unit it runs on (the array, non-linear units or the host)
    memory_cycles: float  # its DRAM bytes at the accelerator's bandwidth
    energy_j: float
    energy_mac_j: float
    energy_sram_j: float
    energy_dram_j: float
    energy_nonlinear_j: float
    utilization: float
    where: str
    mapping: str
    bound: Bound
    # Which model priced its cycles (simulator/measured.py); under Gemmini's measured execution model, the error
    # band of its kind and bound (docs/layer_model.md), else None: not validated against measurements.
    pricing: Pricing = "analytic"
    cycles_low: float | None = None
    cycles_high: float | None = None


class Report(BaseModel):
    """Latency, energy, area and their breakdowns for one (workload, accelerator, options) design point.

    On several devices (tensor x pipeline parallelism) the op rows, `cycles_by_class` and the breakdowns are one
    tensor-parallel device's share of every layer, the pipeline's stages one after another; latency, throughput and
    the energies (energy_j and its parts, static, per token, EDP, power) are the whole system's; `area_mm2` is one
    device's and `system_area_mm2` all of them; the memory metrics are per device."""

    model_config = ConfigDict(frozen=True)

    model: str
    accelerator: str
    latency_cycles: Annotated[float, Measure("Latency", "cycles", headline=True)]
    latency_s: Annotated[float, Measure("Latency", "s", headline=True)]
    # The latency's error band where Gemmini's measured execution model prices some op (None: no op is), the ops'
    # errors taken as fully correlated (docs/layer_model.md); `validation` says what the band covers.
    latency_low_s: Annotated[float | None, Measure("Latency, band low (measured model)", "s")] = None
    latency_high_s: Annotated[float | None, Measure("Latency, band high (measured model)", "s")] = None
    validation: str = NOT_VALIDATED
    throughput_per_s: Annotated[float, Measure("Throughput", "inferences/s", "max", headline=True)]
    energy_j: Annotated[float, Measure("Energy", "J", headline=True)]
    energy_mac_j: Annotated[float, Measure("MAC energy", "J")]
    energy_sram_j: Annotated[float, Measure("SRAM energy", "J")]
    energy_dram_j: Annotated[float, Measure("DRAM energy", "J")]
    energy_nonlinear_j: Annotated[float, Measure("Non-linear energy", "J")]
    energy_static_j: Annotated[float, Measure("Static energy", "J")]
    edp_j_s: Annotated[float, Measure("Energy-delay product", "J·s", headline=True)]
    area_mm2: Annotated[float, Measure("Area", "mm²", headline=True)]
    power_w: Annotated[float, Measure("Average power", "W", headline=True)]
    utilization: Annotated[float, Measure("Utilization", "", "max", headline=True)]
    dram_bytes: Annotated[float, Measure("DRAM traffic", "B", headline=True)]
    compulsory_dram_bytes: Annotated[float, Measure("Compulsory DRAM traffic", "B")]
    macs: Annotated[float, Measure("MACs", "")]
    bottleneck: Annotated[Bound, Measure("Bottleneck", "", None)]
    # The fusion groups applied to at least one op (simulator/fusion.py), 'none' when none was.
    fused_groups: Annotated[str, Measure("Fusion applied", "", None, text_length=128)] = "none"
    # Serving metrics of a model that generates text (None for encoders and CNNs); simulator/aggregate.py says how.
    ttft_s: Annotated[float | None, Measure("Time to first token", "s", headline=True)] = None
    tpot_s: Annotated[float | None, Measure("Time per output token", "s", headline=True)] = None
    decode_tokens_per_s: Annotated[float | None, Measure("Decode throughput", "tokens/s", "max", headline=True)] = None
    decode_energy_per_token_j: Annotated[float | None, Measure("Energy per output token", "J")] = None
    # Capacity (simulator/workload/footprint.py): what one device holds at this batch, and the largest batch whose
    # weights, KV cache and activations fit its memory_gib (None: the accelerator's memory is unlimited).
    memory_used_gib: Annotated[float, Measure("Memory used per device", "GiB", headline=True)] = 0.0
    memory_weights_gib: Annotated[float, Measure("Weights per device", "GiB")] = 0.0
    memory_kv_cache_gib: Annotated[float, Measure("KV cache per device", "GiB")] = 0.0
    memory_activations_gib: Annotated[float, Measure("Activations per device", "GiB")] = 0.0
    max_batch: Annotated[int | None, Measure("Max batch (fits device memory)", "", "max", headline=True)] = None
    # Scale-out: latency, energy, power and throughput are the system's (every device); area_mm2 is one device's.
    system_area_mm2: Annotated[float, Measure("System area (all devices)", "mm²")] = 0.0
    energy_per_device_j: Annotated[float, Measure("Energy per device", "J")] = 0.0
    # One device's area by component (simulator/cost/area.py), as columns a sweep can colour or filter by.
    area_pe_array_mm2: Annotated[float, Measure("Area: PE array", "mm²")] = 0.0
    area_scratchpad_mm2: Annotated[float, Measure("Area: scratchpad", "mm²")] = 0.0
    area_accumulator_mm2: Annotated[float, Measure("Area: accumulator", "mm²")] = 0.0
    area_nonlinear_mm2: Annotated[float, Measure("Area: non-linear units", "mm²")] = 0.0
    area_fixed_mm2: Annotated[float, Measure("Area: fixed (controller, DMA, queues)", "mm²")] = 0.0
    cycles_by_class: dict[str, float]
    area_breakdown_mm2: dict[str, float]
    ops: list[OpReport]
    # Published quality loss of this setting vs. the paper's full-precision baseline, in the paper's metric
    # (accuracy points lost or perplexity gained); None = no published row covers the point.
    # Looked up in simulator/data/quality.yaml (published tables), never estimated.
    quality_loss: Annotated[float | None, Measure("Quality loss (published estimate)", "", headline=True)] = None
    quality_source: str | None = None  # the published row it comes from (paper, table, task, metric, values)
    notes: list[str] = []  # what the simulator could not do as asked (a fusion group refused, and why)
