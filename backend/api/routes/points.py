"""One design point's full report; `POST /api/simulate` evaluates one point synchronously."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from backend.api.deps import PointId, SessionDep, get_principal
from backend.api.schemas import PointOut, SimulateRequest
from backend.columns import METRICS, PARAMETERS
from backend.models import DesignPoint
from backend.services.sweeps import NotFound

router = APIRouter(tags=["points"], dependencies=[Depends(get_principal)])


def _accelerator(columns: dict[str, Any]) -> dict[str, Any]:
    from backend.simulation import accelerator_fields

    return {name: columns.get(name) for name in accelerator_fields() if name in columns}


@router.get("/api/points/{point_id}", response_model=PointOut, summary="One design point with its per-operator report")
def read_point(point_id: PointId, session: SessionDep) -> PointOut:
    point = session.get(DesignPoint, point_id)
    if point is None:
        raise NotFound(f"design point {point_id} does not exist")
    parameters = {name: getattr(point, name) for name in PARAMETERS}
    return PointOut(id=point.id, sweep_id=point.sweep_id, point_index=point.point_index, error=point.error,
                    parameters=parameters, metrics={name: getattr(point, name) for name in METRICS},
                    accelerator=_accelerator(parameters), inputs=point.params, report=point.report)


def _simulate(request: SimulateRequest) -> PointOut:
    from backend.simulation import evaluate_points

    outcome = evaluate_points([{"index": 0, "model": request.model, "scenario": request.scenario,
                                "accelerator": request.accelerator, "overrides": request.overrides,
                                "options": request.options}])[0]
    if outcome.error:
        raise ValueError(outcome.error)
    columns = outcome.columns
    parameters = {name: columns.get(name) for name in PARAMETERS}
    return PointOut(parameters=parameters, metrics={name: columns.get(name) for name in METRICS},
                    accelerator=_accelerator(parameters), inputs=outcome.params, report=outcome.report)


@router.post("/api/simulate", response_model=PointOut, summary="Evaluate one design point now (not stored)")
async def simulate(request: SimulateRequest) -> PointOut:
    return await run_in_threadpool(_simulate, request)
