"""Request and response models of the sweeps API (the OpenAPI contract the dashboard builds on)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from backend.layers import LayerIn
from backend.models import Sweep, SweepStatus
from backend.sweeps.annotations import tags_of
from backend.sweeps.service import SearchState, progress
from backend.sweeps.spec import BOOLEAN_FOR_NUMBER, boolean_for_number, varied_columns
from simulator.hardware import CalibrationSummary


class SearchBatchOut(BaseModel):
    batch: int
    points: int = Field(description="Points asked in this batch.")
    cumulative_points: int
    hypervolume: float | None = Field(description="Hypervolume of all points stored after this batch (null until "
                                                  "the batch is told); one fixed reference point per sweep.")
    front_size: int | None
    status: Literal["running", "told"]


class SearchOut(BaseModel):
    """A `search` sweep's driver: Optuna sampler, budget, and hypervolume per batch (the front improving)."""

    sampler: str
    budget: int
    budget_s: float | None
    batch_size: int
    study_name: str = Field(description="The Optuna study in the service database (RDB storage).")
    batches: list[SearchBatchOut]
    stopped: str | None = Field(default=None, description="Why a finished search stopped where it did: its budget "
                                "of points or seconds, the whole space evaluated, the sampler finding only "
                                "duplicates, or a cancel (null while it runs).")


class SweepOut(BaseModel):
    """A sweep with its progress; counters are kept by the workers, so reading this is cheap at any size."""

    id: int
    name: str
    owner: str
    status: SweepStatus
    tags: list[str] = Field(default_factory=list, description="Set with PATCH /api/sweeps/{id}; "
                                                              "GET /api/sweeps?tag=T lists the sweeps carrying T.")
    notes: str = Field(default="", description="Free text, set with PATCH /api/sweeps/{id}.")
    spec: dict[str, Any] = Field(description="The SweepSpec as submitted.")
    objectives: list[str]
    varied: list[str] = Field(description="Result columns the sweep varies (model, scenario fields, axes, what its "
                                          "variants set), in the spec's order.")
    total_points: int
    done_points: int = Field(description="Points evaluated and stored.")
    failed_points: int = Field(description="Points whose evaluation failed (their error is stored).")
    progress: float = Field(description="(done + failed) / total, 0 to 1.")
    points_per_s: float | None = Field(description="Measured since the first chunk started.")
    eta_s: float | None = Field(description="Seconds to go at the measured speed; 0 once finished.")
    elapsed_s: float | None
    chunk_size: int
    chunk_count: int
    chunks_done: int
    chunks_failed: int
    error: str | None = Field(description="The first error seen (a failed point or chunk).")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    search: SearchOut | None = Field(default=None, description="Strategy `search` only (GET /api/sweeps/{id}).")

    @field_validator("created_at", "started_at", "finished_at")
    @classmethod
    def _utc(cls, moment: datetime | None) -> datetime | None:
        """SQLite hands back naive UTC; the API always says the zone (RFC 3339 date-times)."""
        return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment

    @classmethod
    def of(cls, sweep: Sweep, search: SearchState | None = None) -> SweepOut:
        state = progress(sweep)
        return cls(
            id=sweep.id, name=sweep.name, owner=sweep.owner, status=sweep.status, tags=tags_of(sweep),
            notes=sweep.notes or "", spec=sweep.spec,
            objectives=list(sweep.spec.get("objectives", [])), varied=varied_columns(sweep.spec),
            total_points=sweep.total_points,
            done_points=sweep.done_points, failed_points=sweep.failed_points, progress=state.fraction,
            points_per_s=state.points_per_s, eta_s=state.eta_s, elapsed_s=state.elapsed_s,
            chunk_size=sweep.chunk_size, chunk_count=sweep.chunk_count, chunks_done=sweep.chunks_done,
            chunks_failed=sweep.chunks_failed, error=sweep.error, created_at=sweep.created_at,
            started_at=sweep.started_at, finished_at=sweep.finished_at,
            search=SearchOut.model_validate(asdict(search)) if search else None,
        )


class SweepList(BaseModel):
    items: list[SweepOut]
    total: int
    limit: int
    offset: int


