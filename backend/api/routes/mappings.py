"""`GET /api/mappings`: the mapping landscape of one GEMM (simulator/mapping/landscape.py) on a preset or a library
accelerator, with accelerator fields given as further query parameters (`&rows=32&scratchpad_kib=64`).

Bounded: the GEMM's dimensions, the sample and the mappings listed have Query bounds, and the landscape itself
refuses a GEMM whose folded tile pairs are too many to count; every refusal is a 422 naming what to change.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from backend.accounts.auth import CurrentUser, get_principal
from backend.columns import TEXT_COLUMN_LENGTH
from backend.core.deps import SessionDep
from backend.core.limits import limit_evaluations
from backend.core.quotas import heavy_work
from backend.library import service as library_service
from backend.models import LibraryKind
from simulator.catalog import ACCELERATOR_FIELDS, check_value
from simulator.hardware import (
    AcceleratorSpec,
    accelerator_from_definition,
    list_accelerator_presets,
    load_accelerator_preset,
)
from simulator.mapping.landscape import DEFAULT_LIMIT, landscape

router = APIRouter(tags=["mappings"], dependencies=[Depends(get_principal)])

MAX_DIMENSION = 65_536
MAX_SHOWN = 1_000
QUERY = frozenset({"m", "k", "n", "accelerator", "sample", "seed", "mapping_objective", "show"})


class MappingOut(BaseModel):
    rank: int = Field(description="Position by EDP among the evaluated mappings (0 = the best).")
    tile_m: int
    tile_k: int
    tile_n: int
    spatial_rows: int = Field(description="Rows of a fold that hold data (K under WS, M under OS); a fold costs the "
                                          "whole array whatever it holds.")
    spatial_cols: int
    loop_order: str = Field(description="Tile loops, outer to inner.")
    l2_keep: str = Field(description="Operands the L2 keeps across re-fetches: a, b, c (partial sums).")
    cycles: float
    energy_pj: float
    edp_j_s: float
    relative_edp: float
    dram_bytes: float
    l2_bytes: float
    scratchpad_bytes: float
    accumulator_bytes: float
    description: str


class ReferenceOut(BaseModel):
    mapper: Literal["optimal", "gemmini"]
    error: str | None = Field(default=None, description="Why this mapper has no mapping (Gemmini's tiler may have "
                                                        "no tile that fits its halves of the memories).")
    objective: str | None = None
    mapping: str | None = None
    tile_m: int | None = None
    tile_k: int | None = None
    tile_n: int | None = None
    loop_order: str | None = None
    l2_keep: str | None = None
    cycles: float | None = None
    energy_pj: float | None = None
    edp_j_s: float | None = None
    relative_edp: float | None = Field(default=None, description="Its EDP over the best evaluated mapping's (below 1 "
                                                                 "when a sample missed mappings as good).")
    percentile: float | None = Field(default=None, description="Percent of the evaluated mappings with less EDP.")
    dram_bytes: float | None = None
    l2_bytes: float | None = None


class SummaryOut(BaseModel):
    space_size: int = Field(description="Legal mappings in the space.")
    evaluated: int
    sampled: bool = Field(description="Whether `evaluated` is a uniform random sample of the space.")
    best: MappingOut
    relative_edp_percentiles: dict[str, float] = Field(description='EDP over the best at the "10", "50" and "90"th '
                                                                   "percentile.")
    share_within: dict[str, float] = Field(description='Fraction of the mappings within "2", "3" and "10" times the '
                                                       "best EDP.")
    edp_spread: float = Field(description="Worst EDP over the best.")
    references: dict[str, ReferenceOut] = Field(description="Where the optimal mapper's and Gemmini's tiler's "
                                                            "choices sit.")


class SpaceOut(BaseModel):
    size: int
    evaluated: int
    sampled: bool
    seed: int | None
    free_dimension: str
    spatial_rows: list[int]
    spatial_cols: list[int]
    tile_pairs: int
    tilings: int
    loop_orders: list[str]
    l2_keep_sets: list[str]


class HistogramOut(BaseModel):
    relative_edp_edges: list[float] = Field(description="Bin edges of EDP over the best, 10 per decade from 1.")
    counts: list[int]


class LandscapeOut(BaseModel):
    gemm: dict[str, int]
    accelerator: dict[str, Any] = Field(description="Every field of the accelerator the landscape was drawn on.")
    objective: str = Field(description="What the optimal mapper (a reference) minimises.")
    space: SpaceOut
    summary: SummaryOut
    histogram: HistogramOut
    mappings: list[MappingOut] = Field(description="The 10 best, then evenly spaced ranks up to the worst.")


def _overrides(request: Request) -> dict[str, Any]:
    """Accelerator fields given as query parameters, each checked against its field's type and bounds."""
    overrides: dict[str, Any] = {}
    for name, value in request.query_params.items():
        if name in QUERY:
            continue
        if name not in ACCELERATOR_FIELDS:
            raise ValueError(f"{name[:100]}: not a parameter of this operation (m, k, n, accelerator, sample, seed, "
                             "mapping_objective, show, or an accelerator field such as rows or scratchpad_kib)")
        overrides[name] = check_value(name, value)
    return overrides


def _accelerator(session: SessionDep, name: str, overrides: dict[str, Any]) -> AcceleratorSpec:
    """A packaged preset or a team-library accelerator, with the overrides."""
    if name in list_accelerator_presets():
        return load_accelerator_preset(name, **overrides)
    definition = library_service.definitions_for(session, "", name).accelerators.get(name)
    if definition is not None:
        return accelerator_from_definition(definition, **overrides)
    names = [*list_accelerator_presets(), *library_service.names(session, LibraryKind.ACCELERATOR)]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
    raise ValueError(f"unknown accelerator '{name[:100]}': neither a preset nor a library accelerator"
                     + (f"; did you mean {', '.join(close)}?" if close else " (GET /api/presets/accelerators, "
                        "GET /api/accelerators)"))


Dimension = Annotated[int, Query(ge=1, le=MAX_DIMENSION)]


@router.get("/api/mappings", response_model=LandscapeOut, summary="The mapping landscape of one GEMM",
            dependencies=[Depends(limit_evaluations), Depends(heavy_work, scope="function")])
def mappings(request: Request, session: SessionDep, user: CurrentUser, m: Dimension, k: Dimension, n: Dimension,
             accelerator: Annotated[str, Query(min_length=1, max_length=TEXT_COLUMN_LENGTH)] = "gemmini-default",
             sample: Annotated[int, Query(ge=1, le=DEFAULT_LIMIT)] = DEFAULT_LIMIT,
             seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
             mapping_objective: Literal["latency", "energy", "edp"] = "latency",
             show: Annotated[int, Query(ge=0, le=MAX_SHOWN)] = 100) -> dict[str, Any]:
    if not user.can_create():
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"viewers read only; '{user.name}' cannot run the simulator")
    hw = _accelerator(session, accelerator, _overrides(request))
    return landscape(m, k, n, hw, limit=sample, seed=seed, objective=mapping_objective).to_json(shown=show)
