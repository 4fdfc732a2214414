"""Calibration: fit a preset's free constants to a user's measured cycles per operator class.

Why: the host's cycles per element, the DMA's round trip to DRAM and the array's efficiency on GEMMs are
first-principles estimates in the presets. A user with RTL or FireSim numbers of their own chip fits them here and
gets a preset that reproduces those numbers and says it is calibrated (its `calibration:` block,
simulator/hardware/calibration.py).

Measurements are rows of (model, scenario, accelerator, op class, cycles); `matmul` stands for the sum of every
GEMM operator (published splits lump them). The fit minimises sum over rows of log(simulated / measured)^2 over
the logarithms of the chosen constants, within each field's own bounds (scipy's least_squares, trust-region
reflective), evaluating every configuration through `simulator.evaluate` with the options its accelerator assumes.
Each row is then predicted by a refit without it (leave-one-out). A system the rows cannot determine (fewer rows
than constants, a constant no row moves, constants that move the rows together) is refused with the reason, never
fitted. Pure: the caller reads the file and passes its text; nothing here writes.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydantic import ValidationError

from simulator import catalog
from simulator.design_point import NO_DEFINITIONS, Definitions, PointInputs, ResolvedPoint
from simulator.evaluate import evaluate
from simulator.hardware import AcceleratorSpec, load_accelerator_preset_data
from simulator.hardware.spec import NONLINEAR_CLASSES, NOT_FIELDS
from simulator.hardware.technology import Technology
from simulator.options import Options
from simulator.report import Report

MATMUL = "matmul"  # a measured class: the sum of every GEMM operator's cycles
MEASURABLE: tuple[str, ...] = (*catalog.OP_CLASSES, MATMUL)
REQUIRED_COLUMNS: tuple[str, ...] = ("model", "seq_len", "accelerator", "op_class", "cycles")
OPTIONAL_COLUMNS: tuple[str, ...] = ("prompt_len", "generate_len", "batch")
HOST_CONSTANTS: tuple[str, ...] = tuple(f"host_cycles_per_element_{c}" for c in NONLINEAR_CLASSES)
# What a calibration may fit: constants the presets estimate rather than read from a design (docs/simulator.md,
# "Calibration"). dram_latency_cycles is the DMA's set-up: with its requests in flight it sets the bandwidth the
# DMA sustains from DRAM (AcceleratorSpec.dram_link_bytes_per_cycle) and each GEMM's first-tile latency.
FREE_CONSTANTS: tuple[str, ...] = (*HOST_CONSTANTS, "nonlinear_passes", "nonlinear_elements_per_cycle",
                                   "dram_latency_cycles", "gemm_efficiency")
# A field whose range starts at 0 is fitted in log space from this floor (integers: from 1).
POSITIVE_FLOOR = 1e-3
SIGNIFICANT_DIGITS = 4  # a fitted float is written with this many (its errors are those of the written value)
_FLOAT_STEP = 1e-3  # relative step of the finite-difference Jacobian; an integer field moves by >= 1 (1 %)
_MOVES = 1e-6  # |d log(cycles) / d log(constant)| below this on every row: no row moves the constant
# The fit stops when a step moves the log-constants by less than 1e-4 (relative): below the 4 significant digits it
# writes, and coarse enough that an integer constant's rounding (a plateau between whole values) does not keep it
# searching; or when the squared error improves by less than 1e-6 of itself.
_XTOL, _FTOL = 1e-4, 1e-6


class CalibrationError(ValueError):
    """Measurements or a request the calibration cannot use; the message names the line and the problem."""


class UnderDetermined(CalibrationError):
    """The rows cannot determine the constants asked for; the message says why and what to change."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured row; `where` names it in errors ("line 7" of a file, "row 3" of a JSON list)."""

    where: str
    model: str
    accelerator: str
    op_class: str
    cycles: float
    seq_len: int | None = None
    prompt_len: int | None = None
    generate_len: int | None = None
    batch: int | None = None

    @property
    def scenario(self) -> dict[str, int]:
        return {name: value for name in ("seq_len", *OPTIONAL_COLUMNS)
                if (value := getattr(self, name)) is not None}

    @property
    def configuration(self) -> tuple[Any, ...]:
        """The design point it was measured on (rows of one configuration share one evaluation)."""
        return (self.model, self.accelerator, self.seq_len, self.prompt_len, self.generate_len, self.batch)

    def describe(self) -> str:
        scenario = ", ".join(f"{k} {v}" for k, v in self.scenario.items())
        return f"{self.model} ({scenario}) on {self.accelerator}"


