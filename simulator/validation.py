"""Measured layers against the model: read a measurements CSV, predict each row, summarise the errors.

Why: an architect needs to know whether a cycle count is a 5% answer or a 50% one. `dse validate`,
`POST /api/validate` and the dashboard's Validate page run the user's own measurements (or the project's FireSim
training set, `simulator.measurements.to_validation_rows`) through `simulator.layer` and report per row
predicted, measured and error = (predicted − measured) / measured, and the median and mean |error| and Spearman's
rank correlation, overall and by kind.

Columns (issue 27, item 6): `kind` (gemm | conv); `m,k,n` for a GEMM; `batch,in_channels,out_channels,out_h,out_w,
kernel_h,kernel_w,stride` (and optionally `padding`) for a convolution; any `AcceleratorSpec` field (`rows`,
`scratchpad_kib`, ...) overriding the accelerator for that row; optional `mapper` (optimal | gemmini), `mapping`
(a Timeloop/DOSA string) and `label`; the measured `cycles`. An empty cell is "not given". Blank lines and `#`
lines are skipped. Every error names the row and the column.

Which model prices a row is `simulator.measured.pricing_model`'s rule: a row with an explicit mapping, or under
`mapper: gemmini` on an accelerator whose `pricing` is `gemmini-measured`, is priced by Gemmini's execution model fit
to FireSim (with an error band); anything else by the analytic model (no band: not validated against
measurements). A row naming no mapper takes the caller's, else its accelerator's default (`default_mapper`: gemmini
under `pricing: gemmini-measured`, optimal elsewhere). Each row says which model priced it (`model`), and the
summary counts how many measured cycles fall inside their band (`within_band`).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from scipy.stats import spearmanr

from simulator.hardware.spec import AcceleratorSpec
from simulator.layer import ConvLayer, GemmLayer, Layer, LayerResult, Mapper, check_mapping, evaluate_layer
from simulator.mapping import MappingError
from simulator.measured import default_mapper

GEMM_COLUMNS = ("m", "k", "n")
CONV_COLUMNS = ("batch", "in_channels", "out_channels", "out_h", "out_w", "kernel_h", "kernel_w", "stride")
OTHER_COLUMNS = ("kind", "padding", "mapper", "mapping", "label", "cycles")
ACCELERATOR_COLUMNS = tuple(f for f in AcceleratorSpec.model_fields if f not in ("name", "description"))
COLUMNS = (*OTHER_COLUMNS, *GEMM_COLUMNS, *CONV_COLUMNS, *ACCELERATOR_COLUMNS)
MAPPERS = ("optimal", "gemmini")

# The accelerator a row runs on: the chosen preset with the row's field overrides (raises pydantic's
# ValidationError or ValueError for a bad value).
Hardware = Callable[[dict[str, Any]], AcceleratorSpec]


class ValidationInputError(ValueError):
    """Bad measurements: the message names the row (or line) and the column."""


@dataclass(frozen=True)
class MeasuredLayer:
    """One row: a layer, the accelerator fields it overrides, how to map it, the measured cycles."""

    where: str  # "line 3" of a CSV text, or "row 3" of JSON records
    layer: Layer
    overrides: dict[str, Any]
    mapper: Mapper | None  # None: the caller's default
    mapping: str | None
    cycles: float
    label: str = ""


@dataclass(frozen=True)
class Prediction:
    measured: MeasuredLayer
    result: LayerResult

    @property
    def error(self) -> float:
        """(predicted − measured) / measured."""
        return (self.result.cycles - self.measured.cycles) / self.measured.cycles

    @property
    def within_band(self) -> bool | None:
        """Whether the measured cycles lie in the prediction's error band (None: no band)."""
        low, high = self.result.cycles_low, self.result.cycles_high
        if low is None or high is None:
            return None
        return low <= self.measured.cycles <= high


@dataclass(frozen=True)
class ErrorSummary:
    rows: int
    median_abs_error: float
    mean_abs_error: float
    spearman: float | None  # None with fewer than two rows or no spread in either column
    geomean_ratio: float  # geometric mean of predicted / measured: below 1, the model is fast
    within_band: float | None  # share of the rows with a band whose measured cycles lie inside it


@dataclass(frozen=True)
class ValidationResult:
    predictions: tuple[Prediction, ...]
    summary: ErrorSummary
    by_kind: dict[str, ErrorSummary]


# ---------------------------------------------------------------------------------------------------- reading


