"""The one place the service touches the simulator: spec checks, presets, and evaluating design points.

At import it checks the simulator's contract against the result store's columns (`backend.columns`)
and fails loudly if they drifted, so a new metric or accelerator field is never silently dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

import simulator
from backend.columns import METRICS, PARAMETERS
from backend.sweep_spec import SweepSpec
from simulator import (
    AcceleratorSpec,
    Options,
    Report,
    evaluate,
    evaluate_batch,
    list_accelerator_presets,
    load_accelerator_preset,
)
from simulator.report import METRICS as SIMULATOR_METRICS
from simulator.workload import (
    MODEL_DIMENSIONS,
    Scenario,
    Workload,
    list_model_presets,
    load_model_preset,
    with_dimensions,
)

# AcceleratorSpec fields that describe rather than configure.
_DESCRIPTIVE_FIELDS = {"name", "description"}
# Scenario fields that are switches of the run, not design parameters.
_SCENARIO_SWITCHES = {"allow_longer"}


def _attr(entry: Any, name: str) -> Any:
    return entry[name] if isinstance(entry, dict) else getattr(entry, name)


def _metric_entries() -> list[Any]:
    return list(SIMULATOR_METRICS.values()) if isinstance(SIMULATOR_METRICS, dict) else list(SIMULATOR_METRICS)


def accelerator_fields() -> list[str]:
    return [name for name in AcceleratorSpec.model_fields if name not in _DESCRIPTIVE_FIELDS]


def option_fields() -> list[str]:
    return list(Options.model_fields)


def scenario_fields() -> list[str]:
    return list(Scenario.model_fields)


def _check_contract() -> None:
    simulator_metrics = {_attr(entry, "name") for entry in _metric_entries()}
    if simulator_metrics != set(METRICS):
        raise ImportError(
            "simulator.report.METRICS and backend.columns.METRIC_COLUMNS differ: "
            f"only in the simulator {sorted(simulator_metrics - set(METRICS))}, "
            f"only in the store {sorted(set(METRICS) - simulator_metrics)}; add a column and a migration")
    inputs = [*accelerator_fields(), *option_fields(),
              *(name for name in scenario_fields() if name not in _SCENARIO_SWITCHES)]
    missing = [name for name in inputs if name not in PARAMETERS]
    if missing:
        raise ImportError(f"simulator input fields without a result column: {missing}; add them to "
                          "backend.columns.PARAMETER_COLUMNS and a migration")


_check_contract()


def metric_catalog() -> list[dict[str, Any]]:
    """The simulator's own description of each scalar metric (name, unit, direction, label)."""
    entries = []
    for entry in _metric_entries():
        name = _attr(entry, "name")
        column = METRICS[name]
        entries.append({
            "name": name,
            "unit": _get(entry, "unit", column.unit),
            "direction": _get(entry, "direction", column.direction) or None,
            "label": _get(entry, "label", column.label),
            "type": column.type,
        })
    return entries


def _get(entry: Any, name: str, default: Any) -> Any:
    try:
        value = _attr(entry, name)
    except (KeyError, AttributeError):
        return default
    return default if value is None else value


def check_spec(spec: SweepSpec) -> None:
    """Names in the spec must exist in the simulator; raises ValueError with the valid names."""
    models = set(list_model_presets())
    unknown_models = [name for name in spec.models if name not in models]
    if unknown_models:
        raise ValueError(f"unknown model preset(s) {', '.join(unknown_models)}; "
                         f"available: {', '.join(sorted(models))}")
    presets = set(list_accelerator_presets())
    if spec.accelerator not in presets:
        raise ValueError(f"unknown accelerator preset '{spec.accelerator}'; available: {', '.join(sorted(presets))}")
    valid_axes = accelerator_fields()
    unknown_axes = [name for name in spec.axes if name not in valid_axes]
    if unknown_axes:
        raise ValueError(f"unknown accelerator axis {', '.join(unknown_axes)}; valid: {', '.join(valid_axes)}")
    valid_options = option_fields()
    unknown_options = [name for name in (*spec.options, *spec.option_axes) if name not in valid_options]
    if unknown_options:
        raise ValueError(f"unknown option(s) {', '.join(unknown_options)}; valid: {', '.join(valid_options)}")
    unknown_dims = [name for name in spec.model_axes if name not in MODEL_DIMENSIONS]
    if unknown_dims:
        raise ValueError(f"unknown model axis {', '.join(unknown_dims)}; valid: {', '.join(MODEL_DIMENSIONS)}")
    valid_scenario = scenario_fields()
    unknown_scenario = [name for name in spec.scenario_axes if name not in valid_scenario]
    if unknown_scenario:
        raise ValueError(f"unknown scenario axis {', '.join(unknown_scenario)}; valid: {', '.join(valid_scenario)}")
    for variant in spec.variants:
        if variant.accelerator is not None and variant.accelerator not in presets:
            raise ValueError(f"variant '{variant.label}': unknown accelerator preset '{variant.accelerator}'; "
                             f"available: {', '.join(sorted(presets))}")
        unknown = [name for name in variant.overrides if name not in valid_axes] + [
            name for name in variant.options if name not in valid_options]
        if unknown:
            raise ValueError(f"variant '{variant.label}': unknown field(s) {', '.join(unknown)}; valid: "
                             f"{', '.join(valid_axes)} (accelerator) and {', '.join(valid_options)} (options)")
    for position, scenario in enumerate(spec.scenarios):
        unknown = [name for name in scenario if name not in valid_scenario]
        if unknown:
            raise ValueError(f"scenario {position + 1}: unknown field(s) {', '.join(unknown)}; "
                             f"valid: {', '.join(valid_scenario)}")