def _integer(where: str, name: str, value: Any, minimum: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise CalibrationError(f"{where}: {name} {value!r} is not a whole number")
    try:
        number = int(value.strip()) if isinstance(value, str) else int(value)
    except ValueError:
        raise CalibrationError(f"{where}: {name} '{value}' is not a whole number") from None
    if number != value and not isinstance(value, str) or number < minimum:
        raise CalibrationError(f"{where}: {name} {value} is not a whole number of at least {minimum}")
    return number


def _cycles(where: str, value: Any) -> float:
    try:
        cycles = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise CalibrationError(f"{where}: cycles {value!r} is not a number") from None
    if not math.isfinite(cycles) or cycles <= 0:
        raise CalibrationError(f"{where}: cycles must be a positive number, not {value}")
    return cycles


def _name(where: str, column: str, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise CalibrationError(f"{where}: {column} is empty")
    return text


def measurement(values: Mapping[str, Any], where: str) -> Measurement:
    """One row from its columns (strings from a file or JSON values), checked field by field."""
    unknown = [k for k in values if k not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    if unknown:
        raise CalibrationError(f"{where}: unknown column '{unknown[0]}' (columns: {', '.join(REQUIRED_COLUMNS)}; "
                               f"optional: {', '.join(OPTIONAL_COLUMNS)})")
    missing = [k for k in REQUIRED_COLUMNS if k not in values and k != "seq_len"]
    if missing:
        raise CalibrationError(f"{where}: no {missing[0]}")
    op_class = _name(where, "op_class", values["op_class"])
    if op_class not in MEASURABLE:
        close = difflib.get_close_matches(op_class, MEASURABLE, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise CalibrationError(f"{where}: unknown op class '{op_class}'{hint} (one of: {', '.join(MEASURABLE)})")
    return Measurement(
        where=where, model=_name(where, "model", values["model"]),
        accelerator=_name(where, "accelerator", values["accelerator"]), op_class=op_class,
        cycles=_cycles(where, values["cycles"]), seq_len=_integer(where, "seq_len", values.get("seq_len"), 1),
        prompt_len=_integer(where, "prompt_len", values.get("prompt_len"), 0),
        generate_len=_integer(where, "generate_len", values.get("generate_len"), 0),
        batch=_integer(where, "batch", values.get("batch"), 1))


def parse_measurements(text: str) -> list[Measurement]:
    """Rows of a CSV text with the header `model,seq_len,accelerator,op_class,cycles` (optionally `prompt_len`,
    `generate_len`, `batch`); blank lines and lines starting with `#` (comments) are skipped. Errors name the line."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise CalibrationError("no header: the first line must be " + ",".join(REQUIRED_COLUMNS))
    try:
        rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines))))
    except csv.Error as error:
        raise CalibrationError(f"not CSV text ({error})") from None
    header = [cell.strip() for cell in rows[0]]
    where = f"line {lines[0][0]}"
    for column in header:
        if column not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
            raise CalibrationError(f"{where}: unknown column '{column}' in the header (columns: "
                                   f"{', '.join(REQUIRED_COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)})")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise CalibrationError(f"{where}: the header has no {', '.join(missing)} (it must name "
                               f"{', '.join(REQUIRED_COLUMNS)})")
    if len(set(header)) < len(header):
        raise CalibrationError(f"{where}: the header names a column twice")
    out = []
    for (number, _), cells in zip(lines[1:], rows[1:], strict=True):
        if len(cells) != len(header):
            raise CalibrationError(f"line {number}: {len(cells)} cells, the header has {len(header)}")
        out.append(measurement(dict(zip(header, cells, strict=True)), f"line {number}"))
    if not out:
        raise CalibrationError("no measurement rows after the header")
    return out


def measurements_from_records(records: Sequence[Any]) -> list[Measurement]:
    """Rows given as JSON objects of the same columns; errors name the row (1-based)."""
    out = []
    for position, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise CalibrationError(f"row {position}: expected an object of columns, not {type(record).__name__}")
        out.append(measurement(record, f"row {position}"))
    if not out:
        raise CalibrationError("no measurement rows")
    return out


@dataclass(frozen=True, slots=True)
class FittedConstant:
    field: str
    before: float
    after: float


@dataclass(frozen=True, slots=True)
class RowFit:
    """A row's measured cycles, what the base preset and the fitted one simulate, and what a refit without the row
    predicts (None, with the reason, when that refit is under-determined)."""

    measurement: Measurement
    before: float
    fitted: float
    left_out: float | None
    left_out_reason: str = ""

    @property
    def error(self) -> float:
        return self.fitted / self.measurement.cycles - 1

    @property
    def error_before(self) -> float:
        return self.before / self.measurement.cycles - 1

    @property
    def left_out_error(self) -> float | None:
        return None if self.left_out is None else self.left_out / self.measurement.cycles - 1


@dataclass(frozen=True, slots=True)
class Calibration:
    """A fit and the preset it makes (`preset`: the presets' YAML format with its `calibration:` block)."""

    base: str
    constants: tuple[FittedConstant, ...]
    rows: tuple[RowFit, ...]
    rms_log_error: float
    rms_log_error_before: float
    preset: dict[str, Any]

    @property
    def left_out_errors(self) -> list[float]:
        return [abs(e) for row in self.rows if (e := row.left_out_error) is not None]

    @property
    def left_out_median(self) -> float | None:
        errors = self.left_out_errors
        return float(np.median(errors)) if errors else None

    @property
    def left_out_max(self) -> float | None:
        errors = self.left_out_errors
        return max(errors) if errors else None


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        text = first["msg"].removeprefix("Value error, ")
        return f"{where}: {text}" if where else text
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def by_class(report: Report) -> dict[str, float]:
    """A report's cycles per measurable class: its `cycles_by_class` and `matmul`, the sum of its GEMM operators."""
    return {**report.cycles_by_class, MATMUL: sum(op.cycles for op in report.ops if op.kind == "gemm")}


class _Problem:
    """The measured rows grouped by configuration, evaluated together for any values of the fitted constants."""

    def __init__(self, measurements: Sequence[Measurement], definitions: Definitions,
                 options: Mapping[str, Any]) -> None:
        self.measurements = tuple(measurements)
        self.measured = np.array([m.cycles for m in measurements])
        seen: dict[tuple[Any, ...], Measurement] = {}
        points: dict[tuple[Any, ...], ResolvedPoint] = {}
        index: dict[tuple[Any, ...], int] = {}
        self.row_point: list[int] = []
        for m in measurements:
            key = (*m.configuration, m.op_class)
            if key in seen:
                raise CalibrationError(f"{m.where} repeats {seen[key].where} ({m.describe()}, {m.op_class})")
            seen[key] = m
            if m.configuration not in points:
                try:
                    points[m.configuration] = PointInputs(model=m.model, scenario=m.scenario,
                                                          accelerator=m.accelerator,
                                                          options=dict(options)).resolve(definitions)
                except (KeyError, ValueError, TypeError) as error:
                    raise CalibrationError(f"{m.where}: {_reason(error)}") from None
                index[m.configuration] = len(index)
            self.row_point.append(index[m.configuration])
        self.points = list(points.values())
        self.fields = [point.accelerator.model_dump() for point in self.points]
        self._memo: dict[tuple[tuple[str, float], ...], np.ndarray] = {}
        self.reports = [self._report(i, {}) for i in range(len(self.points))]

    def _report(self, index: int, values: Mapping[str, float]) -> Report:
        point = self.points[index]
        spec = AcceleratorSpec.model_validate({**self.fields[index], **values}) if values else point.accelerator
        try:
            return evaluate(point.workload, spec, point.options)
        except (ValueError, KeyError) as error:
            row = next(m for m, p in zip(self.measurements, self.row_point, strict=True) if p == index)
            shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
            raise CalibrationError(f"{row.where}: the simulator cannot evaluate {row.describe()}"
                                   f"{' at ' + shown if shown else ''}: {_reason(error)}") from None

    def simulated(self, values: Mapping[str, float]) -> np.ndarray:
        """Each row's simulated cycles with these constant values (on every row's own accelerator)."""
        key = tuple(values.items())
        if key not in self._memo:
            classes = [by_class(self._report(i, values)) for i in range(len(self.points))]
            self._memo[key] = np.array([classes[p].get(m.op_class, 0.0)
                                        for m, p in zip(self.measurements, self.row_point, strict=True)])
        return self._memo[key]

    def check_classes(self) -> None:
        """Every row's class has cycles in its configuration (a log error needs a positive simulation)."""
        cycles = self.simulated({})
        for m, value in zip(self.measurements, cycles, strict=True):
            if value <= 0:
                raise CalibrationError(f"{m.where}: {m.describe()} has no {m.op_class} cycles (no such operator, or "
                                       "it is fused into the one before it): remove the row")

    def gemm_classes(self, index: int) -> set[str]:
        return {op.op_class for op in self.reports[index].ops if op.kind == "gemm"} | {MATMUL}


@dataclass(frozen=True, slots=True)
class _Space:
    """The fitted constants in log space: starts, bounds and how a point of it becomes field values."""

    fields: tuple[str, ...]
    start: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: tuple[bool, ...]

    @classmethod
    def of(cls, fields: Sequence[str], starts: Mapping[str, float]) -> _Space:
        lower, upper, start, integer = [], [], [], []
        for field in fields:
            entry = catalog.entry(field)
            is_int = entry.type == "int"
            floor = 1.0 if is_int else POSITIVE_FLOOR
            low = max(float(entry.minimum or 0.0), floor)
            high = float(entry.maximum) if entry.maximum is not None else 1e12
            value = starts[field]
            lower.append(math.log(low))
            upper.append(math.log(high))
            start.append(min(max(math.log(value), math.log(low)), math.log(high)))
            integer.append(is_int)
        return cls(tuple(fields), np.array(start), np.array(lower), np.array(upper), tuple(integer))

    def values(self, x: np.ndarray) -> dict[str, float]:
        out = {}
        for field, value, is_int, low, high in zip(self.fields, np.exp(x), self.integer, self.lower, self.upper,
                                                   strict=True):
            out[field] = float(min(max(round(value), math.exp(low)), round(math.exp(high)))) if is_int else (
                float(value))
        return out

    def written(self, x: np.ndarray) -> dict[str, float | int]:
        """The values as the preset file holds them: integers, or floats at SIGNIFICANT_DIGITS."""
        return {field: int(value) if is_int else float(f"{value:.{SIGNIFICANT_DIGITS}g}")
                for (field, value), is_int in zip(self.values(x).items(), self.integer, strict=True)}


def _log_errors(problem: _Problem, values: Mapping[str, float]) -> np.ndarray:
    # a trial that makes a class vanish (a fused op at one pass) counts as one cycle: far off, and finite
    return np.log(np.maximum(problem.simulated(values), 1.0) / problem.measured)


def _starts(fields: Sequence[str], base: AcceleratorSpec, problem: _Problem) -> dict[str, float]:
    """Where the fit starts: the base's values, but a field whose 0 means "not set" starts from what stands for it:
    passes from the most passes of a measured class on the units (technology table), any other from 1."""
    out = {}
    for field in fields:
        value = float(getattr(base, field))
        if value == 0 and field == "nonlinear_passes":
            tech = Technology.at(base.technology_nm).nonlinear_passes
            measured = [tech[m.op_class] for m, index in zip(problem.measurements, problem.row_point, strict=True)
                        if m.op_class in tech and problem.points[index].accelerator.placement(m.op_class)
                        == "accelerator"]
            value = float(max(measured, default=1))
        out[field] = value or 1.0
    return out


def _jacobian(problem: _Problem, space: _Space, x: np.ndarray) -> np.ndarray:
    """d log(simulated) / d log(constant) per row and constant, by forward differences (backward at an upper
    bound); an integer field moves by at least 1 so that its rounding does not hide the slope."""
    values = space.values(x)
    base = _log_errors(problem, values)
    out = np.empty((len(base), len(space.fields)))
    for j, (field, is_int) in enumerate(zip(space.fields, space.integer, strict=True)):
        value = values[field]
        step = max(1.0, round(0.01 * value)) if is_int else value * _FLOAT_STEP
        moved = value + step if math.log(value + step) <= space.upper[j] else value - step
        out[:, j] = (_log_errors(problem, {**values, field: moved}) - base) / (math.log(moved) - math.log(value))
    return out


def _undetermined(jacobian: np.ndarray, fields: Sequence[str]) -> str | None:
    """Why these rows cannot determine these constants (the most specific reason first), or None when they can."""
    rows, count = jacobian.shape
    scale = np.abs(jacobian).max(axis=0) if rows else np.zeros(count)
    unmoved = [field for field, size in zip(fields, scale, strict=True) if size < _MOVES]
    reasons = [f"no measured row moves {', '.join(unmoved)}"] if unmoved else []
    if rows < count:
        reasons.append(f"{rows} measurement row{'s' if rows != 1 else ''} cannot determine {count} constants")
    if reasons:
        return "; ".join(reasons)
    _, singular, vt = np.linalg.svd(jacobian / scale, full_matrices=False)
    if singular[-1] < 1e-8 * singular[0]:
        together = [field for field, weight in zip(fields, vt[-1], strict=True) if abs(weight) > 0.1]
        return f"{', '.join(together)} move the measured rows together (only their combination is determined)"
    return None


def _fit(problem: _Problem, space: _Space, rows: np.ndarray, start: np.ndarray) -> np.ndarray:
    from scipy.optimize import least_squares  # imported here: only a calibration needs it

    result = least_squares(lambda x: _log_errors(problem, space.values(x))[rows], start,
                           jac=lambda x: _jacobian(problem, space, x)[rows], bounds=(space.lower, space.upper),
                           method="trf", x_scale=1.0, xtol=_XTOL, ftol=_FTOL)
    return result.x


def _default_fit(problem: _Problem) -> list[str]:
    """The constants the rows can determine: a host constant for each measured class placed on the host; the
    non-linear lanes when a measured non-linear class runs on the accelerator (passes stay: on a unit only their
    ratio moves cycles); gemm_efficiency when a GEMM class or matmul is measured."""
    chosen = set()
    for m, index in zip(problem.measurements, problem.row_point, strict=True):
        spec = problem.points[index].accelerator
        if m.op_class in NONLINEAR_CLASSES:
            on_host = spec.placement(m.op_class) == "host_cpu"
            chosen.add(f"host_cycles_per_element_{m.op_class}" if on_host else "nonlinear_elements_per_cycle")
        elif m.op_class in problem.gemm_classes(index):
            chosen.add("gemm_efficiency")
    return [field for field in FREE_CONSTANTS if field in chosen]


def _chosen(fit: Sequence[str] | None, problem: _Problem) -> list[str]:
    if fit is None:
        chosen = _default_fit(problem)
        if not chosen:
            raise UnderDetermined("no measured class moves a free constant (host classes, non-linear classes on "
                                  "the accelerator or GEMM classes); name the constants to fit")
        return chosen
    for field in fit:
        if field not in FREE_CONSTANTS:
            close = difflib.get_close_matches(field, FREE_CONSTANTS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise CalibrationError(f"cannot fit '{field}'{hint}; the free constants are {', '.join(FREE_CONSTANTS)}")
    if not fit:
        raise CalibrationError("name at least one constant to fit")
    return list(dict.fromkeys(fit))


def _base_data(base: str, definitions: Definitions) -> dict[str, Any]:
    found = definitions.accelerators.get(base)
    if found is not None:
        return dict(found)
    try:
        return dict(load_accelerator_preset_data(base))
    except KeyError as error:
        raise CalibrationError(_reason(error)) from None


def _rms(errors: np.ndarray) -> float:
    return float(np.sqrt(np.mean(errors ** 2)))


def _significant(value: float, digits: int = 6) -> float:
    return float(f"{value:.{digits}g}")


def _sources(base_sources: Mapping[str, str], fitted: Sequence[str], note: str) -> dict[str, str]:
    """The base preset's sources with each fitted field's replaced; a shared entry (`host_cycles_per_element`)
    goes when every field it covers is fitted."""
    def covered(key: str) -> bool:
        fields = [f for f in AcceleratorSpec.model_fields if f.startswith(key + "_")]
        return key in fitted or (key not in AcceleratorSpec.model_fields and bool(fields)
                                 and all(f in fitted for f in fields))

    return {**{k: v for k, v in base_sources.items() if not covered(k)}, **dict.fromkeys(fitted, note)}


def calibrate(measurements: Sequence[Measurement], base: str, *, date: str, source: str = "measurements",
              definitions: Definitions = NO_DEFINITIONS, fit: Sequence[str] | None = None,
              options: Mapping[str, Any] | None = None, name: str | None = None) -> Calibration:
    """Fit `base`'s free constants (`fit`, or the ones the rows determine) to the measurements; every row's
    accelerator takes the fitted values. `options` are evaluated over each accelerator's own (given ones win).
    `source` and `date` name the measurements in the preset (`fitted to <source>, <date>`)."""
    if not measurements:
        raise CalibrationError("no measurement rows")
    base_data = _base_data(base, definitions)
    try:
        base_spec = AcceleratorSpec.model_validate({k: v for k, v in base_data.items() if k not in NOT_FIELDS})
    except ValidationError as error:
        raise CalibrationError(f"accelerator '{base}': {_reason(error)}") from None
    try:
        Options(**dict(options or {}))
    except (ValidationError, TypeError) as error:
        raise CalibrationError(f"options: {_reason(error)}") from None
    problem = _Problem(measurements, definitions, options or {})
    problem.check_classes()
    fields = _chosen(fit, problem)
    space = _Space.of(fields, _starts(fields, base_spec, problem))
    reason = _undetermined(_jacobian(problem, space, space.start), space.fields)
    if reason:
        raise UnderDetermined(f"under-determined: {reason}; measure more classes or configurations, or fit fewer "
                              "constants")
    every = np.ones(len(measurements), dtype=bool)
    solution = _fit(problem, space, every, space.start)
    after = space.written(solution)
    fitted_cycles = problem.simulated(after)
    before_cycles = problem.simulated({})
    at_solution = _jacobian(problem, space, solution)
    rows = []
    for i, m in enumerate(measurements):
        others = every.copy()
        others[i] = False
        why = _undetermined(at_solution[others], space.fields)
        if why:
            rows.append(RowFit(m, float(before_cycles[i]), float(fitted_cycles[i]), None,
                               f"without it, {why.split('; ')[0]}"))
            continue
        refit = _fit(problem, space, others, solution)
        rows.append(RowFit(m, float(before_cycles[i]), float(fitted_cycles[i]),
                           float(problem.simulated(space.values(refit))[i])))
    constants = tuple(FittedConstant(field, float(getattr(base_spec, field)), float(after[field]))
                      for field in space.fields)
    result = Calibration(base=base, constants=constants, rows=tuple(rows),
                         rms_log_error=_rms(np.log(fitted_cycles / problem.measured)),
                         rms_log_error_before=_rms(np.log(before_cycles / problem.measured)), preset={})
    preset = _preset(result, base_data, after, name=name or f"{base}-calibrated", source=source, date=date,
                     options=dict(options or {}))
    return replace(result, preset=preset)


def _preset(result: Calibration, base_data: Mapping[str, Any], after: Mapping[str, float | int], *, name: str,
            source: str, date: str, options: dict[str, Any]) -> dict[str, Any]:
    """The calibrated preset in the presets' format: the base's fields with the fitted ones replaced, sources,
    the base's options (and those the fit assumed) and the calibration block."""
    fields = list(after)
    note = f"fitted to {source}, {date}"
    description = (f"{base_data.get('description', '')} Calibrated: {len(fields)} constant"
                   f"{'s' if len(fields) > 1 else ''} {note} (from {result.base}; see calibration).").strip()
    out: dict[str, Any] = {"name": name, "description": description,
                           "sources": _sources(base_data.get("sources", {}), fields, note)}
    for key, value in base_data.items():
        if key not in NOT_FIELDS and key not in ("name", "description"):
            out[key] = after.get(key, value)
    out.update({key: value for key, value in after.items() if key not in out})
    assumed = {**dict(base_data.get("options", {})), **options}
    if assumed:
        out["options"] = assumed
    if options:
        given = ", ".join(f"{k} {v}" for k, v in options.items())
        out["sources"]["options"] = "; ".join(filter(None, [out["sources"].get("options"),
                                                            f"{given}: evaluated so when {note}"]))
    predicted = result.left_out_errors
    out["calibration"] = {
        "file": source, "date": date, "base_preset": result.base, "options": options, "rows": len(result.rows),
        "fitted": {c.field: {"before": c.before, "after": c.after} for c in result.constants},
        "rms_log_error": _significant(result.rms_log_error),
        "leave_one_out": {
            "rows_predicted": len(predicted), "rows_undetermined": len(result.rows) - len(predicted),
            "median_abs_error": None if result.left_out_median is None else _significant(result.left_out_median),
            "max_abs_error": None if result.left_out_max is None else _significant(result.left_out_max)},
    }
    return out
