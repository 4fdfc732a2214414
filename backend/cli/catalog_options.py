"""Command-line options built from the simulator's catalog: one flag per parameter (`--rows`, `--softmax-on`,
`--weight-precision`, `--seq-len`, …), with the catalog's label, unit, choices and bounds as help.

A command declares which sources it takes (`@catalog_options("scenario", "accelerator", "options")`) and receives
the values that were given as `given: Given` (scenario fields, accelerator overrides, options; flags left out are
absent, so the preset's or the simulator's own default applies). A new simulator field is a new flag.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from simulator import catalog
from simulator.catalog import Entry

_TYPES: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool}
_TARGET = {"scenario": "scenario", "accelerator": "overrides", "options": "options"}


@dataclass
class Given:
    """The catalog flags a user gave, by where they go."""

    scenario: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _help(entry: Entry) -> str:
    parts = [entry.title]
    if entry.choices:
        parts.append(f"one of {', '.join(entry.choices)}")
    if entry.minimum is not None or entry.maximum is not None:
        low = "" if entry.minimum is None else f"{'>' if entry.exclusive_minimum else '≥'} {_number(entry.minimum)}"
        high = "" if entry.maximum is None else f"{'<' if entry.exclusive_maximum else '≤'} {_number(entry.maximum)}"
        parts.append(", ".join(p for p in (low, high) if p))
    if entry.source == "accelerator":
        parts.append("default: the preset's")
    elif isinstance(entry.default, bool):
        parts.append(f"default: {'on' if entry.default else 'off'}")
    elif entry.default is not None:
        parts.append(f"default: {entry.default}")
    return "; ".join(parts) + "."


def _panel(entry: Entry) -> str:
    source = entry.source.capitalize()
    return f"{source} ({entry.group})" if entry.group and entry.group != entry.source else source


def _parameter(entry: Entry) -> inspect.Parameter:
    name = flag(entry.name)
    decls = (f"{name}/--no-{name[2:]}",) if entry.type == "bool" else (name,)
    option = typer.Option(*decls, help=_help(entry), rich_help_panel=_panel(entry), show_default=False)
    annotation = Annotated[_TYPES[entry.type] | None, option]
    return inspect.Parameter(entry.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


def catalog_options(*sources: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Adds a flag per catalog parameter of `sources` to a Typer command, passed to it as `given`."""
    entries = [e for e in catalog.PARAMETERS if e.source in sources]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for name, p in inspect.signature(command, eval_str=True).parameters.items() if name != "given"]
        taken = {p.name for p in own}
        added = [_parameter(e) for e in entries if e.name not in taken]
        names = {p.name: next(e for e in entries if e.name == p.name) for p in added}

        def wrapper(**values: Any) -> Any:
            given = Given()
            for name, entry in names.items():
                value = values.pop(name)
                if value is not None:
                    getattr(given, _TARGET[entry.source])[name] = value
            return command(**values, given=given)

        parameters = own + added
        wrapper.__signature__ = inspect.Signature(parameters)
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        wrapper.__name__, wrapper.__doc__ = command.__name__, command.__doc__
        return wrapper

    return decorate
