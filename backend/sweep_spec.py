"""`SweepSpec`: what a sweep explores, its size before anything runs, and the point at any index.

A design point is a pure function of (spec, index): `points(spec, start, stop)` expands any chunk the
same way every time, so a retried chunk recomputes the same points and the unique (sweep, index) key
makes its writes idempotent. Names of presets and axes are checked against the simulator by
`backend.simulation.check_spec`; this module knows only the spec's shape.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from backend.columns import NUMERIC_METRICS

Scalar = int | float | str | bool


class RangeAxis(BaseModel):
    """`start` to `stop` inclusive in steps of `step` (e.g. rows 8..64 step 8); `min`/`max` are accepted too."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: float = Field(validation_alias=AliasChoices("start", "min"), allow_inf_nan=False)
    stop: float = Field(validation_alias=AliasChoices("stop", "max"), allow_inf_nan=False)
    step: float = Field(gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> RangeAxis:
        if self.stop < self.start:
            raise ValueError(f"range stop {self.stop} is below start {self.start}")
        if not math.isfinite((self.stop - self.start) / self.step):
            raise ValueError(f"range {self.start} to {self.stop} in steps of {self.step} has too many values")
        return self

    def values(self) -> list[int | float]:
        count = math.floor((self.stop - self.start) / self.step + 1e-9) + 1
        integral = all(float(x).is_integer() for x in (self.start, self.step))
        values = [self.start + i * self.step for i in range(count)]
        return [int(v) for v in values] if integral else [round(v, 12) for v in values]

    def count(self) -> int:
        return math.floor((self.stop - self.start) / self.step + 1e-9) + 1


Axis = list[Scalar] | RangeAxis


class Variant(BaseModel):
    """One named design in an explicit list (`variants`): an accelerator preset with field overrides and options.

    A dimension like any axis: the sweep crosses models × scenarios × variants × axes, so a step-by-step case study
    (baseline → memory re-balanced → integer non-linear units → fusion) is one sweep of a few named points."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=200)
    accelerator: str | None = Field(default=None, description="Preset of this variant (default: the spec's).")
    overrides: dict[str, Scalar] = Field(default_factory=dict, description="Accelerator fields to set.")
    options: dict[str, Any] = Field(default_factory=dict, description="Simulator options to set.")

MAX_AXIS_VALUES = 100_000  # per axis; the product is capped by settings.max_sweep_points
DEFAULT_SEARCH_BATCH = 30


class SweepSpec(BaseModel):
    """Models × scenarios × variants × accelerator axes × option axes, expanded by `grid` or `random` (seeded), or
    explored by `search` (Optuna NSGA-II/TPE in batches, see workers/search.py)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "name": "demo", "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
            "accelerator": "gemmini-default",
            "axes": {"rows": [8, 16, 32], "cols": [8, 16, 32], "scratchpad_kib": [64, 256]},
            "strategy": "grid", "objectives": ["latency_s", "energy_j"],
        }, {
            "name": "search-demo", "models": ["bert-base"], "scenarios": [{"seq_len": 128}, {"seq_len": 512}],
            "accelerator": "gemmini-default",
            "axes": {"rows": {"min": 4, "max": 128, "step": 4}, "cols": {"min": 4, "max": 128, "step": 4},
                     "scratchpad_kib": [64, 128, 256, 512]},
            "strategy": "search", "budget": 300, "objectives": ["latency_s", "energy_j"],
        }]},
    )

    name: str = Field(min_length=1, max_length=200)
    owner: str | None = Field(default=None, max_length=200, description="Who ran it (free text).")
    models: list[str] = Field(min_length=1, description="Model preset names (see GET /api/presets/models).")
    scenarios: list[dict[str, Any]] = Field(
        default_factory=lambda: [{}], min_length=1,
        description="Scenario fields per scenario: batch, seq_len, prompt_len, generate_len, …")
    accelerator: str = Field(default="gemmini-default", description="Accelerator preset the axes vary.")
    axes: dict[str, Axis] = Field(
        default_factory=dict, description="Accelerator fields to vary: a list of values or {start, stop, step}.")
    model_axes: dict[str, Axis] = Field(
        default_factory=dict,
        description="Model dimensions to vary (architecture search): num_layers, d_model, num_heads, num_kv_heads, "
                    "d_ff, ffn_kind. Illegal combinations (num_heads not dividing d_model, …) are counted in the size "
                    "and stored as error points naming the violated constraint.")
    scenario_axes: dict[str, Axis] = Field(
        default_factory=dict, description="Scenario fields to vary across every scenario (e.g. batch).")
    options: dict[str, Any] = Field(default_factory=dict, description="Fixed simulator options.")
    variants: list[Variant] = Field(
        default_factory=list, description="Explicit designs (label, accelerator preset, overrides, options), crossed "
                                          "with models, scenarios and axes; axes override a variant's fields.")
    option_axes: dict[str, Axis] = Field(default_factory=dict, description="Simulator options to vary.")
    strategy: Literal["grid", "random", "search"] = "grid"
    n_points: int | None = Field(default=None, ge=1, description="Points to draw (strategy `random` only).")
    seed: int = Field(default=0, ge=0, description="Seed of the `random` and `search` strategies.")
    budget: int | None = Field(default=None, ge=1, description="Points to evaluate (strategy `search` only).")
    budget_s: float | None = Field(default=None, gt=0, description="Optional wall-time budget of a `search` "
                                   "(seconds from its start; the running batch finishes).")
    sampler: Literal["nsga2", "tpe", "random"] = Field(
        default="nsga2", description="Optuna sampler of a `search`: NSGA-II, TPE, or random (the baseline).")
    batch_size: int | None = Field(default=None, ge=1, le=10_000, description="Points asked per `search` batch "
                                   "(evaluated in parallel by the workers; NSGA-II's population). Default 30.")
    objectives: list[str] = Field(default_factory=lambda: ["latency_s", "energy_j"], min_length=1)

    @field_validator("axes", "option_axes", "model_axes", "scenario_axes")
    @classmethod
    def _axes_not_empty(cls, axes: dict[str, Axis]) -> dict[str, Axis]:
        for name, axis in axes.items():
            count = axis.count() if isinstance(axis, RangeAxis) else len(axis)
            if count == 0:
                raise ValueError(f"axis '{name}' has no values")
            if count > MAX_AXIS_VALUES:
                raise ValueError(f"axis '{name}' has {count} values; at most {MAX_AXIS_VALUES} per axis")
        return axes

    @field_validator("objectives")
    @classmethod
    def _known_objectives(cls, objectives: list[str]) -> list[str]:
        unknown = [name for name in objectives if name not in NUMERIC_METRICS]
        if unknown:
            raise ValueError(f"unknown objective(s) {', '.join(unknown)}; choose from {', '.join(NUMERIC_METRICS)}")
        return objectives

    @model_validator(mode="after")
    def _strategy_fields(self) -> SweepSpec:
        if self.strategy == "random" and self.n_points is None:
            raise ValueError("strategy 'random' needs n_points (how many points to draw)")
        if self.strategy != "random" and self.n_points is not None:
            raise ValueError("n_points applies to strategy 'random' only; a grid's size is its axes' product "
                             "and a search's is its budget")
        if self.strategy == "search" and self.budget is None:
            raise ValueError("strategy 'search' needs budget (how many points to evaluate)")
        if self.strategy != "search" and (self.budget is not None or self.budget_s is not None
                                          or self.batch_size is not None):
            raise ValueError("budget, budget_s and batch_size apply to strategy 'search' only")
        overlap = set(self.axes) & set(self.option_axes)
        if overlap:
            raise ValueError(f"{', '.join(sorted(overlap))} named in both axes and option_axes")
        return self

    def dimensions(self) -> list[tuple[str, list[Any]]]:
        """The expansion's dimensions, outermost first: model, scenario (by position), axes, option axes."""
        dims: list[tuple[str, list[Any]]] = [("model", list(self.models)),
                                             ("scenario", list(range(len(self.scenarios))))]
        if self.variants:
            dims.append(("variant", list(range(len(self.variants)))))
        for prefix, axes in (("axes", self.axes), ("option_axes", self.option_axes), ("model_axes", self.model_axes),
                             ("scenario_axes", self.scenario_axes)):
            for name, axis in axes.items():
                dims.append((f"{prefix}.{name}", axis.values() if isinstance(axis, RangeAxis) else list(axis)))
        return dims

    def grid_size(self) -> int:
        return math.prod(len(values) for _, values in self.dimensions())

    def size(self) -> int:
        """Points this sweep evaluates, known before it runs (a search: its budget, at most the whole space)."""
        if self.strategy == "random" and self.n_points is not None:
            return self.n_points
        if self.strategy == "search" and self.budget is not None:
            return min(self.budget, self.grid_size())
        return self.grid_size()

    def search_batch_size(self) -> int:
        return self.batch_size or DEFAULT_SEARCH_BATCH