def model_presets() -> list[dict[str, Any]]:
    return [_model(name).model_dump(mode="json") for name in list_model_presets()]


def accelerator_presets() -> list[dict[str, Any]]:
    return [load_accelerator_preset(name).model_dump(mode="json") for name in list_accelerator_presets()]


@lru_cache(maxsize=64)
def _model(name: str) -> Any:
    return load_model_preset(name)


@lru_cache(maxsize=4096)
def _accelerator(name: str, overrides: tuple[tuple[str, Any], ...]) -> AcceleratorSpec:
    return load_accelerator_preset(name, **dict(overrides))


@dataclass
class Outcome:
    """One evaluated point as a result row: parameter and metric columns, full inputs, report, or an error."""

    index: int
    columns: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] | None = None  # the Report's non-scalar parts: ops, cycles by class, area breakdown
    error: str | None = None


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in error.errors())
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return text if isinstance(error, KeyError) else f"{type(error).__name__}: {text}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    return value


def _scalar(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _build(point: dict[str, Any], outcome: Outcome) -> tuple[Workload, AcceleratorSpec, Options]:
    """Inputs of one point; the outcome's parameter columns are filled as far as the inputs are valid."""
    columns = outcome.columns
    columns["model"] = point["model"]
    columns["accelerator"] = point["accelerator"]
    columns.update({k: v for k, v in point["scenario"].items() if k in PARAMETERS})
    columns.update({k: v for k, v in point["overrides"].items() if k in PARAMETERS})
    columns.update({k: v for k, v in point["options"].items() if k in PARAMETERS})
    dims = point.get("model_dims") or {}
    columns.update({k: v for k, v in dims.items() if k in PARAMETERS})
    scenario = Scenario(**point["scenario"])
    model = with_dimensions(_model(point["model"]), **dims) if dims else _model(point["model"])
    workload = Workload(model=model, scenario=scenario)
    if model.family != "cnn":
        columns.update({name: getattr(model, name) for name in MODEL_DIMENSIONS if name in PARAMETERS})
        if "num_kv_heads" in PARAMETERS:
            columns["num_kv_heads"] = model.kv_heads
    columns.update({k: v for k, v in scenario.model_dump().items() if k in PARAMETERS})
    accelerator = _accelerator(point["accelerator"], tuple(sorted(point["overrides"].items())))
    columns.update({k: v for k, v in accelerator.model_dump().items() if k in PARAMETERS})
    options = Options(**point["options"])
    columns.update({k: _scalar(v) for k, v in options.model_dump(mode="json").items() if k in PARAMETERS})
    return workload, accelerator, options


def _record(outcome: Outcome, report: Report) -> None:
    for name in METRICS:
        outcome.columns[name] = _scalar(getattr(report, name))
    outcome.report = {name: _jsonable(getattr(report, name)) for name in type(report).model_fields
                      if name not in METRICS}


def evaluate_points(points: list[dict[str, Any]]) -> list[Outcome]:
    """Evaluate design points in one simulator batch; a failing point records its error, the rest go on."""
    outcomes = [Outcome(index=point["index"], params={k: v for k, v in point.items() if k != "index"})
                for point in points]
    items: list[tuple[Outcome, tuple[Workload, AcceleratorSpec, Options]]] = []
    for point, outcome in zip(points, outcomes, strict=True):
        try:
            items.append((outcome, _build(point, outcome)))
        except (ValueError, KeyError, TypeError) as error:  # pydantic's ValidationError is a ValueError
            outcome.error = _message(error)
    if not items:
        return outcomes
    try:
        reports = evaluate_batch([item for _, item in items])
    except Exception:  # noqa: BLE001 - one bad point fails the batch: evaluate one by one to find it
        for outcome, item in items:
            try:
                _record(outcome, evaluate(*item))
            except Exception as error:  # noqa: BLE001 - recorded on the point, the sweep goes on
                outcome.error = _message(error)
        return outcomes
    for (outcome, _), report in zip(items, reports, strict=True):
        _record(outcome, report)
    return outcomes


def simulator_version() -> str:
    return getattr(simulator, "__version__", "unknown")
