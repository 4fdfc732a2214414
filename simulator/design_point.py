"""`PointInputs`: one design point as a sweep names it — presets, their overrides, a scenario and options.

It is what a sweep expands to and what a stored point keeps (`model_dump()` is the stored `params`), and
`resolve()` turns it into the simulator's typed inputs, raising the simulator's own error when a value is invalid.
A name that is not a packaged preset resolves through `Definitions`: the models and accelerators a sweep carries
with it (a team library's entries are copied into the sweep, so a stored sweep never depends on the library).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from simulator.hardware import (
    AcceleratorSpec,
    CalibrationSummary,
    accelerator_from_definition,
    calibration_summary,
    load_accelerator_preset,
    load_accelerator_preset_data,
    preset_options,
)
from simulator.options import Options
from simulator.vocabulary import Knob
from simulator.workload import (
    AnyModelSpec,
    Scenario,
    Workload,
    load_model_preset,
    model_from_data,
    with_dimensions,
)

Scalar = int | float | str | bool | None
# Options that together say what is fused: a point that sets any of them replaces its preset's choice entirely.
FUSION_OPTIONS = frozenset({"fusion", "fuse_nonlinear", "keep_scores_on_chip"})


@lru_cache(maxsize=4096)
def _accelerator(name: str, overrides: tuple[tuple[str, Any], ...], definition: str | None) -> AcceleratorSpec:
    if definition is None:
        return load_accelerator_preset(name, **dict(overrides))
    return accelerator_from_definition(json.loads(definition), **dict(overrides))


@lru_cache(maxsize=1024)
def _model(name: str, dims: tuple[tuple[str, Any], ...], definition: str | None) -> AnyModelSpec:
    model = load_model_preset(name) if definition is None else model_from_data(json.loads(definition))
    return with_dimensions(model, **dict(dims)) if dims else model


@dataclass(frozen=True, slots=True)
class Definitions:
    """Models and accelerators defined by a sweep (or a request) rather than packaged: name -> the preset file's
    format (a model's fields, or an accelerator's fields with an optional `options:` block)."""

    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    accelerators: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def model(self, name: str) -> str | None:
        """The definition as canonical JSON (a cache key), or None for a packaged preset."""
        found = self.models.get(name)
        return None if found is None else json.dumps(found, sort_keys=True)

    def accelerator(self, name: str) -> str | None:
        found = self.accelerators.get(name)
        return None if found is None else json.dumps(found, sort_keys=True)

    def options(self, name: str) -> dict[str, Any]:
        """The simulator options an accelerator assumes (a packaged preset's `options:` block, or a definition's)."""
        found = self.accelerators.get(name)
        return dict(found.get("options", {})) if found is not None else preset_options(name)

    def calibration(self, name: str, overrides: Iterable[str] = ()) -> CalibrationSummary | None:
        """What an accelerator was calibrated to (a packaged preset's `calibration:` block, or a definition's), or
        None for a first-principles one, or when `overrides` name a fitted constant (no longer what was fitted)."""
        found = self.accelerators.get(name)
        summary = calibration_summary(found if found is not None else load_accelerator_preset_data(name))
        return None if summary is None or set(summary.fitted) & set(overrides) else summary


NO_DEFINITIONS = Definitions()


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
    # a dimension of its own (the spec's `variants`), not an axis
    variant: Annotated[str | None, Knob("Variant", group="workload", sweepable=False)] = None

    @model_serializer(mode="wrap")
    def _without_empty_variant(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if data.get("variant") is None:
            data.pop("variant", None)
        return data

    def resolve(self, definitions: Definitions = NO_DEFINITIONS) -> ResolvedPoint:
        """The typed inputs; a ValueError (pydantic's ValidationError, a preset's KeyError) names what is wrong."""
        model = _model(self.model, tuple(sorted(self.model_dims.items())), definitions.model(self.model))
        workload = Workload(model=model, scenario=Scenario(**self.scenario))
        accelerator = _accelerator(self.accelerator, tuple(sorted(self.overrides.items())),
                                   definitions.accelerator(self.accelerator))
        preset_options = definitions.options(self.accelerator)
        if FUSION_OPTIONS & self.options.keys():
            preset_options = {k: v for k, v in preset_options.items() if k not in FUSION_OPTIONS}
        options = Options(**{**preset_options, **self.options})
        return ResolvedPoint(workload, accelerator, options)
