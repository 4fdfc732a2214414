"""The catalog: every input and output of the simulator, derived from the metadata on its own fields.

A parameter comes from a `Knob` on `PointInputs` (the presets' names), `ModelSpec` (the architecture-search
dimensions), `Scenario`, `AcceleratorSpec` or `Options`; a metric from a `Measure` on `Report`. The result
store's columns, `/api/catalog`, the CLI's flags and the dashboard all read this one list, so a new field is a
new column, flag and form entry without touching them.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from simulator.design_point import PointInputs, ResolvedPoint
from simulator.hardware import AcceleratorSpec
from simulator.hardware.spec import base_values
from simulator.options import Options
from simulator.report import Bound, Report
from simulator.vocabulary import Knob, Measure
from simulator.workload import ModelSpec, Scenario
from simulator.workload.operator import OP_CLASS_LABELS, OpClass, Phase

Source = Literal["point", "model", "scenario", "accelerator", "options", "report"]
ValueType = Literal["float", "int", "str", "bool"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One parameter or metric: how it is stored, labelled, bounded and varied."""

    name: str
    kind: Literal["parameter", "metric"]
    source: Source
    type: ValueType
    label: str
    unit: str = ""
    group: str = ""
    direction: Literal["min", "max"] | None = None
    sweepable: bool = False
    nullable: bool = False
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: bool = False
    maximum: float | None = None
    exclusive_maximum: bool = False
    default: Any = None
    description: str = ""
    stored_as: str = ""
    headline: bool = False
    text_length: int = 0  # characters of a text column beyond the store's default

    @property
    def categorical(self) -> bool:
        return self.type in ("str", "bool")

    @property
    def title(self) -> str:
        """"Latency (s)": for axis titles, table headers and flags' help."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


def _value_type(annotation: Any) -> tuple[ValueType, bool, tuple[str, ...] | None]:
    """(type, nullable, choices) of a field's annotation."""
    args = get_args(annotation)
    if get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        kind, _, choices = _value_type(inner[0])
        return kind, len(inner) < len(args), choices
    if get_origin(annotation) is Literal:
        return "str", False, tuple(str(a) for a in args)
    for python, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if annotation is python:
            return name, False, None
    raise TypeError(f"no catalog type for {annotation!r}")


def _bounds(info: FieldInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            out["minimum"] = item.ge
        elif isinstance(item, annotated_types.Gt):
            out.update(minimum=item.gt, exclusive_minimum=True)
        elif isinstance(item, annotated_types.Le):
            out["maximum"] = item.le
        elif isinstance(item, annotated_types.Lt):
            out.update(maximum=item.lt, exclusive_maximum=True)
    return out


def _entries(model: type[BaseModel], source: Source, defaults: dict[str, Any] | None = None) -> list[Entry]:
    entries = []
    for name, info in model.model_fields.items():
        knob = next((m for m in info.metadata if isinstance(m, Knob | Measure)), None)
        if knob is None or (isinstance(knob, Knob) and not knob.column):
            continue
        kind, nullable, choices = _value_type(info.annotation)
        default = (defaults or {}).get(name, None if info.default is PydanticUndefined else info.default)
        if isinstance(knob, Measure):
            entries.append(Entry(name=name, kind="metric", source=source, type=kind, label=knob.label, unit=knob.unit,
                                 direction=knob.direction, nullable=nullable, choices=choices,
                                 description=info.description or "", headline=knob.headline,
                                 text_length=knob.text_length))
        else:
            entries.append(Entry(name=name, kind="parameter", source=source, type=kind, label=knob.label,
                                 unit=knob.unit, group=knob.group, sweepable=knob.sweepable, nullable=nullable,
                                 choices=choices, default=default, description=info.description or "",
                                 stored_as=knob.stored_as, text_length=knob.text_length, **_bounds(info)))
    return entries


def _point(name: str) -> Entry:
    return next(e for e in _entries(PointInputs, "point") if e.name == name)


PARAMETERS: tuple[Entry, ...] = (
    _point("model"), *_entries(ModelSpec, "model"), *_entries(Scenario, "scenario"), _point("accelerator"),
    _point("variant"), *_entries(AcceleratorSpec, "accelerator", base_values()), *_entries(Options, "options"),
)
METRICS: tuple[Entry, ...] = tuple(_entries(Report, "report"))
BY_NAME: dict[str, Entry] = {entry.name: entry for entry in (*PARAMETERS, *METRICS)}
# What a sweep may vary, by where the field lives (the names a spec's axes use).
ACCELERATOR_FIELDS: tuple[str, ...] = tuple(e.name for e in PARAMETERS if e.source == "accelerator")
OPTION_FIELDS: tuple[str, ...] = tuple(e.name for e in PARAMETERS if e.source == "options")
SCENARIO_FIELDS: tuple[str, ...] = tuple(Scenario.model_fields)
MODEL_DIMENSIONS: tuple[str, ...] = tuple(e.name for e in PARAMETERS if e.source == "model")
# Every op class the simulator reports (the operator graph's, plus host de/quantization), every phase and bound.
OP_CLASSES: tuple[str, ...] = (*get_args(OpClass), "quantization")
if set(OP_CLASSES) != set(OP_CLASS_LABELS):
    raise ImportError(f"OP_CLASS_LABELS must name exactly the op classes {OP_CLASSES}")
PHASES: tuple[str, ...] = get_args(Phase)
BOUNDS: tuple[str, ...] = get_args(Bound)


def entry(name: str) -> Entry:
    """The entry of one name; KeyError when the catalog has none."""
    return BY_NAME[name]


SOURCE_MODELS: dict[Source, type[BaseModel]] = {"point": PointInputs, "model": ModelSpec, "scenario": Scenario,
                                                "accelerator": AcceleratorSpec, "options": Options}


@cache
def _adapter(source: Source, name: str) -> TypeAdapter[Any]:
    info = SOURCE_MODELS[source].model_fields[name]
    return TypeAdapter(typing.Annotated[info.annotation, *info.metadata])


def describe(parameter: Entry) -> str:
    """What a field accepts, in words ("an integer from 1 to 4096", "one of: int4, int8")."""
    if parameter.choices:
        return "one of: " + ", ".join(parameter.choices) + (" (or empty)" if parameter.nullable else "")
    if parameter.type == "bool":
        return "true or false"
    if parameter.type == "str":
        return "text"
    kind = "an integer" if parameter.type == "int" else "a number"
    low, high = parameter.minimum, parameter.maximum
    low_text = None if low is None else f"{'above' if parameter.exclusive_minimum else 'at least'} {_number(low)}"
    high_text = None if high is None else f"{'below' if parameter.exclusive_maximum else 'at most'} {_number(high)}"
    if low is not None and high is not None and not (parameter.exclusive_minimum or parameter.exclusive_maximum):
        return f"{kind} from {_number(low)} to {_number(high)}"
    return " ".join([kind, " and ".join(text for text in (low_text, high_text) if text)]).strip()


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:79] + "…"


