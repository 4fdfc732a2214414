"""`SweepSpec`: what a sweep explores, its size before anything runs, and the design point at any index.

A design point is a pure function of (spec, index): `spec.point(i)` (and `spec.points(start, stop)` for a chunk)
expands it the same way every time, so a retried chunk recomputes the same points and the unique (sweep, index)
key makes its writes idempotent. Every name in a spec (presets, axes, options, scenario fields) is checked against
the simulator's catalog when the spec is validated; sizes are computed per axis, never by expanding the product.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from backend.columns import METRICS, NUMERIC_METRICS, TEXT_COLUMN_LENGTH
from backend.core.errors import message
from backend.core.limits import MAX_SPEC_BYTES
from backend.sweeps.templates import SWEEP_TEMPLATE_IDS
from simulator import catalog, list_accelerator_presets, list_model_presets
from simulator.design_point import Definitions, PointInputs
from simulator.hardware import accelerator_from_definition
from simulator.workload import AnyModelSpec, Scenario, Workload, load_model_preset, model_from_data

Scalar = int | float | str | bool


class RangeAxis(BaseModel):
    """`start` to `stop` inclusive in steps of `step` (e.g. rows 8..64 step 8); `min`/`max` are accepted too."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: float = Field(validation_alias=AliasChoices("start", "min"), allow_inf_nan=False, strict=True)
    stop: float = Field(validation_alias=AliasChoices("stop", "max"), allow_inf_nan=False, strict=True)
    step: float = Field(gt=0, allow_inf_nan=False, strict=True)

    @model_validator(mode="after")
    def _ordered(self) -> RangeAxis:
        if self.stop < self.start:
            raise ValueError(f"range stop {self.stop} is below start {self.start}")
        if not math.isfinite((self.stop - self.start) / self.step):
            raise ValueError(f"range {self.start} to {self.stop} in steps of {self.step} has too many values")
        return self

    @property
    def integral(self) -> bool:
        return all(float(x).is_integer() for x in (self.start, self.step))

    def count(self) -> int:
        return math.floor((self.stop - self.start) / self.step + 1e-9) + 1

    def value(self, position: int) -> int | float:
        value = self.start + position * self.step
        return int(value) if self.integral else round(value, 12)

    def values(self) -> list[int | float]:
        return [self.value(i) for i in range(self.count())]


Axis = list[Scalar] | RangeAxis
DimensionGroup = Literal["model", "scenario", "variant", "axes", "option_axes", "model_axes", "scenario_axes"]
AXIS_GROUPS: tuple[DimensionGroup, ...] = ("axes", "option_axes", "model_axes", "scenario_axes")


@dataclass(frozen=True, slots=True)
class Dimension:
    """One dimension of a sweep's space: the models, the scenarios (by position), the variants (by position), or one
    axis of a group (`axes`: accelerator fields, `option_axes`, `model_axes`, `scenario_axes`).

    Its `key` ("model", "axes.rows") names it in estimates and in a search's Optuna parameters."""

    group: DimensionGroup
    name: str
    axis: RangeAxis | tuple[Any, ...]

    @property
    def key(self) -> str:
        return f"{self.group}.{self.name}" if self.group in AXIS_GROUPS else self.group

    @property
    def count(self) -> int:
        return self.axis.count() if isinstance(self.axis, RangeAxis) else len(self.axis)

    def value(self, position: int) -> Any:
        return self.axis.value(position) if isinstance(self.axis, RangeAxis) else self.axis[position]

    def values(self) -> list[Any]:
        return self.axis.values() if isinstance(self.axis, RangeAxis) else list(self.axis)


