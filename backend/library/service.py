"""The team library's service: models and accelerators a team defines once and names like presets.

An entry is a definition in the presets' own format (a model's fields; an accelerator's fields and its options),
checked when it is added. Wherever a preset name is accepted a library name is too: a sweep copies the definitions
it uses into its spec when it is submitted (`with_library`), so a stored sweep never depends on the library and
deleting an entry breaks nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.columns import TEXT_COLUMN_LENGTH
from backend.core.errors import Conflict, NotFound, message
from backend.core.limits import MAX_SPEC_BYTES
from backend.models import LibraryEntry, LibraryKind
from simulator import list_accelerator_presets, list_model_presets
from simulator.design_point import Definitions
from simulator.hardware import (
    accelerator_from_definition,
    calibration_summary,
    load_accelerator_preset_data,
    preset_options,
)
from simulator.options import Options
from simulator.workload import ConfigImportError, model_from_data, model_from_hf_dict

# A sweep stores the name in a text result column: no longer than that column.
NAME = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{TEXT_COLUMN_LENGTH - 1}}}$")
NAME_RULE = f"1 to {TEXT_COLUMN_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit"


MAX_DESCRIPTION_CHARS = 2_000
MAX_ENTRIES_PER_USER = 100  # models and accelerators together
MAX_ENTRIES_PER_TEAM = 1_000
SUMMARY_TEXT_CHARS = 200


class LibraryError(ValueError):
    """A definition the simulator cannot use, or a name that cannot be an entry's (422 with the reason)."""


class EntryRow(NamedTuple):
    """An entry as a list reads it: its summary, not its definition."""

    kind: str
    name: str
    owner: str
    source: str
    created_at: datetime
    summary: dict[str, Any]


def _preset_names(kind: LibraryKind) -> tuple[str, ...]:
    return list_model_presets() if kind is LibraryKind.MODEL else list_accelerator_presets()


def check_name(kind: LibraryKind, name: str) -> str:
    if not NAME.match(name):
        raise LibraryError(f"name '{name[:100]}' is not valid: {NAME_RULE}")
    key = name.lower().replace("_", "-")
    if any(key == preset.lower().replace("_", "-") for preset in _preset_names(kind)):
        raise LibraryError(f"'{name}' is a packaged {kind} preset; choose another name")
    return name


def model_definition(name: str, *, config: Any = None, definition: Any = None) -> tuple[dict[str, Any], str]:
    """(definition, source) from a Hugging Face config.json's content or a model in the presets' format."""
    if (config is None) == (definition is None):
        raise LibraryError("give either `config` (a Hugging Face config.json) or `definition` (the presets' format)")
    try:
        if config is not None:
            model = model_from_hf_dict(config, name, where="config.json", origin="uploaded config.json")
            source = model.source
        else:
            if not isinstance(definition, Mapping):
                raise LibraryError("definition must be an object of model fields")
            model = model_from_data({**definition, "name": name})
            source = str(definition.get("source", "")) or "a definition in the presets' format"
    except ConfigImportError as error:
        raise LibraryError(str(error)) from None
    except (ValueError, TypeError) as error:
        raise LibraryError(f"model '{name}': {message(error)}") from None
    return model.model_dump(mode="json"), source


def accelerator_definition(name: str, *, preset: str | None = None, overrides: Mapping[str, Any] | None = None,
                           definition: Any = None, options: Mapping[str, Any] | None = None,
                           ) -> tuple[dict[str, Any], str]:
    """(definition, source) from "preset + overrides" or a whole AcceleratorSpec mapping, with optional options."""
    if (preset is None) == (definition is None):
        raise LibraryError("give either `preset` (with optional `overrides`) or `definition` (AcceleratorSpec fields)")
    try:
        if preset is not None:
            base = load_accelerator_preset_data(preset)
            spec = accelerator_from_definition(base, **dict(overrides or {}))
            assumed = {**preset_options(preset), **dict(options or {})}
            changed = ", ".join(f"{k}={v}" for k, v in (overrides or {}).items())
            source = f"preset {preset}" + (f" with {changed}" if changed else "")
            calibration = Definitions().calibration(preset, overrides or {})  # None when a fitted one is changed
        else:
            if not isinstance(definition, Mapping):
                raise LibraryError("definition must be an object of accelerator fields")
            spec = accelerator_from_definition(definition)
            assumed = dict(definition.get("options", {})) | dict(options or {})
            calibration = calibration_summary(definition)
            source = "a definition of AcceleratorSpec fields"
    except KeyError as error:
        raise LibraryError(message(error)) from None
    except (ValueError, TypeError) as error:
        raise LibraryError(f"accelerator '{name}': {message(error)}") from None
    data = {**spec.model_dump(mode="json"), "name": name}
    if calibration is not None:
        data["calibration"] = calibration.model_dump(mode="json", exclude={"label"})
    if assumed:
        try:
            data["options"] = Options(**assumed).model_dump(mode="json", exclude_defaults=True)
        except ValueError as error:
            raise LibraryError(f"accelerator '{name}' options: {message(error)}") from None
    return data, source


def add(session: Session, kind: LibraryKind, name: str, definition: dict[str, Any], source: str,
        owner: str) -> LibraryEntry:
    check_name(kind, name)
    check_size(definition)
    taken = f"the library already has a {kind} named '{name}'; remove it first or choose another name"
    if _find(session, kind, name) is not None:
        raise Conflict(taken)
    _check_room(session, owner)
    entry = LibraryEntry(kind=kind.value, name=name, owner=owner, source=source[:500], definition=definition,
                         summary=summary_of(definition))
    session.add(entry)
    try:
        session.flush()
    except IntegrityError:  # added by another request between the check above and this insert
        raise Conflict(taken) from None
    return entry


