"""`PointInputs`: one design point as a sweep names it — presets, their overrides, a scenario and options.

It is what a sweep expands to and what a stored point keeps (`model_dump()` is the stored `params`), and
`resolve()` turns it into the simulator's typed inputs, raising the simulator's own error when a value is invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from simulator.hardware import AcceleratorSpec, load_accelerator_preset, preset_options
from simulator.options import Options
from simulator.vocabulary import Knob
from simulator.workload import AnyModelSpec, Scenario, Workload, load_model_preset, with_dimensions

Scalar = int | float | str | bool | None


@lru_cache(maxsize=4096)
def _accelerator(name: str, overrides: tuple[tuple[str, Any], ...]) -> AcceleratorSpec:
    return load_accelerator_preset(name, **dict(overrides))


@lru_cache(maxsize=1024)
def _model(name: str, dims: tuple[tuple[str, Any], ...]) -> AnyModelSpec:
    model = load_model_preset(name)
    return with_dimensions(model, **dict(dims)) if dims else model


@dataclass(frozen=True, slots=True)
class ResolvedPoint:
    """A design point's simulator inputs, validated."""

    workload: Workload
    accelerator: AcceleratorSpec
    options: Options


class PointInputs(BaseModel):
    """A design point: model preset (with architecture-search dimensions), scenario, accelerator preset with field
    overrides, simulator options, and the label of the sweep variant it belongs to (if any)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: Annotated[str, Knob("Model", group="workload")]
    scenario: dict[str, Scalar] = Field(default_factory=dict)
    accelerator: Annotated[str, Knob("Accelerator preset", group="accelerator")] = "gemmini-default"
    overrides: dict[str, Scalar] = Field(default_factory=dict)
    options: dict[str, Scalar] = Field(default_factory=dict)
    model_dims: dict[str, Scalar] = Field(default_factory=dict)
    variant: Annotated[str | None, Knob("Variant", group="workload")] = None

    @model_serializer(mode="wrap")
    def _without_empty_variant(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if data.get("variant") is None:
            data.pop("variant", None)
        return data

    def resolve(self) -> ResolvedPoint:
        """The typed inputs; a ValueError (pydantic's ValidationError, a preset's KeyError) names what is wrong."""
        model = _model(self.model, tuple(sorted(self.model_dims.items())))
        workload = Workload(model=model, scenario=Scenario(**self.scenario))
        accelerator = _accelerator(self.accelerator, tuple(sorted(self.overrides.items())))
        return ResolvedPoint(workload, accelerator, Options(**{**preset_options(self.accelerator), **self.options}))