class Variant(BaseModel):
    """One named design in an explicit list (`variants`): an accelerator preset with field overrides and options.

    A dimension like any axis: the sweep crosses models × scenarios × variants × axes, so a step-by-step case study
    (baseline → memory re-balanced → integer non-linear units → fusion) is one sweep of a few named points."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=TEXT_COLUMN_LENGTH)  # stored in the points' `variant` column
    accelerator: str | None = Field(default=None, description="Preset of this variant (default: the spec's).")
    overrides: dict[str, Scalar] = Field(default_factory=dict, description="Accelerator fields to set.")
    options: dict[str, Any] = Field(default_factory=dict, description="Simulator options to set.")


MAX_AXIS_VALUES = 100_000  # per axis; the product is capped by settings.max_sweep_points
# What one spec may name, checked before anything is parsed further (a request never expands or holds more).
MAX_AXES = 32  # over axes, option_axes, model_axes and scenario_axes together
MAX_LIST_ITEMS = {"models": 64, "scenarios": 256, "variants": 256, "objectives": 8, "model_definitions": 64,
                  "accelerator_definitions": 64}
# Points per `search` batch by sampler: NSGA-II's population as benchmarks/search_quality.py measures it (fewer,
# larger batches: each costs a driver step, benchmarks/search_speed.py); TPE learns from each batch, so smaller.
DEFAULT_SEARCH_BATCH = {"nsga2": 100, "tpe": 30, "random": 100}
# The names a spec's axes may use, per group (fields a sweep may vary, from the simulator's catalog).
AXIS_NAMES: dict[str, tuple[str, ...]] = {
    "axes": tuple(e.name for e in catalog.PARAMETERS if e.source == "accelerator" and e.sweepable),
    "option_axes": catalog.OPTION_FIELDS,
    "model_axes": catalog.MODEL_DIMENSIONS,
    "scenario_axes": tuple(e.name for e in catalog.PARAMETERS if e.source == "scenario" and e.sweepable),
}
LIBRARY_HINT = ", or a {kind} of the team library (`dse {kind} list`)"
AXIS_SOURCES: dict[str, catalog.Source] = {"axes": "accelerator", "option_axes": "options", "model_axes": "model",
                                           "scenario_axes": "scenario"}
AXIS_WHAT = {"axes": "accelerator axis", "option_axes": "option", "model_axes": "model axis",
             "scenario_axes": "scenario axis"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One refused value: where it is in the spec (a pydantic location), why, and the value."""

    loc: tuple[str | int, ...]
    message: str
    value: Any


BOOLEAN_FOR_NUMBER = "a boolean (true/false) where a number is meant; write the number"


def boolean_for_number(source: catalog.Source, name: str, value: Any) -> bool:
    """`seq_len: true`: pydantic's lax mode (which reads "16" as 16, as a YAML or form value needs) would read a
    boolean as 1; a boolean is refused where the field does not hold one."""
    if type(value) is not bool:
        return False
    try:
        return type(catalog.check_field(source, name, value)) is not bool
    except (KeyError, ValueError):  # an unknown name or a refused value: said by the checks that follow
        return False


def _ends(axis: Axis) -> list[Any]:
    """An axis's smallest and largest values (numbers), else its first and last."""
    values = [axis.value(0), axis.value(axis.count() - 1)] if isinstance(axis, RangeAxis) else list(axis)
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    ends = [min(numbers), max(numbers)] if len(numbers) == len(values) else [values[0], values[-1]]
    return list(dict.fromkeys(ends))


def unknown_names(what: str, names: Iterable[str], valid: Iterable[str], also: str = "") -> str | None:
    """"unknown accelerator axis 'rowz' (did you mean rows?); valid: …", or None when every name is valid."""
    valid = list(valid)
    unknown = [name for name in names if name not in valid]
    if not unknown:
        return None
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        hints.append(f"'{name}'" + (f" (did you mean {close[0]}?)" if close else ""))
    return f"unknown {what} {', '.join(hints)}; valid: {', '.join(valid)}{also}"


def unknown_axis(group: str, name: str) -> str | None:
    """Why an axis name is refused, or None: an option named as an accelerator axis (or the reverse) is told where it
    belongs; any other unknown name gets a did-you-mean over accelerator fields and options alike, and both lists."""
    if name in AXIS_NAMES[group]:
        return None
    if group == "axes" and name in AXIS_NAMES["option_axes"]:
        return f"'{name}' is a simulator option, not an accelerator field: vary it under option_axes"
    if group == "option_axes" and name in AXIS_NAMES["axes"]:
        return f"'{name}' is an accelerator field, not an option: vary it under axes"
    if group not in ("axes", "option_axes"):
        return unknown_names(AXIS_WHAT[group], [name], AXIS_NAMES[group])
    both = (*AXIS_NAMES["axes"], *AXIS_NAMES["option_axes"])
    close = difflib.get_close_matches(name, both, n=1, cutoff=0.6)
    hint = ""
    if close:
        where = "option" if close[0] in AXIS_NAMES["option_axes"] else "accelerator field"
        hint = f" (did you mean the {where} {close[0]}?)"
    return (f"unknown axis '{name}'{hint}; accelerator fields (axes): {', '.join(AXIS_NAMES['axes'])}; "
            f"options (option_axes): {', '.join(AXIS_NAMES['option_axes'])}")


