"""What the library API reads and answers: an entry, and the bodies that add a model or an accelerator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from backend.columns import TEXT_COLUMN_LENGTH
from backend.library.service import NAME_RULE
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
