"""`POST /api/calibrate`: fit a preset's free constants to measured cycles per op class (simulator/calibrate.py).

The body is the measurements' CSV text (`text/csv`, with `preset`, `fit`, `name` and `file` as query parameters) or
JSON (`CalibrateIn`: rows as objects or the CSV text, and the same settings plus simulator options). The answer is
the fit, the leave-one-out errors and the calibrated preset's definition, ready for `POST /api/accelerators`.
It runs in the request, so it is bounded (rows and configurations), rate-limited like `POST /api/simulate`, and
viewers may not run it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from backend.accounts.auth import CurrentUser, get_principal
from backend.api.measurements_body import measurements_body
from backend.core.deps import SessionDep
from backend.core.limits import limit_evaluations
from backend.core.quotas import heavy_work
from backend.library import service as library_service
from simulator import calibrate as calibration
from simulator.catalog import entry
from simulator.hardware import CalibrationSummary
from simulator.hardware.calibration import LeaveOneOut

router = APIRouter(tags=["calibration"], dependencies=[Depends(get_principal)])
MAX_ROWS = 500
# Each configuration is evaluated at every trial of the fit and of each leave-one-out refit.
MAX_CONFIGURATIONS = 16


class CalibrateIn(BaseModel):
    """Measurements and what to fit."""

    preset: str = Field(min_length=1, max_length=200, examples=["gemmini-default"],
                        description="The preset (or library accelerator) whose constants are fitted.")
    rows: list[dict[str, Any]] | None = Field(default=None, max_length=MAX_ROWS, description=(
        "Measurements as objects of the CSV's columns: model, seq_len, accelerator, op_class, cycles (and optionally "
        "prompt_len, generate_len, batch). Give `rows` or `csv`."))
    csv: str | None = Field(default=None, description="The measurements' CSV text (`#` lines are comments).")
    fit: list[str] | None = Field(default=None, description=(
        f"Constants to fit instead of those the rows determine; any of {', '.join(calibration.FREE_CONSTANTS)}."))
    options: dict[str, Any] = Field(default_factory=dict, description=(
        "Simulator options to evaluate with, over each accelerator's own (e.g. {\"mapper\": \"gemmini\"})."))
    name: str | None = Field(default=None, max_length=200, description="The calibrated preset's name "
                                                                         "(default: <preset>-calibrated).")
    file: str = Field(default="measurements", min_length=1, max_length=200,
                      description="What the preset says it was fitted to (\"fitted to <file>, <date>\").")


class ConstantOut(BaseModel):
    field: str
    label: str
    unit: str
    before: float
    after: float


class RowOut(BaseModel):
    where: str = Field(description="The row's line in the CSV text, or its position in `rows`.")
    design: str
    op_class: str
    measured: float
    before: float = Field(description="What the preset simulates before calibration.")
    fitted: float
    error: float = Field(description="fitted / measured - 1.")
    left_out: float | None = Field(description="What a refit without this row predicts for it.")
    left_out_error: float | None
    left_out_reason: str = Field(description="Why no refit without the row was possible (else empty).")


class CalibrateOut(BaseModel):
    base: str
    constants: list[ConstantOut]
    rows: list[RowOut]
    rms_log_error: float
    rms_log_error_before: float
    leave_one_out: LeaveOneOut
    calibration: CalibrationSummary
    preset: dict[str, Any] = Field(description=(
        "The calibrated preset in the presets' format (with its `calibration` block): POST it to /api/accelerators "
        "as {\"name\": ..., \"definition\": preset}, or save it as YAML for `dse accelerator add`."))


CALIBRATE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/CalibrateIn"}},
    "text/csv": {"schema": {"type": "string", "description": (
        "model,seq_len,accelerator,op_class,cycles[,prompt_len,generate_len,batch]; with the query parameters "
        "`preset` (required), `fit`, `name` and `file`.")}},
}}}


async def calibration_request(
    request: Request,
    preset: Annotated[str | None, Query(max_length=200, description="With a text/csv body: the preset to "
                                                                    "calibrate.")] = None,
    fit: Annotated[str | None, Query(max_length=1000, description="With a text/csv body: comma-separated "
                                                                  "constants to fit.")] = None,
    name: Annotated[str | None, Query(max_length=200, description="With a text/csv body: the calibrated "
                                                                  "preset's name.")] = None,
    file: Annotated[str | None, Query(max_length=200, description="With a text/csv body: what the preset "
                                                                  "says it was fitted to.")] = None,
) -> CalibrateIn:
    """The request's measurements and settings, from a text/csv body with query parameters or a JSON body."""
    def from_csv(text: str) -> dict[str, Any]:
        if not preset:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                "give the preset to calibrate: POST /api/calibrate?preset=NAME")
        return {"preset": preset, "csv": text, "name": name, "file": file or "measurements",
                "fit": [f.strip() for f in fit.split(",") if f.strip()] if fit else None}

    return await measurements_body(request, CalibrateIn, from_csv)


def _measurements(body: CalibrateIn) -> list[calibration.Measurement]:
    if (body.rows is None) == (body.csv is None):
        raise calibration.CalibrationError("give the measurements as `rows` (objects) or `csv` (text), one of them")
    rows = (calibration.parse_measurements(body.csv) if body.csv is not None
            else calibration.measurements_from_records(body.rows or []))
    if len(rows) > MAX_ROWS:
        raise calibration.CalibrationError(f"{len(rows):,} rows: at most {MAX_ROWS} per request (`dse calibrate` "
                                           "takes any number)")
    configurations = {row.configuration for row in rows}
    if len(configurations) > MAX_CONFIGURATIONS:
        raise calibration.CalibrationError(
            f"{len(configurations)} configurations (model, scenario, accelerator): at most {MAX_CONFIGURATIONS} per "
            "request (`dse calibrate` takes any number)")
    return rows


def _out(result: calibration.Calibration) -> CalibrateOut:
    summary = CalibrationSummary.model_validate(result.preset["calibration"])
    return CalibrateOut(
        base=result.base,
        constants=[ConstantOut(field=c.field, label=entry(c.field).label, unit=entry(c.field).unit, before=c.before,
                               after=c.after) for c in result.constants],
        rows=[RowOut(where=r.measurement.where, design=r.measurement.describe(), op_class=r.measurement.op_class,
                     measured=r.measurement.cycles, before=r.before, fitted=r.fitted, error=r.error,
                     left_out=r.left_out, left_out_error=r.left_out_error, left_out_reason=r.left_out_reason)
              for r in result.rows],
        rms_log_error=result.rms_log_error, rms_log_error_before=result.rms_log_error_before,
        leave_one_out=summary.leave_one_out, calibration=summary, preset=result.preset)


@router.post("/api/calibrate", response_model=CalibrateOut, openapi_extra=CALIBRATE_BODY,
             summary="Fit a preset's free constants to measured cycles per op class",
             dependencies=[Depends(limit_evaluations), Depends(heavy_work, scope="function")])
def calibrate(body: Annotated[CalibrateIn, Depends(calibration_request)], user: CurrentUser,
              session: SessionDep) -> CalibrateOut:
    if not user.can_create():
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"viewers read only; '{user.name}' cannot run a calibration")
    rows = _measurements(body)
    definitions = library_service.definitions_of(session, {r.model for r in rows}, {r.accelerator for r in rows}
                                         | {body.preset})
    result = calibration.calibrate(rows, body.preset, date=datetime.now(UTC).date().isoformat(), source=body.file,
                                   definitions=definitions, fit=body.fit, options=body.options, name=body.name)
    return _out(result)