# Fields whose errors do not hide the rest: they are set aside (or given a stand-in) and the spec checked again,
# so one answer names every mistake (an unknown axis as well as an empty name).
STAND_INS: dict[str, Any] = {"name": "stand-in", "owner": None, "objectives": None, "n_points": None, "seed": None,
                             "budget": None, "budget_s": None, "batch_size": None, "sampler": None, "template": None}


def every_problem(data: Any, error: ValidationError) -> list[Any]:
    """pydantic's errors for `data`, and when they are all in fields of STAND_INS, the errors of the checks that
    needed those fields valid first (names, values), found by checking again without them."""
    errors = list(error.errors())
    bad = {e["loc"][0] for e in errors if e["loc"]}
    if not isinstance(data, dict) or not bad or not bad <= STAND_INS.keys():
        return errors
    retry = {key: value for key, value in data.items() if key not in bad}
    retry.update({key: STAND_INS[key] for key in bad if STAND_INS[key] is not None})
    if data.get("strategy") == "random" and "n_points" in bad:
        retry["n_points"] = 1
    if data.get("strategy") == "search" and "budget" in bad:
        retry["budget"] = 1
    try:
        SweepSpec.model_validate(retry)
    except ValidationError as more:
        errors += [e for e in more.errors() if not e["loc"] or e["loc"][0] not in bad]
    return errors


