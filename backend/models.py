"""ORM models (SQLAlchemy 2 typed). The naming convention keeps migrations stable across databases."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backend.columns import INDEXED_METRICS, METRICS, PARAMETERS, TEXT_COLUMN_LENGTH

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- Sweeps and their results -------------------------------------------------------------------------

# BIGINT keys on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")
# JSONB on PostgreSQL (compact, indexable), JSON text elsewhere.
Json = JSON().with_variant(postgresql.JSONB(), "postgresql")



class SweepStatus(StrEnum):
    """A sweep's life: queued -> running -> done | failed | cancelled (its chunks use the same words)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (SweepStatus.QUEUED, SweepStatus.RUNNING)
FINAL_STATUSES = (SweepStatus.DONE, SweepStatus.FAILED, SweepStatus.CANCELLED)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Sweep(Base):
    """One sweep: its spec, status and progress counters (kept by the chunk tasks, not counted per query)."""

    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200), default="anonymous")
    spec: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    total_points: Mapped[int] = mapped_column(BigInteger)
    done_points: Mapped[int] = mapped_column(BigInteger, default=0)
    failed_points: Mapped[int] = mapped_column(BigInteger, default=0)
    chunk_size: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    chunks_failed: Mapped[int] = mapped_column(Integer, default=0)
    compute_s: Mapped[float] = mapped_column(Float, default=0.0)  # summed evaluation time over chunks
    # the simulator that was current when the sweep was created (backend/sweeps/fingerprint.py)
    simulator_fingerprint: Mapped[str | None] = mapped_column(String(32), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # ",tag1,tag2,": lower-case tags without commas, so a tag filter is one LIKE (backend/sweeps/annotations.py)
    tags: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class SweepChunk(Base):
    """Bookkeeping per chunk: a chunk counts towards progress exactly once, however often it runs."""

    __tablename__ = "sweep_chunks"
    __table_args__ = (UniqueConstraint("sweep_id", "chunk_index"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    chunk_index: Mapped[int] = mapped_column(Integer)
    start_index: Mapped[int] = mapped_column(BigInteger)
    stop_index: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | done | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    points_ok: Mapped[int] = mapped_column(Integer, default=0)
    points_failed: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_s: Mapped[float | None] = mapped_column(Float, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    simulator_fingerprint: Mapped[str | None] = mapped_column(String(32), default=None)  # the one that evaluated it


# --- Accounts -----------------------------------------------------------------------------------------


class User(Base):
    """A person (or robot) of the team: admin, member or viewer (see backend/accounts/auth.py)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """An API token: only its SHA-256 is stored; revoked tokens stay for the record."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class WebSession(Base):
    """A dashboard sign-in: the cookie holds a random id, the database its SHA-256; sign-out revokes it. It lives
    only as long as the token that opened it: revoking the token ends it."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), default=None)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class LibraryKind(StrEnum):
    MODEL = "model"
    ACCELERATOR = "accelerator"


class LibraryEntry(Base):
    """A team's own model or accelerator: a definition in the presets' format, named like a preset. A sweep that
    uses one copies the definition into its spec, so deleting the entry never breaks a stored sweep."""

    __tablename__ = "library_entries"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(Json)
    # the definition's scalar fields (and calibration): what a list shows, a few hundred bytes however large the
    # definition (backend/library/service.py `summary_of`)
    summary: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


_SQL_TYPES = {"float": Float, "int": BigInteger, "bool": Boolean}


def _result_columns() -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for entry in (*PARAMETERS.values(), *METRICS.values()):
        kind = String(entry.text_length or TEXT_COLUMN_LENGTH) if entry.type == "str" else _SQL_TYPES[entry.type]
        columns[entry.name] = mapped_column(kind, nullable=True)
    return columns


class DesignPoint(Base):
    """One evaluated design point: every input parameter and scalar metric as a column, and the small per-class and
    per-phase breakdown (backend/sweeps/breakdown.py). Nothing else: the point is a pure function of its sweep's spec
    and `point_index`, so its inputs and its full report are recomputed when someone opens it (GET /api/points/{id}).

    (sweep_id, point_index) is unique, so a retried chunk inserts nothing twice.
    """

    __tablename__ = "design_points"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    point_index: Mapped[int] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    locals().update(_result_columns())
    breakdown: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

    __table_args__ = (
        UniqueConstraint("sweep_id", "point_index", name="uq_design_points_sweep_id_point_index"),
        *(Index(f"ix_design_points_sweep_id_{name}", "sweep_id", name) for name in INDEXED_METRICS),
    )


class SearchBatch(Base):
    """One batch of a `search` sweep: the Optuna trials it asked (their numbers are the points' `point_index`),
    its chunks (`sweep_chunks` rows whose start/stop are positions in the sweep's sequence of asked points) and,
    once told, the hypervolume of everything stored so far (one fixed reference point per sweep)."""

    __tablename__ = "search_batches"
    __table_args__ = (UniqueConstraint("sweep_id", "batch_index"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    batch_index: Mapped[int] = mapped_column(Integer)
    first_position: Mapped[int] = mapped_column(BigInteger)  # position of its first point in the sweep's sequence
    trials: Mapped[list[Any]] = mapped_column(Json)  # [[trial number, {param: value}], …] in position order
    chunks_left: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | told
    hypervolume: Mapped[float | None] = mapped_column(Float, default=None)
    front_size: Mapped[int | None] = mapped_column(Integer, default=None)
    reference: Mapped[list[float] | None] = mapped_column(Json, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