def parse_validation_csv(text: str) -> tuple[MeasuredLayer, ...]:
    """Rows of a measurements CSV text; errors name the line and the column."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ValidationInputError("no header: the first line must name the columns, e.g. kind,m,k,n,cycles")
    try:
        table = list(csv.reader(io.StringIO("\n".join(line for _, line in lines))))
    except csv.Error as error:
        raise ValidationInputError(f"not CSV text ({error})") from None
    header = [cell.strip() for cell in table[0]]
    _check_header(header, f"line {lines[0][0]}")
    records = []
    for (number, _), cells in zip(lines[1:], table[1:], strict=True):
        if len(cells) != len(header):
            raise ValidationInputError(f"line {number}: {len(cells)} cells, the header has {len(header)}")
        records.append((f"line {number}", dict(zip(header, cells, strict=True))))
    return _read(records)


def measured_layers(records: Sequence[Any]) -> tuple[MeasuredLayer, ...]:
    """Rows given as JSON objects of the same columns (null or "" = not given); errors name the row (1-based)."""
    read = []
    for position, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise ValidationInputError(f"row {position}: expected an object of columns, not {type(record).__name__}")
        _check_header([str(key) for key in record], f"row {position}")
        read.append((f"row {position}", dict(record)))
    return _read(read)


def _read(records: list[tuple[str, dict[str, Any]]]) -> tuple[MeasuredLayer, ...]:
    if not records:
        raise ValidationInputError("no measurement rows")
    return tuple(_row(where, record) for where, record in records)


def _check_header(header: list[str], where: str) -> None:
    for column in header:
        if column not in COLUMNS:
            close = difflib.get_close_matches(column, COLUMNS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValidationInputError(
                f"{where}: unknown column '{column}'{hint}; columns: kind, cycles, mapper, mapping, label, "
                f"{', '.join(GEMM_COLUMNS)} (gemm), {', '.join(CONV_COLUMNS)}, padding (conv), or any accelerator "
                "field (rows, cols, scratchpad_kib, ...)")
    if len(set(header)) < len(header):
        raise ValidationInputError(f"{where}: the header names a column twice")
    for column in ("kind", "cycles"):
        if column not in header:
            raise ValidationInputError(f"{where}: no '{column}' column (every row needs kind and cycles)")


def _given(record: Mapping[str, Any], column: str) -> Any:
    """The cell, or None when it is missing or empty."""
    value = record.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def _number(record: Mapping[str, Any], column: str, where: str, *, whole: bool = True) -> Any:
    value = _given(record, column)
    if value is None:
        raise ValidationInputError(f"{where}, column '{column}': missing (a {record.get('kind') or 'row'} needs it)")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationInputError(f"{where}, column '{column}': {value!r} is not a number") from None
    if not math.isfinite(number) or number <= 0 or (whole and not number.is_integer()):
        kind = "positive whole number" if whole else "positive number"
        raise ValidationInputError(f"{where}, column '{column}': {value!r} is not a {kind}")
    return int(number) if whole else number


def _layer(record: Mapping[str, Any], where: str) -> Layer:
    kind = _given(record, "kind")
    if kind == "gemm":
        return GemmLayer(*(_number(record, c, where) for c in GEMM_COLUMNS))
    if kind == "conv":
        sizes = {c: _number(record, c, where) for c in CONV_COLUMNS}
        padding = _given(record, "padding")
        if padding is not None:
            try:
                padding = int(padding)
            except (TypeError, ValueError):
                raise ValidationInputError(f"{where}, column 'padding': {padding!r} is not a whole number") from None
            if padding < 0:
                raise ValidationInputError(f"{where}, column 'padding': {padding} is negative")
        return ConvLayer(**sizes, padding=padding)
    raise ValidationInputError(f"{where}, column 'kind': {kind!r} is not 'gemm' or 'conv'")


def _row(where: str, record: Mapping[str, Any]) -> MeasuredLayer:
    layer = _layer(record, where)
    mapper = _given(record, "mapper")
    if mapper is not None and mapper not in MAPPERS:
        raise ValidationInputError(f"{where}, column 'mapper': {mapper!r} is not one of {', '.join(MAPPERS)}")
    mapping = _given(record, "mapping")
    if mapping is not None:
        try:
            check_mapping(layer, str(mapping))
        except ValueError as error:
            raise ValidationInputError(f"{where}, column 'mapping': {error}") from None
    unused = [c for c in (GEMM_COLUMNS if layer.kind == "conv" else (*CONV_COLUMNS, "padding"))
              if _given(record, c) is not None]
    if unused:
        raise ValidationInputError(f"{where}, column '{unused[0]}': a {layer.kind} row does not take it")
    overrides = {c: _given(record, c) for c in ACCELERATOR_COLUMNS if _given(record, c) is not None}
    return MeasuredLayer(where=where, layer=layer, overrides=overrides, mapper=mapper,
                         mapping=None if mapping is None else str(mapping),
                         cycles=_number(record, "cycles", where, whole=False), label=str(_given(record, "label") or ""))


# ---------------------------------------------------------------------------------------------------- predicting


def validate(rows: Sequence[MeasuredLayer], hardware: Hardware, *, mapper: Mapper | None = None) -> ValidationResult:
    """Predict every row on its accelerator (`hardware(overrides)`) under its mapper (else `mapper`, else its
    accelerator's default) and summarise."""
    specs: dict[tuple, AcceleratorSpec] = {}
    predictions = []
    for row in rows:
        key = tuple(sorted((k, str(v)) for k, v in row.overrides.items()))
        if key not in specs:
            specs[key] = _accelerator(row, hardware)
        try:
            chosen = row.mapper or mapper or default_mapper(specs[key].pricing)
            result = evaluate_layer(row.layer, specs[key], mapper=chosen, mapping=row.mapping)
        except (MappingError, ValueError) as error:
            raise ValidationInputError(f"{row.where}: {row.layer.describe()} cannot run: {error}") from None
        predictions.append(Prediction(row, result))
    kinds = sorted({p.result.kind for p in predictions})
    return ValidationResult(predictions=tuple(predictions), summary=summarise(predictions),
                            by_kind={kind: summarise([p for p in predictions if p.result.kind == kind])
                                     for kind in kinds})


def _accelerator(row: MeasuredLayer, hardware: Hardware) -> AcceleratorSpec:
    try:
        return hardware(row.overrides)
    except ValidationError as error:
        first = error.errors()[0]
        column = ".".join(str(part) for part in first["loc"]) or "accelerator"
        message = first["msg"].removeprefix("Value error, ")
        raise ValidationInputError(f"{row.where}, column '{column}': {message}") from None
    except ValueError as error:
        raise ValidationInputError(f"{row.where}: {error}") from None


def summarise(predictions: Sequence[Prediction]) -> ErrorSummary:
    """Median and mean |error|, Spearman's rank correlation of predicted and measured, geometric-mean ratio."""
    if not predictions:
        raise ValueError("no predictions to summarise")
    errors = [abs(p.error) for p in predictions]
    predicted = [p.result.cycles for p in predictions]
    measured = [p.measured.cycles for p in predictions]
    spearman = None
    if len(predictions) > 1 and len(set(predicted)) > 1 and len(set(measured)) > 1:
        spearman = float(spearmanr(predicted, measured).statistic)
    ratio = math.exp(statistics.fmean(math.log(p / m) for p, m in zip(predicted, measured, strict=True)))
    banded = [p.within_band for p in predictions if p.within_band is not None]
    return ErrorSummary(rows=len(predictions), median_abs_error=statistics.median(errors),
                        mean_abs_error=statistics.fmean(errors), spearman=spearman, geomean_ratio=ratio,
                        within_band=statistics.fmean(banded) if banded else None)


# ---------------------------------------------------------------------------------------------------- reporting


def summary_dict(summary: ErrorSummary) -> dict[str, Any]:
    return {"rows": summary.rows, "median_abs_error": summary.median_abs_error,
            "mean_abs_error": summary.mean_abs_error, "spearman": summary.spearman,
            "geomean_ratio": summary.geomean_ratio, "within_band": summary.within_band}


def _row_dict(p: Prediction) -> dict[str, Any]:
    result = p.result
    return {"where": p.measured.where, "label": p.measured.label, "kind": result.kind,
            "layer": p.measured.layer.describe(), "predicted_cycles": result.cycles,
            "measured_cycles": p.measured.cycles, "error": p.error, "cycles_low": result.cycles_low,
            "cycles_high": result.cycles_high, "within_band": p.within_band, "model": result.model,
            "bound": None if result.breakdown is None else result.breakdown.bound,
            "compute_cycles": result.compute_cycles, "dram_bytes": result.dram_bytes, "mapper": result.mapper,
            "mapping": result.mapping, "explicit_mapping": p.measured.mapping, "notes": list(result.notes),
            "overrides": {k: str(v) for k, v in p.measured.overrides.items()}}


def result_dict(result: ValidationResult) -> dict[str, Any]:
    """The JSON form `dse validate --json` prints and `POST /api/validate` answers: rows, summary (with by_kind)."""
    rows = [_row_dict(p) for p in result.predictions]
    summary = {**summary_dict(result.summary),
               "by_kind": {kind: summary_dict(s) for kind, s in result.by_kind.items()}}
    return {"rows": rows, "summary": summary, "notes": list(notes(result))}


def notes(result: ValidationResult) -> tuple[str, ...]:
    """What the reader must know to read the figures: which model priced the rows, and where the bands come from."""
    analytic = sum(p.result.model == "analytic" for p in result.predictions)
    measured = len(result.predictions) - analytic
    said = []
    if measured:
        source = next(p.result.band_source for p in result.predictions if p.result.model != "analytic")
        said.append(f"{measured} row(s) priced by Gemmini's execution model fit to FireSim (docs/firesim_fit.md); "
                    f"their error bands: {source.split(':')[0]}")
    noted = sum(bool(p.result.notes) for p in result.predictions)
    if noted:
        said.append(f"{noted} row(s) carry notes of their own (each row's `notes`: e.g. a tile whose input window "
                    "wraps, or a layer run as DOSA's harness ran it)")
    if analytic:
        said.append(f"{analytic} row(s) priced by the analytic model (mapper optimal, or gemmini on an "
                    "output-stationary array): not validated against measurements, no error band")
    return tuple(said)
