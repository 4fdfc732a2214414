"""What people add to a sweep after creating it: a new name, tags and notes (PATCH /api/sweeps/{id},
`dse sweep rename|tag|note`). None of it changes what the sweep computes, so any finished or running sweep takes it.

Tags are stored as ",tag1,tag2," in one text column: a tag filter is one LIKE on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from backend.models import Sweep

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_NOTES_LENGTH = 10_000
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._:+/-]*$")


def normal_tag(text: str) -> str:
    """A tag as stored: trimmed, lower case; refused when it is empty, too long or holds other characters."""
    tag = text.strip().lower()
    if not tag or len(tag) > MAX_TAG_LENGTH or not TAG_PATTERN.match(tag):
        raise ValueError(f"tag '{text[:60]}' must be 1 to {MAX_TAG_LENGTH} characters: letters, digits and . _ : + / - "
                         "(starting with a letter or digit), e.g. 'baseline' or 'paper:fig7'")
    return tag


class SweepChanges(BaseModel):
    """Any of a sweep's name, tags (the whole list, replacing the old one) and notes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "bert-512 memory study", "tags": ["memory", "paper:fig7"], "notes": "Scratchpad above 256 KiB buys "
                                                                                     "nothing at l=512."}]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS, description=(
        f"At most {MAX_TAGS} tags of 1 to {MAX_TAG_LENGTH} characters (letters, digits, . _ : + / -), kept in lower "
        "case, duplicates dropped; replaces the sweep's tags."))
    notes: str | None = Field(default=None, max_length=MAX_NOTES_LENGTH, description="Free text (replaces the old).")

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, name: str | None) -> str | None:
        if name is not None and not name.strip():
            raise ValueError("a sweep's name cannot be blank")
        return name.strip() if name is not None else None

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str] | None) -> list[str] | None:
        return None if tags is None else list(dict.fromkeys(normal_tag(tag) for tag in tags))

    @model_validator(mode="after")
    def _something(self) -> SweepChanges:
        if self.name is None and self.tags is None and self.notes is None:
            raise ValueError("nothing to change: give name, tags or notes")
        return self


def stored_tags(tags: list[str]) -> str:
    return f",{','.join(tags)}," if tags else ""


def tags_of(sweep: Sweep) -> list[str]:
    return [tag for tag in (sweep.tags or "").split(",") if tag]


def has_tag(tag: str) -> ColumnElement[bool]:
    """Sweeps carrying `tag` (a valid tag holds no LIKE wildcard but `_`, escaped here)."""
    escaped = normal_tag(tag).replace("_", "\\_")
    return Sweep.tags.like(f"%,{escaped},%", escape="\\")


def change(session: Session, sweep: Sweep, changes: SweepChanges) -> Sweep:
    """Applies the changes (the request's commit stores them)."""
    if changes.name is not None:
        sweep.name = changes.name
    if changes.tags is not None:
        sweep.tags = stored_tags(changes.tags)
    if changes.notes is not None:
        sweep.notes = changes.notes
    session.flush()
    return sweep