class SweepTooLarge(ValueError):
    pass


def check_size(spec: SweepSpec, max_points: int) -> int:
    size = spec.size()
    if size > max_points:
        raise SweepTooLarge(
            f"sweep '{spec.name}' has {size:,} points, above the limit of {max_points:,} "
            "(DSE_MAX_SWEEP_POINTS); remove axis values, use coarser range steps or strategy 'random' with n_points")
    return size


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """A counter-based hash (SplitMix64): random draws that depend only on (seed, index, dimension)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def choices(spec: SweepSpec, start: int, stop: int) -> list[np.ndarray]:
    """Per dimension, the value position chosen by each point in [start, stop)."""
    dims = spec.dimensions()
    sizes = [len(values) for _, values in dims]
    indices = np.arange(start, stop, dtype=np.int64)
    if spec.strategy == "grid":
        return list(np.unravel_index(indices, sizes)) if indices.size else [indices for _ in sizes]
    with np.errstate(over="ignore"):
        base = np.uint64(spec.seed) * np.uint64(0xD1B54A32D192ED03) + indices.astype(np.uint64) * np.uint64(64)
    return [(_splitmix64(base + np.uint64(d)) % np.uint64(size)).astype(np.int64) for d, size in enumerate(sizes)]


def points(spec: SweepSpec, start: int, stop: int) -> list[dict[str, Any]]:
    """The design points at indices [start, stop): model, scenario, accelerator preset and overrides, options."""
    dims = spec.dimensions()
    picks = choices(spec, start, stop)
    result = []
    for row in range(stop - start):
        point: dict[str, Any] = {"index": start + row, "model": None, "scenario": None,
                                 "accelerator": spec.accelerator, "overrides": {}, "options": dict(spec.options),
                                 "model_dims": {}}
        for (name, values), pick in zip(dims, picks, strict=True):
            value = values[int(pick[row])]
            if name == "model":
                point["model"] = value
            elif name == "scenario":
                point["scenario"] = dict(spec.scenarios[value])
            elif name == "variant":
                apply_variant(point, spec.variants[value])
            elif name.startswith("axes."):
                point["overrides"][name.removeprefix("axes.")] = value
            elif name.startswith("model_axes."):
                point["model_dims"][name.removeprefix("model_axes.")] = value
            elif name.startswith("scenario_axes."):
                point["scenario"][name.removeprefix("scenario_axes.")] = value
            else:
                point["options"][name.removeprefix("option_axes.")] = value
        result.append(point)
    return result


def apply_variant(point: dict[str, Any], variant: Variant) -> None:
    """A variant's preset, overrides and options (applied before the axes, which come later in the dimensions)."""
    point["variant"] = variant.label
    if variant.accelerator:
        point["accelerator"] = variant.accelerator
    point["overrides"].update(variant.overrides)
    point["options"].update(variant.options)
