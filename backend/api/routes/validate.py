"""`POST /api/validate`: measured layers against the model (simulator/validation.py), as `dse validate` runs them.

The body is the measurements' CSV text (`text/csv`, with `accelerator` and `mapper` as query parameters) or JSON
(`ValidateIn`: rows as objects or the CSV text, or the project's FireSim training set). The answer is each row's
predicted (its model, and its error band where Gemmini's measured model priced it), measured and error and the
summary (median and mean |error|, Spearman, share measured inside the band, by kind). It runs in the request,
so it is bounded (rows), rate-limited like `POST /api/calibrate`, and viewers may not run it. Bad input is a 422
naming the row and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from backend.accounts.auth import CurrentUser, get_principal
from backend.api.measurements_body import measurements_body
from backend.core.deps import SessionDep
from backend.core.limits import limit_evaluations
from backend.core.quotas import heavy_work
from backend.layers import PRICED_BY
from backend.library import service as library_service
from simulator import validation
from simulator.hardware import accelerator_from_definition, list_accelerator_presets, load_accelerator_preset_data
from simulator.measured import default_mapper
from simulator.measurements import to_validation_rows

router = APIRouter(tags=["validation"], dependencies=[Depends(get_principal)])
MAX_ROWS = 2_000  # the FireSim training set (1,567 layers) fits; a cold run of it takes a few seconds


class ValidateIn(BaseModel):
    """Measurements and the accelerator to predict them on."""

    accelerator: str = Field(default="gemmini-default", min_length=1, max_length=200,
                             description="A preset or a library accelerator; a row's accelerator-field columns "
                                         "override it for that row.")
    mapper: Literal["optimal", "gemmini"] | None = Field(default=None, description=(
        "The mapper of rows naming none; default: the accelerator's (gemmini under pricing gemmini-measured, e.g. "
        "gemmini-firesim; else optimal)."))
    rows: list[dict[str, Any]] | None = Field(default=None, max_length=MAX_ROWS, description=(
        "Measurements as objects of the CSV's columns: kind (gemm|conv), m, k, n or batch, in_channels, "
        "out_channels, out_h, out_w, kernel_h, kernel_w, stride (padding), accelerator fields, mapper, mapping, "
        "label, cycles. Give one of `rows`, `csv`, `firesim_training`."))
    csv: str | None = Field(default=None, description="The measurements' CSV text (`#` lines are comments).")
    firesim_training: bool = Field(default=False, description="Validate against the project's copy of DOSA's "
                                                              "FireSim training set (1,567 layers).")


class ValidationSummaryOut(BaseModel):
    rows: int
    median_abs_error: float
    mean_abs_error: float
    spearman: float | None = Field(description="Spearman's rank correlation of predicted and measured (null with "
                                               "fewer than two rows or no spread).")
    geomean_ratio: float = Field(description="Geometric mean of predicted / measured (below 1: the model is fast).")
    within_band: float | None = Field(description="Share of the rows with an error band whose measured cycles lie "
                                                  "inside it (null: no row has a band).")


class ValidationSummaryByKindOut(ValidationSummaryOut):
    by_kind: dict[str, ValidationSummaryOut]


class ValidationRowOut(BaseModel):
    where: str = Field(description="The row's line in the CSV text, or its position in `rows`.")
    label: str
    kind: Literal["gemm", "conv"]
    layer: str
    predicted_cycles: float
    measured_cycles: float
    error: float = Field(description="(predicted - measured) / measured.")
    cycles_low: float | None = Field(description="The prediction's error band (10th-90th percentile of the measured "
                                                 "model's residuals for its kind and bound); null under the "
                                                 "analytic model (not validated against measurements).")
    cycles_high: float | None
    within_band: bool | None = Field(description="Whether the measured cycles lie in the band (null: no band).")
    model: Literal["gemmini-measured", "analytic"] = Field(description=PRICED_BY)
    bound: str | None = Field(description="Under the measured model: the largest part (host, array, reads, "
                                          "writes, memory).")
    compute_cycles: float
    dram_bytes: float | None = Field(description="DRAM bytes under the analytic model; null under the measured "
                                                 "model (it times DMA traffic).")
    mapper: str = Field(description="optimal, gemmini, or explicit (the row's mapping).")
    mapping: str = Field(description="The mapping the prediction priced, described.")
    explicit_mapping: str | None = Field(description="The row's explicit mapping, priced.")
    notes: list[str] = Field(description="What to know about this row's prediction (e.g. a tile whose input window "
                                         "wraps: priced as the loader runs it, 2^16 - x rows).")
    overrides: dict[str, str]


class ValidateOut(BaseModel):
    accelerator: str
    mapper: str = Field(description="The mapper of rows naming none (the one asked for, else the accelerator's).")
    rows: list[ValidationRowOut]
    summary: ValidationSummaryByKindOut
    notes: list[str]


VALIDATE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/ValidateIn"}},
    "text/csv": {"schema": {"type": "string", "description": (
        "kind,cycles and the layer's columns (m,k,n or batch,in_channels,out_channels,out_h,out_w,kernel_h,kernel_w,"
        "stride), optionally accelerator fields, padding, mapper, mapping, label; with the query parameters "
        "`accelerator` and `mapper`.")}},
}}}


async def validation_request(
    request: Request,
    accelerator: Annotated[str | None, Query(max_length=200, description="With a text/csv body: the accelerator "
                                                                         "to predict on.")] = None,
    mapper: Annotated[Literal["optimal", "gemmini"] | None, Query(description="With a text/csv body: the mapper of "
                                                                              "rows naming none.")] = None,
) -> ValidateIn:
    """The request's measurements and settings, from a text/csv body with query parameters or a JSON body."""
    return await measurements_body(request, ValidateIn, lambda text: {
        "csv": text, **({"accelerator": accelerator} if accelerator else {}), **({"mapper": mapper} if mapper else {})})


