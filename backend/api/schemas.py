"""Response models of the API outside the sweeps domain: the catalog of parameters and metrics."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from simulator.catalog import Entry


class CatalogEntry(BaseModel):
    """One parameter or metric as the simulator declares it (simulator/catalog.py)."""

    name: str
    label: str
    unit: str
    kind: Literal["metric", "parameter"]
    type: Literal["float", "int", "str", "bool"]
    direction: Literal["min", "max"] | None = None
    categorical: bool = False
    source: Literal["point", "model", "scenario", "accelerator", "options", "report"] = Field(
        description="Where the field lives: the point's presets, the model, the scenario, the accelerator, the "
                    "options or the report.")
    group: str = Field(description="Display group (array, memory, non-linear, …).")
    sweepable: bool = Field(description="A sweep may vary it (axes, option_axes, model_axes, scenario_axes).")
    nullable: bool
    choices: list[str] | None = Field(description="The allowed values of a categorical field.")
    minimum: float | None
    exclusive_minimum: bool
    maximum: float | None
    exclusive_maximum: bool
    default: Any = None
    description: str
    headline: bool = Field(default=False, description="A headline metric: shown first by the dashboard.")

    @classmethod
    def of(cls, entry: Entry) -> CatalogEntry:
        return cls(name=entry.name, label=entry.label, unit=entry.unit, kind=entry.kind, type=entry.type,
                   direction=entry.direction, categorical=entry.categorical, source=entry.source, group=entry.group,
                   sweepable=entry.sweepable, nullable=entry.nullable,
                   choices=list(entry.choices) if entry.choices else None, minimum=entry.minimum,
                   exclusive_minimum=entry.exclusive_minimum, maximum=entry.maximum,
                   exclusive_maximum=entry.exclusive_maximum, default=entry.default, description=entry.description,
                   headline=entry.headline)


class OpClassOut(BaseModel):
    name: str
    label: str


class RatioOut(BaseModel):
    name: str
    label: str
    of: str = Field(description="The metric compared with the baseline point's.")
    direction: str = Field(description="Which way is better: a speedup is `max`, an energy ratio `min`.")


class Catalog(BaseModel):
    metrics: list[CatalogEntry]
    parameters: list[CatalogEntry]
    ratios: list[RatioOut] = Field(default_factory=list, description="Columns against a baseline point "
                                                                     "(results?baseline=ID).")
    op_classes: list[OpClassOut] = Field(description="Every op class a report's per-operator rows use, in order.")
    phases: list[str] = Field(description="Every phase an operator runs in.")
    bounds: list[str] = Field(description="What can bound an operator (and a design's bottleneck).")
    statuses: list[str] = Field(description="A sweep's statuses.")
