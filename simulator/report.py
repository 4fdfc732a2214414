"""`Report`: the typed result of one evaluation, and `METRICS`, the description of its scalar metrics."""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

Bound = Literal["compute", "memory", "non-linear"]


class Metric(NamedTuple):
    """One scalar metric of a `Report`: how the service and dashboard label, sort and plot it."""

    name: str
    unit: str
    direction: Literal["min", "max", ""]
    label: str


METRICS: tuple[Metric, ...] = (
    Metric("latency_cycles", "cycles", "min", "Latency"),
    Metric("latency_s", "s", "min", "Latency"),
    Metric("throughput_per_s", "1/s", "max", "Throughput (inferences/s)"),
    Metric("energy_j", "J", "min", "Energy"),
    Metric("energy_mac_j", "J", "min", "MAC energy"),
    Metric("energy_sram_j", "J", "min", "SRAM energy"),
    Metric("energy_dram_j", "J", "min", "DRAM energy"),
    Metric("energy_nonlinear_j", "J", "min", "Non-linear energy"),
    Metric("energy_static_j", "J", "min", "Static energy"),
    Metric("edp_j_s", "J·s", "min", "Energy-delay product"),
    Metric("area_mm2", "mm²", "min", "Area"),
    Metric("power_w", "W", "min", "Average power"),
    Metric("utilization", "", "max", "Utilization"),
    Metric("dram_bytes", "B", "min", "DRAM traffic"),
    Metric("macs", "", "min", "MACs"),
    Metric("bottleneck", "", "", "Bottleneck"),
    # Looked up in simulator/data/quality.yaml (published tables), never estimated: None where no row covers it.
    # Its source (paper, table, values) is the report's `quality_source`, shown with the point.
    Metric("quality_loss", "", "min", "Quality loss (published estimate)"),
)


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
    dram_bytes: float
    cycles: float
    compute_cycles: float
    energy_j: float
    utilization: float
    where: str
    mapping: str
    bound: Bound


class Report(BaseModel):
    """Latency, energy, area and their breakdowns for one (workload, accelerator, options) design point."""

    model_config = ConfigDict(frozen=True)

    model: str
    accelerator: str
    latency_cycles: float
    latency_s: float
    throughput_per_s: float
    energy_j: float
    energy_mac_j: float
    energy_sram_j: float
    energy_dram_j: float
    energy_nonlinear_j: float
    energy_static_j: float
    edp_j_s: float
    area_mm2: float
    power_w: float
    utilization: float
    dram_bytes: float
    macs: float
    bottleneck: Bound
    cycles_by_class: dict[str, float]
    area_breakdown_mm2: dict[str, float]
    ops: list[OpReport]
    # Published quality loss of this setting vs. the paper's full-precision baseline, in the paper's metric
    # (accuracy points lost or perplexity gained); None = no published row covers the point.
    quality_loss: float | None = None
    quality_source: str | None = None  # the published row it comes from (paper, table, task, metric, values)

    def metrics(self) -> dict[str, float | str | None]:
        """The scalar metrics as one flat row."""
        return {metric.name: getattr(self, metric.name) for metric in METRICS}