class Estimate(BaseModel):
    points: int = Field(description="Design points the spec expands to.")
    max_points: int = Field(description="The server's limit (DSE_MAX_SWEEP_POINTS).")
    chunk_size: int
    chunks: int
    dimensions: dict[str, int] = Field(description="Values per dimension (model, scenario, each axis).")
    strategy: str = "grid"
    space_points: int = Field(default=0, description="Size of the whole space (the grid of all dimensions).")
    note: str = Field(default="", description="How `points` was derived (e.g. a search's budget).")
    points_per_s: float | None = Field(default=None, description="Evaluation speed of one worker process for this "
                                                                 "workload, as measured on earlier sweeps.")
    worker_seconds: float | None = Field(default=None, description="`points` at that speed: seconds of one worker "
                                                                   "process (divide by the workers running).")
    speed_source: str = Field(default="", description="Where `points_per_s` comes from.")


class Columnar(BaseModel):
    """Rows as columns: `columns[name][i]` is row i's value of `name`."""

    columns: dict[str, list[Any]]
    total: int = Field(description="Rows matching the filters (over all pages).")
    total_exact: bool = Field(default=True, description="False when `total` is the planner's estimate.")
    count: int = Field(description="Rows in this answer.")
    limit: int
    offset: int


class ObjectiveOut(BaseModel):
    name: str
    direction: Literal["min", "max"]


class ParetoOut(BaseModel):
    columns: dict[str, list[Any]] = Field(description="The front's points, ordered by the first objective.")
    objectives: list[ObjectiveOut]
    front_size: int
    compared: int = Field(description="Points (after filters, failed points excluded) the front was taken over.")


class ErrorGroupOut(BaseModel):
    error: str = Field(description="The message the simulator gave for these points.")
    points: int
    example_point_id: int = Field(description="One of these points (GET /api/points/{id} shows it).")


class ErrorsOut(BaseModel):
    """Why points failed, grouped by message (most frequent first; at most `limit` messages)."""

    failed_points: int
    groups: list[ErrorGroupOut]


class ParetoGroupOut(BaseModel):
    key: dict[str, Any] = Field(description="The group's values of the `group_by` columns.")
    front: list[dict[str, Any]] = Field(description="The group's front, one record per point, by the first "
                                                    "objective.")
    front_size: int
    compared: int = Field(description="Points of this group (after filters) the front was taken over.")


class ParetoGroupsOut(BaseModel):
    """One front per group: a design for BERT-512 is never compared with one for BERT-128."""

    group_by: list[str]
    objectives: list[ObjectiveOut]
    groups: list[ParetoGroupOut]


class RecomputedOut(BaseModel):
    """How a stored point's report was obtained: recomputed now from its sweep's spec and index."""

    stored_by: str | None = Field(description="Fingerprint of the simulator that stored the point (null: not "
                                              "recorded, a point stored before fingerprints).")
    current: str = Field(description="Fingerprint of the simulator that recomputed the report.")
    same_simulator: bool
    differences: list[str] = Field(description="Metrics whose recomputed value differs from the stored one, with "
                                               "both values; empty when the recomputation reproduces the row.")


class PointOut(BaseModel):
    """One design point: its parameters, metrics, full inputs and the simulator's report (per-operator table)."""

    id: int | None = None
    sweep_id: int | None = None
    point_index: int | None = None
    error: str | None = None
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    accelerator: dict[str, Any] = Field(default_factory=dict, description="Every accelerator field of the point.")
    inputs: dict[str, Any] = Field(description="model, scenario, accelerator preset and overrides, options.")
    report: dict[str, Any] | None = Field(description="ops (per-operator rows), cycles_by_class, area breakdown.")
    breakdown: dict[str, Any] | None = Field(default=None, description="What the stored row keeps: cycles, energy "
                                                                       "and DRAM bytes by op class and by phase.")
    recomputed: RecomputedOut | None = Field(default=None, description="A stored point's report is recomputed "
                                                                       "when it is read; this says by which "
                                                                       "simulator and what differs.")
    calibration: CalibrationSummary | None = Field(default=None, description=(
        "When the point's accelerator is a calibrated preset or library accelerator: what it was fitted to, with "
        "its `label` (\"calibrated to <file>, <date>\"); null otherwise."))