def _rows(body: ValidateIn) -> tuple[validation.MeasuredLayer, ...]:
    given = [body.rows is not None, body.csv is not None, body.firesim_training]
    if sum(given) != 1:
        raise validation.ValidationInputError("give the measurements as `rows` (objects), `csv` (text) or "
                                              "`firesim_training`: true, one of them")
    if body.csv is not None:
        rows = validation.parse_validation_csv(body.csv)
    else:
        rows = validation.measured_layers(to_validation_rows() if body.firesim_training else body.rows or [])
    if len(rows) > MAX_ROWS:
        raise validation.ValidationInputError(f"{len(rows):,} rows: at most {MAX_ROWS:,} per request "
                                              "(`dse validate` takes any number)")
    return rows


def _definition(session: SessionDep, name: str) -> Mapping[str, Any]:
    """A preset's or a library accelerator's definition; an unknown name raises the presets' did-you-mean error."""
    if name not in list_accelerator_presets():
        found = library_service.definitions_for(session, "", name).accelerators.get(name)
        if found is not None:
            return found
    return load_accelerator_preset_data(name)


@router.post("/api/validate", response_model=ValidateOut, openapi_extra=VALIDATE_BODY,
             summary="Predict measured layers with the model and summarise the errors",
             dependencies=[Depends(limit_evaluations), Depends(heavy_work, scope="function")])
def validate(body: Annotated[ValidateIn, Depends(validation_request)], user: CurrentUser,
             session: SessionDep) -> dict[str, Any]:
    if not user.can_create():
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"viewers read only; '{user.name}' cannot run a validation")
    rows = _rows(body)
    definition = _definition(session, body.accelerator)
    result = validation.validate(rows, lambda overrides: accelerator_from_definition(definition, **overrides),
                                 mapper=body.mapper)
    mapper = body.mapper or default_mapper(accelerator_from_definition(definition).pricing)
    return {"accelerator": body.accelerator, "mapper": mapper, **validation.result_dict(result)}
