"""What the library API reads and answers: an entry, and the bodies that add a model or an accelerator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from backend.columns import TEXT_COLUMN_LENGTH
from backend.library.service import NAME_RULE, EntryRow
from backend.models import LibraryEntry, LibraryKind
from simulator.hardware import CalibrationSummary, calibration_summary


class EntryOut(BaseModel):
    kind: LibraryKind
    name: str
    owner: str
    source: str
    created_at: datetime
    definition: dict[str, Any] = Field(description="The definition in the presets' format (what a sweep copies).")
    calibration: CalibrationSummary | None = Field(default=None, description=(
        "An accelerator calibrated to measurements (dse calibrate, POST /api/calibrate): what it was fitted to and "
        "its `label`, shown wherever it is named; null when it is not calibrated."))

    @field_validator("created_at")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite hands back naive UTC

    @classmethod
    def of(cls, entry: LibraryEntry) -> EntryOut:
        return cls(kind=LibraryKind(entry.kind), name=entry.name, owner=entry.owner, source=entry.source,
                   created_at=entry.created_at, definition=entry.definition,
                   calibration=calibration_summary(entry.definition))


class EntrySummary(BaseModel):
    """An entry as a list shows it: its definition's scalar fields, not the definition (GET /api/…/{name} has it)."""

    kind: LibraryKind
    name: str
    owner: str
    source: str
    created_at: datetime
    summary: dict[str, Any] = Field(description="The definition's scalar fields (text clipped to 200 characters).")
    calibration: CalibrationSummary | None = None

    @field_validator("created_at")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

    @classmethod
    def of(cls, row: EntryRow) -> EntrySummary:
        fields = {key: value for key, value in row.summary.items() if key != "calibration"}
        return cls(kind=LibraryKind(row.kind), name=row.name, owner=row.owner, source=row.source,
                   created_at=row.created_at, summary=fields, calibration=calibration_summary(row.summary))


class EntryList(BaseModel):
    items: list[EntrySummary]
    total: int = Field(description="Entries of this kind in the library.")
    limit: int
    offset: int


class ModelIn(BaseModel):
    name: str = Field(min_length=1, max_length=TEXT_COLUMN_LENGTH, description=NAME_RULE)
    config: dict[str, Any] | None = Field(default=None, description="A Hugging Face config.json's content.")
    definition: dict[str, Any] | None = Field(default=None, description="Model fields in the presets' format.")


class AcceleratorIn(BaseModel):
    name: str = Field(min_length=1, max_length=TEXT_COLUMN_LENGTH, description=NAME_RULE)
    preset: str | None = Field(default=None, description="Start from this preset (or a library accelerator's "
                                                         "definition: give `definition`).")
    overrides: dict[str, Any] = Field(default_factory=dict, description="AcceleratorSpec fields to change.")
    definition: dict[str, Any] | None = Field(default=None, description="Every AcceleratorSpec field you set; the "
                                                                        "rest take the base preset's values.")
    options: dict[str, Any] = Field(default_factory=dict, description="Simulator options this design assumes.")