class SimulateRequest(BaseModel):
    """One design point (a model preset, a scenario, an accelerator preset with field overrides, options), or one
    layer (a GEMM or a convolution) on an accelerator under a mapper or an explicit mapping: `model` or `layer`."""

    model: str | None = Field(default=None, examples=["bert-base"], description=(
        "A model preset or a library model: the whole model is evaluated (answer: a point). Give this or `layer`."))
    layer: LayerIn | None = Field(default=None, description=(
        "One GEMM (`kind: gemm`, m, k, n) or convolution (`kind: conv`, batch, in_channels, out_channels, out_h, "
        "out_w, kernel_h, kernel_w, stride, padding) evaluated on its own (answer: a layer, docs/layer_model.md). "
        "Give this or `model`."))
    scenario: dict[str, Any] = Field(default_factory=dict, examples=[{"seq_len": 128}])
    accelerator: str = Field(default="gemmini-default")
    overrides: dict[str, Any] = Field(default_factory=dict, examples=[{"rows": 32, "cols": 32}])
    options: dict[str, Any] = Field(default_factory=dict)
    mapper: Literal["optimal", "gemmini"] = Field(default="optimal", description=(
        "A layer's mapper: optimal (our search, the analytic model) or gemmini (Gemmini's tiler, priced by its "
        "measured execution model on a WS array). A model's mapper is `options.mapper`."))
    mapping: str | None = Field(default=None, min_length=1, max_length=1000, description=(
        "A layer's explicit Timeloop/DOSA mapping, e.g. `L3[WIO] K8 Q28 - L2[WI] N1 K4X - L1[O] K2 S7 R7 Q4 P7 C3X "
        "- L0[W] P16` (a GEMM's letters: P = m, C = k, K = n), priced by Gemmini's measured execution model."))

    @model_validator(mode="after")
    def _model_or_layer(self) -> SimulateRequest:
        if (self.model is None) == (self.layer is None):
            raise ValueError("give `model` (a whole model) or `layer` (one GEMM or convolution): exactly one of them")
        if self.layer is None and ("mapper" in self.model_fields_set or self.mapping is not None):
            raise ValueError("`mapper` and `mapping` are a layer's; a model's mapper is `options.mapper`")
        if self.layer is not None and (self.scenario or self.options):
            raise ValueError("a `layer` takes no `scenario` or `options`: its sizes are in `layer`, its mapper in "
                             "`mapper` or `mapping`")
        return self

    @model_validator(mode="after")
    def _no_boolean_numbers(self) -> SimulateRequest:
        for group, source in (("scenario", "scenario"), ("overrides", "accelerator"), ("options", "options")):
            for name, value in getattr(self, group).items():
                if boolean_for_number(source, name, value):
                    raise ValueError(f"{group}.{name}: {BOOLEAN_FOR_NUMBER}")
        return self


class TemplateOut(BaseModel):
    """A built-in template (backend/sweeps/templates.py): a sweep to create, or a dashboard page to open."""

    id: str
    kind: Literal["sweep", "page"] = Field(description="`sweep`: POST `spec` to /api/sweeps as it is (the dashboard "
                                                       "does it in one click and opens the study's page); `page`: "
                                                       "open `page`, which creates nothing.")
    name: str
    description: str
    spec: dict[str, Any] | None = Field(default=None, description="The SweepSpec of a `sweep` template.")
    page: str | None = Field(default=None, description="The dashboard route of a `page` template with its inputs "
                                                       "(e.g. #/landscape?gemms=MxKxN,...&accelerator=NAME).")
    reference: dict[str, Any] | None = Field(default=None, description=(
        "The published figures the study's page shows beside ours: `source`, and per figure where in the paper it "
        "was read."))


class ImportanceOut(BaseModel):
    """Which parameter drives an objective over a sweep's points (GET /api/sweeps/{id}/importance)."""

    objective: str
    importance: dict[str, float] = Field(description="Each parameter the sweep varies (over the points used) and its "
                                                     "share of the objective's variance; the shares sum to 1, largest "
                                                     "first.")
    points: int = Field(description="Evaluated points the shares were computed from.")
    sampled: bool = Field(description="True when the sweep has more matching points than one computation reads: the "
                                      "shares come from an evenly spread sample of them.")
    method: str = Field(description="The evaluator and its settings.")