class SweepSpec(BaseModel):
    """Models × scenarios × variants × accelerator axes × option axes, expanded by `grid` or `random` (seeded), or
    explored by `search` (Optuna NSGA-II/TPE in batches, see backend/sweeps/search_store.py)."""

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
    models: list[str] = Field(min_length=1, description=(
        "Model names: packaged presets (GET /api/presets/models), the team library's (GET /api/models) or this "
        "spec's model_definitions."))
    scenarios: list[dict[str, Any]] = Field(
        default_factory=lambda: [{}], min_length=1,
        description="Scenario fields per scenario: batch, seq_len, prompt_len, generate_len, …")
    accelerator: str = Field(default="gemmini-default", description=(
        "Accelerator the axes vary: a packaged preset, a library accelerator (GET /api/accelerators) or one of "
        "accelerator_definitions."))
    model_definitions: dict[str, dict[str, Any]] = Field(default_factory=dict, description=(
        "Models this sweep defines: name -> model fields in the presets' format. A library model named in `models` "
        "is copied here when the sweep is created, so the stored sweep never depends on the library."))
    accelerator_definitions: dict[str, dict[str, Any]] = Field(default_factory=dict, description=(
        "Accelerators this sweep defines: name -> AcceleratorSpec fields (and an optional `options` block). A "
        "library accelerator is copied here when the sweep is created."))
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
    # strict: a boolean is not a number here (lax mode reads `true` as 1)
    n_points: int | None = Field(default=None, ge=1, strict=True, description="Points to draw (strategy `random` "
                                 "only).")
    seed: int = Field(default=0, ge=0, strict=True, description="Seed of the `random` and `search` strategies.")
    budget: int | None = Field(default=None, ge=1, strict=True, description="Points to evaluate (strategy `search` "
                               "only).")
    budget_s: float | None = Field(default=None, gt=0, strict=True, description="Optional wall-time budget of a "
                                   "`search` (seconds from its start; the running batch finishes).")
    sampler: Literal["nsga2", "tpe", "random"] = Field(
        default="nsga2", description="Optuna sampler of a `search`: NSGA-II, TPE, or random (the baseline).")
    batch_size: int | None = Field(default=None, ge=1, le=10_000, strict=True, description="Points per `search` "
                                   "batch (evaluated in parallel by the workers; NSGA-II's population). Default 100, "
                                   "TPE 30.")
    objectives: list[str] = Field(default_factory=lambda: ["latency_s", "energy_j"], min_length=1)
    template: str | None = Field(default=None, description=(
        "The built-in sweep template (GET /api/templates) this sweep was made from: it picks the page that tells "
        "the study's story, with the template's published figures beside the sweep's."))

    @field_validator("template")
    @classmethod
    def _known_template(cls, name: str | None) -> str | None:
        if name is not None and name not in SWEEP_TEMPLATE_IDS:
            raise ValueError(f"unknown template '{name[:64]}'; the sweep templates are {', '.join(SWEEP_TEMPLATE_IDS)}")
        return name

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        """Counts first: a spec naming hundreds of axes or scenarios is refused before any of them is parsed."""
        if not isinstance(data, dict):
            return data
        axes = sum(len(data[group]) for group in AXIS_GROUPS if isinstance(data.get(group), dict))
        if axes > MAX_AXES:
            raise ValueError(f"the spec names {axes} axes; at most {MAX_AXES} (axes, option_axes, model_axes and "
                             "scenario_axes together)")
        for name, cap in MAX_LIST_ITEMS.items():
            if isinstance(data.get(name), list | dict) and len(data[name]) > cap:
                raise ValueError(f"{name} has {len(data[name])} entries; at most {cap}")
        return data

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
        unknown = unknown_names("objective", objectives, NUMERIC_METRICS)
        if unknown:
            raise ValueError(unknown)
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

    @field_validator("model_definitions")
    @classmethod
    def _models_defined(cls, definitions: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, data in definitions.items():
            try:
                model_from_data(data)
            except (ValueError, TypeError) as error:
                raise ValueError(f"model definition '{name[:80]}': {message(error)}") from None
        return definitions

    @field_validator("accelerator_definitions")
    @classmethod
    def _accelerators_defined(cls, definitions: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, data in definitions.items():
            try:
                accelerator_from_definition(data)
            except (ValueError, TypeError) as error:
                raise ValueError(f"accelerator definition '{name[:80]}': {message(error)}") from None
        return definitions

    @model_validator(mode="after")
    def _names_and_values_valid(self, info: ValidationInfo) -> SweepSpec:
        """Every name a spec uses exists and every value is valid, refused together and each where it stands
        (`axes.weight_precision`, `scenarios.0.seq_len`), so one answer names every mistake and a form marks each on
        its row. A stored spec (`stored`) has its names checked, not its values (see `_value_problems`)."""
        problems = self._name_problems()
        if not (info.context and info.context.get("stored")):
            problems += self._value_problems(skip={problem.loc for problem in problems})
            if not problems:
                problems = self._scenarios_nobody_runs()
        if problems:
            raise ValidationError.from_exception_data("SweepSpec", [
                InitErrorDetails(type=PydanticCustomError("value_error", problem.message), loc=problem.loc,
                                 input=problem.value) for problem in problems[:20]])
        return self

    def _name_problems(self) -> list[Problem]:
        """Every model, accelerator, axis, option and scenario field a spec names exists."""
        models = (*list_model_presets(), *self.model_definitions)
        accelerators = (*list_accelerator_presets(), *self.accelerator_definitions)
        found: list[tuple[tuple[str | int, ...], str | None]] = [
            (("models",), unknown_names("model", self.models, models, LIBRARY_HINT.format(kind="model"))),
            (("accelerator",), unknown_names("accelerator", [self.accelerator], accelerators,
                                             LIBRARY_HINT.format(kind="accelerator")))]
        for group in AXIS_GROUPS:
            found += [((group, name), unknown_axis(group, name)) for name in getattr(self, group)]
        found += [(("options", name), unknown_names("option", [name], AXIS_NAMES["option_axes"]))
                  for name in self.options]
        for position, scenario in enumerate(self.scenarios):
            found += [(("scenarios", position, name), unknown_names(f"field of scenario {position + 1}", [name],
                                                                     catalog.SCENARIO_FIELDS)) for name in scenario]
        for position, variant in enumerate(self.variants):
            for problem in (unknown_names("accelerator", [variant.accelerator] if variant.accelerator else [],
                                          accelerators),
                            unknown_names("accelerator field", variant.overrides, AXIS_NAMES["axes"]),
                            unknown_names("option", variant.options, AXIS_NAMES["option_axes"])):
                found.append((("variants", position), problem and f"variant '{variant.label}': {problem}"))
        return [Problem(loc, text, loc[-1]) for loc, text in found if text]

    def _value_problems(self, skip: set[tuple[str | int, ...]]) -> list[Problem]:
        """Every value is of its field's type and within its bounds, and every scenario runs on at least one of the
        models: what fails for a value alone is refused here (naming the value and what is valid), not point by
        point in a worker. Values come back as their fields hold them ("16" -> 16). A stored spec was checked when it
        was submitted and is not checked again. Names in `skip` (unknown ones) are not checked."""
        problems: list[Problem] = []

        def check(loc: tuple[str | int, ...], source: catalog.Source, name: str, value: Any) -> Any:
            if loc in skip or loc[:2] in skip:  # an unknown name (or a variant naming one) has no value to check
                return value
            if boolean_for_number(source, name, value):
                problems.append(Problem(loc, BOOLEAN_FOR_NUMBER, value))
                return value
            try:
                checked = catalog.check_field(source, name, value)
            except ValueError as error:
                problems.append(Problem(loc, str(error).removeprefix(f"{name}: "), value))
                return value
            # a whole number for a float field stays as given (64, not 64.0); anything else as the field holds it
            return value if type(value) is int and isinstance(checked, float) else checked

        for group in AXIS_GROUPS:
            source = AXIS_SOURCES[group]
            axes = getattr(self, group)
            for name, axis in axes.items():
                if isinstance(axis, RangeAxis):  # both ends and the first step (an integer field needs whole steps)
                    for position in sorted({0, min(1, axis.count() - 1), axis.count() - 1}):
                        check((group, name), source, name, axis.value(position))
                else:
                    axes[name] = [check((group, name), source, name, value) for value in axis]
        self.options = {name: check(("options", name), "options", name, v) for name, v in self.options.items()}
        self.scenarios = [{name: check(("scenarios", i, name), "scenario", name, v) for name, v in scenario.items()}
                          for i, scenario in enumerate(self.scenarios)]
        for i, variant in enumerate(self.variants):
            variant.overrides = {name: check(("variants", i, "overrides", name), "accelerator", name, v)
                                 for name, v in variant.overrides.items()}
            variant.options = {name: check(("variants", i, "options", name), "options", name, v)
                               for name, v in variant.options.items()}
        return problems

    @classmethod
    def stored(cls, data: Any) -> SweepSpec:
        """The spec as a sweep stored it: checked at its submission (perhaps by an older version with fewer checks),
        so a value it holds that a newer check refuses fails its points in the worker instead of the whole sweep."""
        return cls.model_validate(data, context={"stored": True})

    def model_of(self, name: str) -> AnyModelSpec:
        return model_from_data(self.model_definitions[name]) if name in self.model_definitions else (
            load_model_preset(name))

    def _scenarios_nobody_runs(self) -> list[str]:
        """Each scenario, with each scenario axis at its ends, against the models: one that no model can run (a
        decoder's lengths for an encoder-only sweep, a length past every model's max positions) is refused; one
        that only some models run is a mixed sweep, and its other combinations fail point by point."""
        models: dict[str, AnyModelSpec] = {}
        for name in self.models:  # models that behave alike for these checks are checked once
            model = self.model_of(name)
            key = model.name if model.family == "cnn" else f"{model.family}/{model.max_positions}/{model.is_vision}"
            models.setdefault(key, model)
        ends = {name: _ends(axis) for name, axis in self.scenario_axes.items()}
        problems: list[Problem] = []
        for position, scenario in enumerate(self.scenarios):
            base = {**scenario, **{name: values[0] for name, values in ends.items()}}
            candidates: dict[str, tuple[tuple[str | int, ...], str]] = {
                json.dumps(base, sort_keys=True): (("scenarios", position), "")}
            for name, values in ends.items():
                for value in values[1:]:
                    candidates.setdefault(json.dumps({**base, name: value}, sort_keys=True),
                                          (("scenario_axes", name), f"{name}={value} with scenario {position + 1}: "))
            for text, (loc, prefix) in candidates.items():
                reasons = []
                for model in models.values():
                    try:
                        Workload(model=model, scenario=Scenario(**json.loads(text)))
                        break
                    except ValueError as error:
                        reasons.append(message(error))
                else:
                    problems.append(Problem(loc, f"{prefix}no model of the sweep runs it "
                                                 f"({'; '.join(dict.fromkeys(reasons))})", json.loads(text)))
        return problems

    def definitions(self) -> Definitions:
        """The models and accelerators the spec defines (a point resolves its names through them)."""
        return Definitions(self.model_definitions, self.accelerator_definitions)

    def dimensions(self) -> list[Dimension]:
        """The expansion's dimensions, outermost first: model, scenario, variant, then each group's axes."""
        dims = [Dimension("model", "", tuple(self.models)),
                Dimension("scenario", "", tuple(range(len(self.scenarios))))]
        if self.variants:
            dims.append(Dimension("variant", "", tuple(range(len(self.variants)))))
        for group in AXIS_GROUPS:
            for name, axis in getattr(self, group).items():
                dims.append(Dimension(group, name, axis if isinstance(axis, RangeAxis) else tuple(axis)))
        return dims

    def grid_size(self) -> int:
        return math.prod(dimension.count for dimension in self.dimensions())

    def size(self) -> int:
        """Points this sweep evaluates, known before it runs (a search: its budget, at most the whole space)."""
        if self.strategy == "random" and self.n_points is not None:
            return self.n_points
        if self.strategy == "search" and self.budget is not None:
            return min(self.budget, self.grid_size())
        return self.grid_size()

    def search_batch_size(self) -> int:
        return self.batch_size or DEFAULT_SEARCH_BATCH[self.sampler]

    def directions(self) -> list[Literal["min", "max"]]:
        """Each objective's direction (the metric's own)."""
        return [METRICS[name].direction or "min" for name in self.objectives]

    def point_of(self, values: Mapping[str, Any]) -> PointInputs:
        """The design point with these values, keyed by dimension (`Dimension.key`; scenario and variant by
        position). A variant applies its preset, overrides and options before any axis, which may override them."""
        fields: dict[str, Any] = {"accelerator": self.accelerator, "overrides": {}, "options": dict(self.options),
                                  "model_dims": {}}
        for dimension in self.dimensions():
            value = values[dimension.key]
            if dimension.group == "model":
                fields["model"] = value
            elif dimension.group == "scenario":
                fields["scenario"] = dict(self.scenarios[int(value)])
            elif dimension.group == "variant":
                variant = self.variants[int(value)]
                fields["variant"] = variant.label
                fields["accelerator"] = variant.accelerator or fields["accelerator"]
                fields["overrides"].update(variant.overrides)
                fields["options"].update(variant.options)
            else:
                target = {"axes": "overrides", "option_axes": "options", "model_axes": "model_dims",
                          "scenario_axes": "scenario"}[dimension.group]
                fields[target][dimension.name] = value
        return PointInputs(**fields)

    def points(self, start: int, stop: int) -> list[PointInputs]:
        """The design points at indices [start, stop) of a grid or random sweep."""
        dims = self.dimensions()
        picks = choices(self, start, stop)
        return [self.point_of({dimension.key: dimension.value(int(pick[row])) for dimension, pick in zip(
            dims, picks, strict=True)}) for row in range(stop - start)]

    def point(self, index: int) -> PointInputs:
        return self.points(index, index + 1)[0]


def varied_columns(spec: Mapping[str, Any]) -> list[str]:
    """The result columns a stored spec varies (the model, scenario fields, each axis, what variants set); read from
    the stored JSON, so a sweep stays readable whatever the presets became since."""
    names = ["model", *(key for scenario in spec.get("scenarios", [{}]) for key in scenario)]
    for group in AXIS_GROUPS:
        names += list(spec.get(group, {}))
    if spec.get("variants"):
        names.append("variant")
    for variant in spec.get("variants", []):
        names += ["accelerator", *variant.get("overrides", {}), *variant.get("options", {})]
    return [name for name in dict.fromkeys(names) if name in catalog.BY_NAME]


class SweepTooLarge(ValueError):
    pass


def check_size(spec: SweepSpec, max_points: int) -> int:
    stored = len(spec.model_dump_json())
    if stored > MAX_SPEC_BYTES:
        raise SweepTooLarge(f"sweep '{spec.name[:80]}' is {stored:,} bytes of JSON, above the {MAX_SPEC_BYTES:,} a "
                            "sweep may store; use range axes ({start, stop, step}) instead of long value lists")
    size = spec.size()
    if size > max_points:
        raise SweepTooLarge(
            f"sweep '{spec.name[:80]}' has {size:,} points, above the limit of {max_points:,} "
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
    sizes = [dimension.count for dimension in spec.dimensions()]
    indices = np.arange(start, stop, dtype=np.int64)
    if spec.strategy == "grid":
        return list(np.unravel_index(indices, sizes)) if indices.size else [indices for _ in sizes]
    with np.errstate(over="ignore"):
        base = np.uint64(spec.seed) * np.uint64(0xD1B54A32D192ED03) + indices.astype(np.uint64) * np.uint64(64)
    return [(_splitmix64(base + np.uint64(d)) % np.uint64(size)).astype(np.int64) for d, size in enumerate(sizes)]
