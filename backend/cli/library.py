"""`dse model add|list|rm` and `dse accelerator add|list|rm`: the team library, in-process on the configured database
or against a server (`--server URL`, with DSE_TOKEN in team mode)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer
from rich.console import Console

from backend.cli import display
from backend.cli.catalog_options import Given, catalog_options
from backend.cli.local import CliError, database, load_mapping, run
from backend.cli.sweep import Remote, ServerOption
from backend.models import LibraryKind

model_app = typer.Typer(help="The team library's models (Hugging Face config.json or the presets' format).",
                        no_args_is_help=True)
accelerator_app = typer.Typer(help="The team library's accelerators (a preset with changes, or a definition).",
                              no_args_is_help=True)
console = Console()
PATHS = {LibraryKind.MODEL: "/api/models", LibraryKind.ACCELERATOR: "/api/accelerators"}
WHOLE_LIBRARY = 1_000  # one page holds the whole library (backend/library/service.py MAX_ENTRIES_PER_TEAM)


def read_mapping(path: Path) -> dict[str, Any]:
    """A JSON or YAML file holding one mapping."""
    return load_mapping(path, "of fields")


def _add(kind: LibraryKind, body: dict[str, Any], server: str | None) -> dict[str, Any]:
    if server:
        return Remote(server)._call("POST", PATHS[kind], json=body)
    from backend.core.db import transaction
    from backend.library import service as library
    from backend.library.schemas import EntryOut

    factory = database()
    if kind is LibraryKind.MODEL:
        definition, source = library.model_definition(body["name"], config=body.get("config"),
                                                      definition=body.get("definition"))
    else:
        definition, source = library.accelerator_definition(
            body["name"], preset=body.get("preset"), overrides=body.get("overrides"),
            definition=body.get("definition"), options=body.get("options"))
    with transaction(factory) as session:
        entry = library.add(session, kind, body["name"], definition, source, getpass.getuser())
        return EntryOut.of(entry).model_dump(mode="json")


def _entries(kind: LibraryKind, server: str | None) -> list[dict[str, Any]]:
    if server:
        return Remote(server)._call("GET", f"{PATHS[kind]}?limit={WHOLE_LIBRARY}")["items"]
    from backend.library import service as library
    from backend.library.schemas import EntrySummary

    with database()() as session:
        return [EntrySummary.of(row).model_dump(mode="json") for row in library.entries(session, kind)[0]]


def _remove(kind: LibraryKind, name: str, server: str | None) -> None:
    if server:
        Remote(server)._call("DELETE", f"{PATHS[kind]}/{quote(name, safe='')}")
        return
    from backend.core.db import transaction
    from backend.library import service as library

    with transaction(database()) as session:
        library.remove(session, kind, name)


@model_app.command("add")
def model_add(name: str, file: Annotated[Path, typer.Argument(help="A Hugging Face config.json, or a YAML/JSON "
                                                                  "model in the presets' format.")],
              server: ServerOption = None) -> None:
    """Add a model to the library under NAME; sweeps and `dse simulate --model NAME` use it like a preset."""
    def work() -> dict[str, Any]:
        data = read_mapping(file)
        body = {"name": name, "config": data} if "model_type" in data else {"name": name, "definition": data}
        return _add(LibraryKind.MODEL, body, server)

    entry = run(work)
    d = entry["definition"]
    console.print(f"model {entry['name']} added: {d.get('family')}, {d.get('num_layers', '?')} layers, "
                  f"d_model {d.get('d_model', '?')} ({entry['source']})")


@model_app.command("list")
def model_list(server: ServerOption = None) -> None:
    """The library's models."""
    entries = run(lambda: _entries(LibraryKind.MODEL, server))
    table = display.table("name", "family", "layers", "d_model", "heads", "max positions", "owner", "source",
                          names=[e["name"] for e in entries])
    for e in entries:
        d = e["summary"]
        table.add_row(e["name"], str(d.get("family", "")), str(d.get("num_layers", "")), str(d.get("d_model", "")),
                      str(d.get("num_heads", "")), str(d.get("max_positions", "")), e["owner"], e["source"])
    console.print(table)


@model_app.command("rm")
def model_rm(name: str, server: ServerOption = None) -> None:
    """Remove a model (sweeps that used it keep their copy)."""
    run(lambda: _remove(LibraryKind.MODEL, name, server))
    console.print(f"model {name} removed")


@accelerator_app.command("add")
@catalog_options("accelerator")
def accelerator_add(
    name: str,
    given: Given,
    file: Annotated[Path | None, typer.Argument(help="YAML/JSON: AcceleratorSpec fields (and `options`), or "
                                                     "`preset` with `overrides`.")] = None,
    preset: Annotated[str | None, typer.Option(help="Start from this preset; the field flags change it.")] = None,
    server: ServerOption = None,
) -> None:
    """Add an accelerator to the library under NAME: a preset with changed fields (`--preset gemmini-default
    --rows 32`) or a file; sweeps and `dse simulate --accelerator NAME` use it like a preset."""
    def work() -> dict[str, Any]:
        if file is None and preset is None:
            raise CliError("give --preset (and field flags such as --rows 32) or a FILE of AcceleratorSpec fields")
        data = read_mapping(file) if file is not None else {}
        if file is None or "preset" in data:
            body = {"name": name, "preset": preset or data.get("preset"),
                    "overrides": {**data.get("overrides", {}), **given.overrides}, "options": data.get("options", {})}
        else:
            body = {"name": name, "definition": {**data, **given.overrides}}
        return _add(LibraryKind.ACCELERATOR, body, server)

    entry = run(work)
    d = entry["definition"]
    calibrated = f", {entry['calibration']['label']}" if entry.get("calibration") else ""
    console.print(f"accelerator {entry['name']} added: {d['rows']}x{d['cols']} {d['dataflow']}, "
                  f"{d['scratchpad_kib']:g} KiB scratchpad{calibrated} ({entry['source']})")


@accelerator_app.command("list")
def accelerator_list(server: ServerOption = None) -> None:
    """The library's accelerators."""
    entries = run(lambda: _entries(LibraryKind.ACCELERATOR, server))
    table = display.table("name", "array", "dataflow", "scratchpad KiB", "accumulator KiB", "owner", "source",
                          "calibration", names=[e["name"] for e in entries])
    for e in entries:
        d = e["summary"]
        table.add_row(e["name"], f"{d['rows']}x{d['cols']}", d["dataflow"], f"{d['scratchpad_kib']:g}",
                      f"{d['accumulator_kib']:g}", e["owner"], e["source"],
                      e["calibration"]["label"] if e.get("calibration") else "not calibrated")
    console.print(table)


@accelerator_app.command("rm")
def accelerator_rm(name: str, server: ServerOption = None) -> None:
    """Remove an accelerator (sweeps that used it keep their copy)."""
    run(lambda: _remove(LibraryKind.ACCELERATOR, name, server))
    console.print(f"accelerator {name} removed")