def check_value(name: str, value: Any) -> Any:
    """`value` validated against the field's own type and bounds (ValueError naming the field, the value and what is
    valid: "rows: -8 is not an integer from 1 to 4,096"); returns the value as the field holds it ("16" -> 16)."""
    parameter = entry(name)
    try:
        return _adapter(parameter.source, name).validate_python(value)
    except ValidationError:
        raise ValueError(f"{name}: {_shown(value)} is not {describe(parameter)}") from None


def check_field(source: Source, name: str, value: Any) -> Any:
    """`check_value` for any field of `source`'s model, catalogued or not (e.g. a scenario's allow_longer)."""
    if name in BY_NAME and BY_NAME[name].source == source:
        return check_value(name, value)
    try:
        return _adapter(source, name).validate_python(value)
    except ValidationError as error:
        raise ValueError(f"{name}: {_shown(value)} is not valid ({error.errors()[0]['msg']})") from None


def stored(parameter: Entry, value: Any) -> Any:
    """`value` as the column of `parameter` stores it, or None when it is not of the column's type."""
    if value is None:
        return None
    try:
        return check_value(parameter.name, value)
    except ValueError:
        return None


_BY_SOURCE: dict[str, tuple[Entry, ...]] = {source: tuple(e for e in PARAMETERS if e.source == source)
                                            for source in ("point", "model", "scenario", "accelerator", "options")}


@lru_cache(maxsize=8192)
def _fields_of(source: str, holder: Any) -> tuple[tuple[str, Any], ...]:
    """(column, value) of one resolved input (a model, scenario, accelerator or options: frozen, so many points share
    one and it is read once)."""
    if source == "model":
        return tuple((e.name, getattr(holder, e.stored_as or e.name) if isinstance(holder, ModelSpec) else None)
                     for e in _BY_SOURCE[source])
    return tuple((e.name, getattr(holder, e.name)) for e in _BY_SOURCE[source])


def record(inputs: PointInputs, resolved: ResolvedPoint | None,
           report: Report | Mapping[str, Any] | None) -> dict[str, Any]:
    """The flat row of one design point: every parameter (resolved where the inputs were valid, else what of the
    given values is of the column's type) and every metric (None without a report; a report, or its metrics by name
    as simulator.batch gives them)."""
    row: dict[str, Any] = {}
    if resolved is None:
        given: dict[str, Any] = {"model": inputs.model, "accelerator": inputs.accelerator, "variant": inputs.variant,
                                 **inputs.model_dims, **inputs.scenario, **inputs.overrides, **inputs.options}
        for parameter in PARAMETERS:
            row[parameter.name] = stored(parameter, given.get(parameter.name))
    else:
        for parameter in _BY_SOURCE["point"]:
            row[parameter.name] = getattr(inputs, parameter.name)
        for source, holder in (("model", resolved.workload.model), ("scenario", resolved.workload.scenario),
                               ("accelerator", resolved.accelerator), ("options", resolved.options)):
            row.update(_fields_of(source, holder))
        row = {parameter.name: row[parameter.name] for parameter in PARAMETERS}  # the catalog's column order
    for metric in METRICS:
        if report is None:
            row[metric.name] = None
        elif isinstance(report, Mapping):
            row[metric.name] = report[metric.name]
        else:
            row[metric.name] = getattr(report, metric.name)
    return row
