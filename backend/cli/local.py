"""What the in-process commands share: the configured database (refused, not created, when there is none here) and
one-line errors (exit code 2, no traceback).

Run outside a stack's directory, `dse sweep list` would otherwise create an empty `./var/dse.sqlite3` and fail on
its missing tables; it says instead where it looked and how to point it at a database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
import yaml
from pydantic import ValidationError
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db import make_engine, make_session_factory
from backend.core.errors import Conflict, NotFound, message
from backend.core.limits import MAX_JSON_DEPTH
from backend.core.settings import Settings

T = TypeVar("T")
HOW = "start `dse serve` here (it creates and migrates one), set DSE_DATABASE_URL, or pass --server URL"


class CliError(RuntimeError):
    """A problem the user can act on: printed as one line, exit code 2."""


def database(settings: Settings | None = None) -> sessionmaker[Session]:
    """Sessions on the configured database; CliError (creating nothing) when it does not exist or is not migrated."""
    settings = settings or Settings()
    url = make_url(settings.sqlalchemy_url)
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        if not path.exists():
            where = path.parent if settings.database_url is None else path
            raise CliError(f"no database at {where}; {HOW}")
    engine = make_engine(settings.sqlalchemy_url)
    try:
        if not inspect(engine).has_table("sweeps"):
            raise CliError(f"the database {shown} has no Transformer DSE tables; {HOW}")
    except SQLAlchemyError as error:
        raise CliError(f"cannot open the database {shown} ({type(error.orig or error).__name__}); {HOW}") from None
    return make_session_factory(engine)


def fail(text: str) -> NoReturn:
    """One line on stderr and exit code 2: how every command reports input the user can fix."""
    typer.echo(f"error: {text}", err=True)
    raise typer.Exit(2)


def one_line(error: Exception) -> str:
    """An error as one line: every problem of a ValidationError at its field (`overrides.rows: ...`), else the
    error's first line."""
    if isinstance(error, ValidationError):
        parts = []
        for e in error.errors():
            where = ".".join(str(p) for p in e["loc"])
            text = e["msg"].removeprefix("Value error, ")
            parts.append(f"{where}: {text}" if where else text)
        return "; ".join(parts)
    return first_line(error)


def run(action: Callable[[], T]) -> T:
    """Runs a command's work; any expected failure becomes one line on stderr and exit code 2."""
    try:
        return action()
    except (CliError, NotFound, Conflict) as error:
        fail(str(error))
    except ValidationError as error:
        fail(message(error))
    except SQLAlchemyError as error:
        fail(f"database error ({type(getattr(error, 'orig', None) or error).__name__}): "
             f"{str(getattr(error, 'orig', None) or error).strip().splitlines()[0][:300]}")
    except (ValueError, KeyError, OSError) as error:
        fail(message(error) if not isinstance(error, OSError) else f"{error.filename or ''}: {error.strerror}")


def load_mapping(path: Path, what: str) -> dict[str, Any]:
    """One mapping from a JSON or YAML file, or a one-line CliError: unreadable, not a mapping, or nested deeper than
    the API accepts (a parser recurses per level: 1,000 levels raised RecursionError, a traceback)."""
    if not path.exists():
        raise CliError(f"{path} does not exist")
    kind = "JSON" if path.suffix == ".json" else "YAML"
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if kind == "YAML" else json.loads(text)
    except RecursionError:
        raise CliError(f"{path}: nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, yaml.YAMLError) as error:
        raise CliError(f"{path}: not valid {kind} ({first_line(error)})") from None
    if not isinstance(data, dict):
        raise CliError(f"{path}: expected one mapping ({what})")
    if nesting(data) > MAX_JSON_DEPTH:
        raise CliError(f"{path}: nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def nesting(data: Any) -> int:
    """How deep lists and mappings nest, without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def first_line(value: Any) -> str:
    return str(value).strip().splitlines()[0] if str(value).strip() else type(value).__name__
