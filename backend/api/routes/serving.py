"""`POST /api/serving` (an arrival-driven run, as `dse serving` runs it) and `POST /api/serving/curve` (the serving
curve of a few designs, simulator/serving/).

Both run in the request, so both are bounded (requests, designs, batches and wall time), rate-limited like
`POST /api/simulate`, and viewers may not run them. Bad input is a 422 naming the field.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from backend.accounts.auth import CurrentUser, get_principal
from backend.core.deps import SessionDep
from backend.core.limits import limit_evaluations
from backend.core.quotas import heavy_work
from backend.library import service as library_service
from simulator.design_point import Definitions, PointInputs, ResolvedPoint
from simulator.options import Options
from simulator.serving import ServingCurve, ServingResult, ServingRun, Slo, serve, serving_curves, serving_point

router = APIRouter(tags=["serving"], dependencies=[Depends(get_principal)])
MAX_REQUESTS = 20_000  # ~2 s cold on one core (benchmarks/serving_speed.py)
MAX_SECONDS = 20.0  # wall time a run may take in the request
MAX_DESIGNS = 8
MAX_BATCH = 1024


class ServingDesign(BaseModel):
    """An accelerator (a preset or a library accelerator) with field overrides."""

    accelerator: str = Field(default="gemmini-transformer-32x32", min_length=1, max_length=200)
    overrides: dict[str, Any] = Field(default_factory=dict, examples=[{"rows": 16, "cols": 16}])


class ServingIn(ServingRun, ServingDesign):
    """A model served on one design: what arrives, how it is batched, the SLO of the goodput."""

    model: str = Field(min_length=1, max_length=200, examples=["llama-3-8b"])
    options: dict[str, Any] = Field(default_factory=dict)
    requests: int = Field(gt=0, le=MAX_REQUESTS, description=f"Requests to serve (at most {MAX_REQUESTS:,} here; "
                                                              "`dse serving` takes any number).")


class ServingOut(ServingResult):
    model: str
    accelerator: str


class CurveIn(Slo):
    """A model at given lengths on a few designs: throughput, TTFT and TPOT over batch sizes, and the goodput."""

    model: str = Field(min_length=1, max_length=200, examples=["llama-3-8b"])
    prompt_len: int = Field(ge=1, le=1 << 20)
    generate_len: int = Field(ge=1, le=1 << 20)
    designs: list[ServingDesign] = Field(min_length=1, max_length=MAX_DESIGNS)
    options: dict[str, Any] = Field(default_factory=dict)
    batch_limit: int = Field(default=256, ge=1, le=MAX_BATCH, description="The largest batch tried (a design's max "
                                                                           "batch when it fits fewer).")


class CurvePointOut(BaseModel):
    batch: int
    tokens_per_s: float = Field(description="Generated tokens per second over the whole run (prefill included).")
    decode_tokens_per_s: float
    ttft_s: float
    tpot_s: float
    latency_s: float
    meets_slo: bool


class CurveOut(BaseModel):
    design: str = Field(description="The accelerator and its overrides, as a label.")
    accelerator: str
    overrides: dict[str, Any]
    max_batch: int
    points: list[CurvePointOut]
    goodput_tokens_per_s: float | None = Field(description="The best throughput meeting the SLO; null when no "
                                                           "batch meets it (`note` says how close the best came).")
    goodput_batch: int | None
    note: str


class CurvesOut(BaseModel):
    curves: list[CurveOut]


def _resolve(session: SessionDep, model: str, design: ServingDesign, scenario: dict[str, Any],
             options: dict[str, Any]) -> ResolvedPoint:
    definitions: Definitions = library_service.definitions_for(session, model, design.accelerator)
    return serving_point(PointInputs(model=model, scenario=scenario, accelerator=design.accelerator,
                                     overrides=design.overrides, options=options), definitions)


def _runner(user: CurrentUser) -> None:
    if not user.can_create():
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"viewers read only; '{user.name}' cannot run the simulator")


@router.post("/api/serving", response_model=ServingOut, summary="Serve arriving requests with continuous batching",
             dependencies=[Depends(limit_evaluations), Depends(heavy_work, scope="function")])
def serving(body: ServingIn, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    _runner(user)
    run = ServingRun(**body.model_dump(include=set(ServingRun.model_fields)))
    point = _resolve(session, body.model, body, {"prompt_len": run.prompt.longest,
                                                 "generate_len": max(run.generate.longest, 1)}, body.options)
    result = serve(point.workload, point.accelerator, point.options, run, max_seconds=MAX_SECONDS)
    return {"model": body.model, "accelerator": body.accelerator, **result.model_dump()}


def _label(design: ServingDesign) -> str:
    return " ".join([design.accelerator, *(f"{key}={value}" for key, value in design.overrides.items())])


@router.post("/api/serving/curve", response_model=CurvesOut, summary="Throughput and latency over batch sizes",
             dependencies=[Depends(limit_evaluations), Depends(heavy_work, scope="function")])
def serving_curve(body: CurveIn, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    _runner(user)
    scenario = {"prompt_len": body.prompt_len, "generate_len": body.generate_len}
    points = [_resolve(session, body.model, design, scenario, body.options) for design in body.designs]
    slo = Slo(slo_tpot_ms=body.slo_tpot_ms, slo_ttft_ms=body.slo_ttft_ms)
    by_options: dict[Options, list[int]] = {}  # presets may assume different options: one batch evaluation each
    for index, point in enumerate(points):
        by_options.setdefault(point.options, []).append(index)
    curves: dict[int, ServingCurve] = {}
    for options, indices in by_options.items():
        found = serving_curves(points[indices[0]].workload, [points[i].accelerator for i in indices], options, slo,
                               body.batch_limit)
        curves.update(zip(indices, found, strict=True))
    return {"curves": [{**asdict(curves[index]), "design": _label(design), "accelerator": design.accelerator,
                        "overrides": design.overrides} for index, design in enumerate(body.designs)]}
