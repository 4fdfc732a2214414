"""The sweeps API: sweeps (create, estimate, list, read, cancel, delete; results and Pareto front), their design
points (`/api/points/{id}`, `POST /api/simulate`) and the built-in templates."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from backend.accounts.auth import CurrentUser, get_principal
from backend.columns import ALL_COLUMNS, METRICS, PARAMETERS, RATIOS
from backend.core.deps import MAX_ID, SessionDep, SettingsDep
from backend.core.errors import NotFound
from backend.core.limits import limit_evaluations, limit_sweep_creation
from backend.core.quotas import heavy_work
from backend.core.response_budget import ResponseBudget
from backend.layers import ConvLayerIn, GemmLayerIn, LayerOut
from backend.library import service as library_service
from backend.models import DesignPoint, Sweep, SweepStatus
from backend.sweeps import annotations, breakdown, export, recompute
from backend.sweeps import importance as importance_service
from backend.sweeps import pareto as pareto_service
from backend.sweeps import results as results_service
from backend.sweeps import service as sweeps_service
from backend.sweeps.evaluation import evaluate_point, report_parts
from backend.sweeps.schemas import (
    Columnar,
    ErrorGroupOut,
    ErrorsOut,
    Estimate,
    ImportanceOut,
    ObjectiveOut,
    ParetoGroupOut,
    ParetoGroupsOut,
    ParetoOut,
    PointOut,
    RecomputedOut,
    SimulateRequest,
    SweepList,
    SweepOut,
    TemplateOut,
)
from backend.sweeps.spec import SweepSpec, every_problem
from backend.sweeps.templates import TEMPLATES
from simulator.catalog import ACCELERATOR_FIELDS
from simulator.design_point import Definitions, PointInputs
from simulator.hardware import CalibrationSummary, accelerator_from_definition, load_accelerator_preset
from simulator.layer import IllegalMapping, evaluate_layer

router = APIRouter(prefix="/api/sweeps", tags=["sweeps"], dependencies=[Depends(get_principal)])
templates_router = APIRouter(tags=["sweeps"], dependencies=[Depends(get_principal)])
SweepId = Annotated[int, Path(ge=1, le=MAX_ID)]
PointId = Annotated[int, Path(ge=1, le=MAX_ID)]

ColumnsQuery = Annotated[str | None, Query(description="Comma-separated columns (default: all).")]
FilterQuery = Annotated[list[str] | None, Query(
    alias="filter", description="Repeatable: `name:min:max` (numeric range, bounds optional) or `name=a,b`.")]


async def _json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the body is not valid JSON") from None


def submitted_spec(body: Annotated[Any, Depends(_json_body)], session: SessionDep) -> SweepSpec:
    """The request's SweepSpec, with the library's definitions of the names it uses copied in (so library models
    and accelerators validate like presets, and the stored spec carries them)."""
    data = library_service.with_library(session, body)
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as error:  # every mistake at once, each at its field
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in every_problem(data, error)]) from None


SpecIn = Annotated[SweepSpec, Depends(submitted_spec)]
SPEC_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/SweepSpec"}}}}}


@router.post("/estimate", response_model=Estimate, summary="Size of a spec, without creating it",
             description="Any signed-in user (viewers too: nothing runs), rate-limited per user "
                         "(DSE_EVALUATIONS_PER_MINUTE).", dependencies=[Depends(limit_evaluations)],
             openapi_extra=SPEC_BODY)
def estimate_sweep(spec: SpecIn, session: SessionDep, settings: SettingsDep) -> Estimate:
    points = sweeps_service.estimate(spec, settings)
    stored = spec.model_dump(mode="json")
    chunk_size = sweeps_service.chunk_size_for(session, settings, stored)
    speed = (sweeps_service.measured_search_speed(session) if spec.strategy == "search"
             else sweeps_service.measured_speed(session, stored))
    space = spec.grid_size()
    note = {"grid": "the grid of all dimensions", "random": f"{spec.n_points} random draws from the space",
            "search": f"the search's budget ({spec.budget} points, at most the whole space), evaluated in batches "
                      f"of {spec.search_batch_size()} asked by Optuna's {spec.sampler}"}[spec.strategy]
    if spec.strategy == "search":
        chunk_size = max(1, min(chunk_size, -(-spec.search_batch_size() // 4)))
    return Estimate(points=points, max_points=settings.max_sweep_points, chunk_size=chunk_size,
                    chunks=max(1, -(-points // chunk_size)),
                    dimensions={dimension.key: dimension.count for dimension in spec.dimensions()},
                    strategy=spec.strategy, space_points=space, note=f"{points:,} points: {note}",
                    points_per_s=speed.points_per_s if speed else None,
                    worker_seconds=points / speed.points_per_s if speed else None,
                    speed_source=speed.source if speed else ("no search measured yet" if spec.strategy == "search"
                                                             else "no sweep measured yet"))


@router.post("", response_model=SweepOut, status_code=status.HTTP_201_CREATED, summary="Create and queue a sweep",
             openapi_extra=SPEC_BODY)
def create_sweep(spec: SpecIn, session: SessionDep, settings: SettingsDep, user: CurrentUser,
                 request: Request) -> SweepOut:
    if not user.can_create():
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"viewers read only; '{user.name}' cannot create sweeps")
    limit_sweep_creation(request)
    if user.signed_in:  # a sweep belongs to who created it
        spec = spec.model_copy(update={"owner": user.name})
    sweep = sweeps_service.create_sweep(session, spec, settings)
    return SweepOut.of(sweep)


@router.get("", response_model=SweepList, summary="Sweeps, newest first")
def list_sweeps(session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0, status: SweepStatus | None = None,
                owner: Annotated[str | None, Query(max_length=200)] = None,
                tag: Annotated[str | None, Query(max_length=annotations.MAX_TAG_LENGTH,
                                                 description="Only the sweeps carrying this tag.")] = None,
                q: Annotated[str | None, Query(max_length=200, description=(
                    "Only the sweeps whose name, tags or notes contain this text (any case)."))] = None) -> SweepList:
    sweeps, total = sweeps_service.list_sweeps(session, limit, offset, status, owner, tag, q)
    return SweepList(items=[SweepOut.of(s) for s in sweeps], total=total, limit=limit, offset=offset)


@router.get("/{sweep_id}", response_model=SweepOut, summary="A sweep's status and progress")
def read_sweep(sweep_id: SweepId, session: SessionDep) -> SweepOut:
    sweep = sweeps_service.get_sweep(session, sweep_id)
    return SweepOut.of(sweep, search=sweeps_service.search_state(session, sweep))


@router.patch("/{sweep_id}", response_model=SweepOut, summary="Rename, tag or annotate a sweep",
              description="Members change their own sweeps, admins any. Only the fields given change; `tags` "
                          "replaces the sweep's tags.")
def change_sweep(sweep_id: SweepId, changes: annotations.SweepChanges, session: SessionDep,
                 user: CurrentUser) -> SweepOut:
    sweep = sweeps_service.get_sweep(session, sweep_id)
    _may_change(user, sweep.owner, "change")
    return SweepOut.of(annotations.change(session, sweep, changes))


@router.post("/{sweep_id}/cancel", response_model=SweepOut, summary="Stop a sweep's remaining chunks")
def cancel_sweep(sweep_id: SweepId, session: SessionDep, user: CurrentUser) -> SweepOut:
    _may_change(user, sweeps_service.get_sweep(session, sweep_id).owner, "cancel")
    sweep = sweeps_service.cancel_sweep(session, sweep_id)
    return SweepOut.of(sweep)


@router.delete("/{sweep_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a finished sweep and its results")
def delete_sweep(sweep_id: SweepId, session: SessionDep, user: CurrentUser) -> Response:
    _may_change(user, sweeps_service.get_sweep(session, sweep_id).owner, "delete")
    sweeps_service.delete_sweep(session, sweep_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _may_change(user: CurrentUser, owner: str, action: str) -> None:
    if not user.can_change(owner):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"'{user.name}' ({user.role}) cannot {action} a sweep of "
                            f"'{owner}': members change their own sweeps, admins any")


def _columns(text: str | None) -> list[str]:
    if not text:
        return list(ALL_COLUMNS)
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise results_service.BadQuery(f"columns '{text[:50]}' names no column; leave it out for all of them")
    return names


def _sort(text: str | None) -> list[str]:
    return [key.strip() for key in text.split(",") if key.strip()] if text else []


@router.get("/{sweep_id}/results", response_model=Columnar, summary="Results: filter, select, sort, page, export",
            responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {},
                                         "application/octet-stream": {}}}})
def read_results(
    sweep_id: SweepId, session: SessionDep, request: Request, budget: ResponseBudget,
    columns: ColumnsQuery = None, filters: FilterQuery = None,
    sort: Annotated[str | None, Query(description="Comma-separated columns; `-name` sorts descending.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=results_service.MAX_PAGE_ROWS,
                                       description="Rows per page (JSON default 1000; CSV/Parquet: all).")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    include_failed: Annotated[bool | None, Query(
        description="Also return points whose evaluation failed (their `error` column says why). Default: yes for "
                    "CSV and Parquet exports (every point of the sweep), no for pages.")] = None,
    failed_only: Annotated[bool, Query(description="Only the points whose evaluation failed.")] = False,
    baseline: Annotated[int | None, Query(ge=1, le=MAX_ID, description=(
        "A point of this sweep to compare with: adds the columns speedup (its latency / the point's), "
        "energy_ratio and edp_ratio (the point's / its), to all columns by default, or by name in `columns`."))] = None,
    format: Annotated[Literal["json", "csv", "parquet", "arrays"], Query(
        description="`arrays`: the page as binary columns (little-endian uint32 header length, JSON header, "
                    "padding to 8 bytes, numeric columns as float64; see backend/sweeps/export.py).")] = "json",
    total: Annotated[Literal["exact", "estimate"], Query(
        description="With filters on a large sweep, `estimate` skips counting every matching row.")] = "exact",
    sample: Annotated[int | None, Query(ge=1000, le=results_service.MAX_PAGE_ROWS, description=(
        "A first view of a large sweep (json and arrays, offset 0): when more rows match, one run of 64 consecutive "
        "points (by point_index) in every n, so that about `sample` come back, plus every point of the Pareto fronts "
        "named by `keep_front`; `total` still counts every matching row."))] = None,
    keep_front: Annotated[str | None, Query(max_length=400, description=(
        "With `sample`: objectives as in /pareto (`latency_s,energy_j`) whose fronts the sample always holds, "
        "one front per `keep_front_group_by` group."))] = None,
    keep_front_group_by: Annotated[str | None, Query(max_length=400, description=(
        "With `keep_front`: the design parameters whose value combinations each get their own front."))] = None,
) -> Columnar | Response:
    sweep = sweeps_service.get_sweep(session, sweep_id)
    base = results_service.baseline_of(session, sweep_id, baseline) if baseline is not None else None
    names = _columns(columns)
    if base is not None and columns is None:
        names += list(RATIOS)
    query = results_service.ResultQuery(
        columns=names, filters=filters or [], sort=_sort(sort), baseline=base,
        limit=limit if limit is not None else (1000 if format in ("json", "arrays") else 0), offset=offset,
        include_failed=format in ("csv", "parquet") if include_failed is None else include_failed,
        failed_only=failed_only)
    if sample is not None:
        if format not in ("json", "arrays") or offset:
            raise ValueError("sample gives a first view: use it with format=json or arrays and offset 0")
        query = _sampled(session, sweep, query, sample, keep_front, keep_front_group_by)
    for text in query.filters:
        results_service.parse_filter(text)  # bad filters are a 422 before streaming starts
    if format in ("json", "arrays"):
        cells = query.limit * len(query.columns)
        if cells > results_service.MAX_PAGE_CELLS:
            raise ValueError(f"a format={format} page of {query.limit:,} rows x {len(query.columns)} columns is "
                             f"{cells:,} values, above {results_service.MAX_PAGE_CELLS:,}: ask for fewer rows "
                             "(limit, offset) or columns, or export as format=csv or parquet (streamed)")
        rows = min(query.limit, sweep.done_points + sweep.failed_points)
        budget.take(rows * len(query.columns), format)  # held until the page is sent (waits for large pages ahead)
        data, matching, exact = results_service.page(session, sweep_id, query, total, arrays=format == "arrays")
        meta = {"total": matching, "total_exact": exact, "count": len(data[query.columns[0]]) if query.columns else 0,
                "limit": query.limit, "offset": offset}
        if format == "json":
            return Columnar(columns=data, **meta)
        body = export.column_arrays(data, meta)
        # Float64 arrays barely compress: sent as they are ("identity" keeps the gzip middleware off them).
        return Response(body, media_type="application/octet-stream", headers={"Content-Encoding": "identity"})
    name = f"sweep-{sweep_id}.{format}"
    factory = request.app.state.session_factory
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return StreamingResponse(export.csv_stream(factory, sweep_id, query), media_type="text/csv", headers=headers)
    return StreamingResponse(export.parquet_stream(factory, sweep_id, query),
                             media_type="application/vnd.apache.parquet", headers=headers)


def _sampled(session: Session, sweep: Sweep, query: results_service.ResultQuery, sample: int,
             keep_front: str | None, group_by: str | None) -> results_service.ResultQuery:
    """About `sample` matching points and every point of the named fronts (each front over every matching point)."""
    matching = sweep.done_points + (sweep.failed_points if query.include_failed else 0)
    step = -(-matching // sample)
    if step <= 1:
        return query
    keep: set[int] = set()
    if keep_front:
        objectives = pareto_service.parse_objectives(keep_front)
        names = pareto_service.parse_group_by(group_by)
        keys = pareto_service.groups(session, sweep, names, query.filters) if names else [None]
        for key in keys:
            keep.update(pareto_service.pareto(session, sweep, objectives, ["id"], query.filters, key)[0]["id"])
    return replace(query, sample_step=step, keep_ids=tuple(sorted(keep)),
                   limit=sample + results_service.SAMPLE_RUN + len(keep))


@router.get("/{sweep_id}/errors", response_model=ErrorsOut, summary="Why points failed, grouped by message")
def read_errors(sweep_id: SweepId, session: SessionDep,
                limit: Annotated[int, Query(ge=1, le=200, description="Most messages to return.")] = 20) -> ErrorsOut:
    """The failed points' messages with how many points each, so a sweep with failures says why in one glance
    (the points themselves: `results?include_failed=true&filter=...`)."""
    sweep = sweeps_service.get_sweep(session, sweep_id)
    groups = results_service.error_groups(session, sweep_id, limit)
    return ErrorsOut(failed_points=sweep.failed_points, groups=[
        ErrorGroupOut(error=error, points=points, example_point_id=point_id) for error, points, point_id in groups])


@router.get("/{sweep_id}/pareto", response_model=ParetoOut | ParetoGroupsOut,
            summary="The Pareto front over chosen objectives, or one front per group")
def read_pareto(
    sweep_id: SweepId, session: SessionDep,
    objectives: Annotated[str, Query(description="Comma-separated metrics; each metric's own direction unless "
                                                 "prefixed `min:` or `max:`.")] = "latency_s,energy_j",
    columns: ColumnsQuery = None, filters: FilterQuery = None,
    group_by: Annotated[str | None, Query(
        description="Comma-separated design parameters (e.g. `model,seq_len`): one front per combination of their "
                    f"values (at most {pareto_service.MAX_GROUPS} groups), answered as `groups`.")] = None,
) -> ParetoOut | ParetoGroupsOut:
    """Non-dominated points among the sweep's results (failed points excluded, filters applied). Without
    `group_by` one front over every point; with it, one front per group, so a design is only ever compared with
    designs for the same workload."""
    sweep = sweeps_service.get_sweep(session, sweep_id)
    parsed = pareto_service.parse_objectives(objectives)
    wanted = _columns(columns)
    names = pareto_service.parse_group_by(group_by)
    described = [ObjectiveOut(name=o.name, direction=o.direction) for o in parsed]
    if not names:
        data, compared = pareto_service.pareto(session, sweep, parsed, wanted, filters or [])
        return ParetoOut(columns=data, objectives=described, front_size=len(data["id"]), compared=compared)
    out = []
    for key in pareto_service.groups(session, sweep, names, filters or []):
        data, compared = pareto_service.pareto(session, sweep, parsed, wanted, filters or [], key)
        records = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
        out.append(ParetoGroupOut(key=key, front=records, front_size=len(records), compared=compared))
    return ParetoGroupsOut(group_by=names, objectives=described, groups=out)


@templates_router.get("/api/templates", response_model=list[TemplateOut],
                      summary="Built-in templates: sweeps to create (spec ready for POST /api/sweeps) or pages to open")
def list_templates() -> list[dict[str, Any]]:
    return TEMPLATES


points_router = APIRouter(tags=["points"], dependencies=[Depends(get_principal)])


def _point_out(columns: dict, **fields: object) -> PointOut:
    parameters = {name: columns.get(name) for name in PARAMETERS}
    return PointOut(parameters=parameters, metrics={name: columns.get(name) for name in METRICS},
                    accelerator={name: parameters[name] for name in ACCELERATOR_FIELDS}, **fields)


@points_router.get("/api/points/{point_id}", response_model=PointOut,
                   summary="One design point with its per-operator report",
                   dependencies=[Depends(heavy_work, scope="function")])  # it recomputes the report
def read_point(point_id: PointId, session: SessionDep) -> PointOut:
    point = session.get(DesignPoint, point_id)
    if point is None:
        raise NotFound(f"design point {point_id} does not exist")
    columns = {name: getattr(point, name) for name in (*PARAMETERS, *METRICS)}
    found = recompute.recompute(session, point)
    check = RecomputedOut(stored_by=found.stored_by, current=found.current,
                          same_simulator=found.stored_by == found.current, differences=list(found.differences))
    report = report_parts(found.outcome.report) if found.outcome.report is not None else None
    sweep = sweeps_service.get_sweep(session, point.sweep_id)
    return _point_out(columns, id=point.id, sweep_id=point.sweep_id, point_index=point.point_index, error=point.error,
                      inputs=found.inputs.model_dump(), report=report, breakdown=breakdown.decode(point.breakdown),
                      recomputed=check,
                      calibration=_calibration(SweepSpec.stored(sweep.spec).definitions(), found.inputs))


def _calibration(definitions: Definitions, inputs: PointInputs) -> CalibrationSummary | None:
    """What the point's accelerator was calibrated to (a calibrated preset, or a library accelerator the sweep
    copied); None when it is not calibrated, a fitted constant is overridden, or it is no longer a preset."""
    try:
        return definitions.calibration(inputs.accelerator, inputs.overrides)
    except (KeyError, ValueError):
        return None


def _simulate(request: SimulateRequest, model: str, definitions: Definitions) -> PointOut:
    inputs = PointInputs(model=model, scenario=request.scenario, accelerator=request.accelerator,
                         overrides=request.overrides, options=request.options)
    outcome = evaluate_point(0, inputs, definitions)
    if outcome.error or outcome.report is None:
        raise ValueError(outcome.error)
    return _point_out(outcome.columns, inputs=inputs.model_dump(), report=report_parts(outcome.report),
                      breakdown=breakdown.decode(outcome.breakdown),
                      calibration=_calibration(definitions, inputs))


def _simulate_layer(given: GemmLayerIn | ConvLayerIn, request: SimulateRequest, definitions: Definitions) -> LayerOut:
    """One layer on the accelerator (a preset or a library one, with overrides), as `dse simulate-conv` runs it; a
    mapping that cannot run the layer is a 422 at `mapping`."""
    found = definitions.accelerators.get(request.accelerator)
    hw = (load_accelerator_preset(request.accelerator, **request.overrides) if found is None
          else accelerator_from_definition(found, **request.overrides))
    layer = given.layer()
    try:
        result = evaluate_layer(layer, hw, mapper=request.mapper, mapping=request.mapping)
    except IllegalMapping as error:
        raise RequestValidationError([{"type": "value_error", "loc": ("body", "mapping"), "msg": str(error),
                                       "input": request.mapping}]) from None
    return LayerOut.of(layer, hw, result)


@points_router.post("/api/simulate", response_model=PointOut | LayerOut,
                    summary="Evaluate one design point, or one layer, now (not stored)",
                    description="Members and admins (it runs the simulator), rate-limited per user "
                                "(DSE_EVALUATIONS_PER_MINUTE). A body with `model` answers a point (PointOut), one "
                                "with `layer` a layer (LayerOut).",
                    dependencies=[Depends(limit_evaluations), Depends(heavy_work, scope="function")])
def simulate(request: SimulateRequest, user: CurrentUser, session: SessionDep) -> PointOut | LayerOut:
    if not user.can_create():
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"viewers read only; '{user.name}' cannot run the simulator")
    if request.layer is not None:
        return _simulate_layer(request.layer, request,
                               library_service.definitions_for(session, "", request.accelerator))
    model = request.model or ""  # given: the request has `model` or `layer` (its validator)
    return _simulate(request, model, library_service.definitions_for(session, model, request.accelerator))


@router.get("/{sweep_id}/importance", response_model=ImportanceOut,
            summary="Which varied parameter drives an objective: each one's share of its variance")
def read_importance(
    sweep_id: SweepId, session: SessionDep,
    objective: Annotated[str, Query(max_length=100, description="A numeric metric, e.g. `energy_j`.")],
    filters: FilterQuery = None,
) -> ImportanceOut:
    sweep = sweeps_service.get_sweep(session, sweep_id)
    found = importance_service.importance(session, sweep, objective, filters or [])
    return ImportanceOut(objective=found.objective, importance=found.importance, points=found.points,
                         sampled=found.sampled, method=importance_service.METHOD)