def check_size(definition: dict[str, Any]) -> None:
    """A definition a sweep can carry: a sweep copies it into its spec, which is capped at MAX_SPEC_BYTES."""
    description = definition.get("description")
    if isinstance(description, str) and len(description) > MAX_DESCRIPTION_CHARS:
        raise LibraryError(f"the description has {len(description):,} characters; at most {MAX_DESCRIPTION_CHARS:,}")
    size = len(json.dumps(definition, separators=(",", ":")))
    if size > MAX_SPEC_BYTES:
        raise LibraryError(f"the definition is {size:,} bytes of JSON; at most {MAX_SPEC_BYTES:,} (a sweep copies it "
                           "into its spec, which has that cap)")


def _check_room(session: Session, owner: str) -> None:
    """Entries per user and per team are capped: the library is shared, and every list and form reads it."""
    mine, everyone = session.execute(select(func.count().filter(LibraryEntry.owner == owner),
                                            func.count()).select_from(LibraryEntry)).one()
    if everyone >= MAX_ENTRIES_PER_TEAM:
        raise Conflict(f"the library holds {everyone} entries, its limit ({MAX_ENTRIES_PER_TEAM}); remove some first")
    if mine >= MAX_ENTRIES_PER_USER:
        raise Conflict(f"'{owner}' has {mine} library entries, the most one user may have ({MAX_ENTRIES_PER_USER}); "
                       "remove some first")


def summary_of(definition: dict[str, Any]) -> dict[str, Any]:
    """What a list shows of a definition: its scalar fields (text clipped) and its calibration, never nested data."""
    out: dict[str, Any] = {key: value[:SUMMARY_TEXT_CHARS] if isinstance(value, str) else value
                           for key, value in definition.items()
                           if value is None or isinstance(value, bool | int | float | str)}
    if isinstance(definition.get("calibration"), dict):
        out["calibration"] = definition["calibration"]
    return out


def _find(session: Session, kind: LibraryKind, name: str) -> LibraryEntry | None:
    return session.execute(select(LibraryEntry).where(LibraryEntry.kind == kind.value,
                                                      LibraryEntry.name == name)).scalar_one_or_none()


def get(session: Session, kind: LibraryKind, name: str) -> LibraryEntry:
    entry = _find(session, kind, name)
    if entry is None:
        raise NotFound(f"the library has no {kind} named '{name[:100]}'")
    return entry


def entries(session: Session, kind: LibraryKind, limit: int = MAX_ENTRIES_PER_TEAM,
            offset: int = 0) -> tuple[list[EntryRow], int]:
    """A page of entries by name, without their definitions (a list reads summaries only), and how many there are."""
    rows = session.execute(select(LibraryEntry.kind, LibraryEntry.name, LibraryEntry.owner, LibraryEntry.source,
                                  LibraryEntry.created_at, LibraryEntry.summary)
                           .where(LibraryEntry.kind == kind.value).order_by(LibraryEntry.name)
                           .limit(limit).offset(offset)).all()
    total = session.execute(select(func.count()).select_from(LibraryEntry)
                            .where(LibraryEntry.kind == kind.value)).scalar_one()
    return [EntryRow(*row) for row in rows], total


def names(session: Session, kind: LibraryKind) -> list[str]:
    return list(session.execute(select(LibraryEntry.name).where(LibraryEntry.kind == kind.value)
                                .order_by(LibraryEntry.name)).scalars())


def remove(session: Session, kind: LibraryKind, name: str) -> None:
    session.delete(get(session, kind, name))


def _definitions(session: Session, kind: LibraryKind, names: set[str]) -> dict[str, dict[str, Any]]:
    if not names:
        return {}
    rows = session.execute(select(LibraryEntry.name, LibraryEntry.definition).where(
        LibraryEntry.kind == kind.value, LibraryEntry.name.in_(sorted(names)))).all()
    return {name: definition for name, definition in rows}


def _strings(values: Any) -> set[str]:
    return {value for value in values if isinstance(value, str)} if isinstance(values, list) else set()


def with_library(session: Session, spec: Any) -> Any:
    """A submitted spec (raw JSON) with the definitions of the library names it uses copied into it (names that are
    presets or already defined by the spec are left alone; unknown ones, and values of the wrong type, are left for
    the spec's own check, which says what is wrong with them)."""
    if not isinstance(spec, dict):
        return spec
    out = dict(spec)
    variants = spec.get("variants") if isinstance(spec.get("variants"), list) else []
    accelerators = _strings([spec.get("accelerator"), *(v.get("accelerator") for v in variants if isinstance(v, dict))])
    for kind, names, key in ((LibraryKind.MODEL, _strings(spec.get("models")), "model_definitions"),
                             (LibraryKind.ACCELERATOR, accelerators, "accelerator_definitions")):
        given = spec.get(key) if isinstance(spec.get(key), dict) else {}
        wanted = {name for name in names if name not in given} - set(_preset_names(kind))
        found = _definitions(session, kind, wanted)
        if found:
            out[key] = {**given, **found}
    return out


def definitions_for(session: Session, model: str, accelerator: str) -> Definitions:
    """What one point (`POST /api/simulate`, `dse simulate`) needs from the library for these names."""
    return definitions_of(session, {model}, {accelerator})


def definitions_of(session: Session, models: set[str], accelerators: set[str]) -> Definitions:
    """The library's definitions of those names that are not packaged presets (a calibration's measured rows)."""
    return Definitions(_definitions(session, LibraryKind.MODEL, models - set(list_model_presets())),
                       _definitions(session, LibraryKind.ACCELERATOR, accelerators - set(list_accelerator_presets())))
