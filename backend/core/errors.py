"""Errors as JSON `{"detail": ...}` a person can act on: bad input is 422, missing 404, state 409, never a 500.

Validation errors (FastAPI's and our own) answer `detail` as one readable line (`axes.rows: -8 is not valid …`)
and `errors` as a list of `{loc, msg}` so a form can put each message next to its field.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from simulator.hardware import UnknownPresetError as UnknownAcceleratorPreset
from simulator.workload.model import UnknownPresetError as UnknownModelPreset


class NotFound(LookupError):
    """No object of that id (404)."""


class Conflict(RuntimeError):
    """The object's state forbids the action (409)."""


# A stored or echoed message stays readable and small however large the input it quotes (a 1 MiB value once
# made a sweep list 39 MB).
MAX_MESSAGE_CHARS = 1000  # room for a did-you-mean with both lists of axis names (accelerator fields, options)


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    # pydantic names the member of a union it tried ("list[...]", "RangeAxis"); a person needs the field
    return ".".join(p for p in parts if "[" not in p and p not in ("RangeAxis", "function-after"))


# pydantic's words for the common cases, said as a person would (the form shows them next to the field)
PLAIN: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a field here",
    "too_short": "give at least {min_length}",
    "too_long": "takes at most {max_length}",
    "string_too_short": "cannot be empty",
    "string_too_long": "must be at most {max_length} characters",
    "int_parsing": "must be a whole number",
    "float_parsing": "must be a number",
    "greater_than": "must be above {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be below {lt}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
    "json_invalid": "is not valid JSON",
}


def _plain(error: dict[str, Any]) -> str:
    template = PLAIN.get(str(error.get("type")))
    if template is None:
        return str(error.get("msg", "")).removeprefix("Value error, ")
    ctx = {key: f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
           for key, value in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return str(error.get("msg", ""))


def readable(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """One line for people and a `{loc, msg}` list for forms, from pydantic's errors."""
    items = []
    for error in errors:
        msg = shorten(_plain(error))
        items.append({"loc": _where(error.get("loc", ())), "msg": msg})
    unique = list(dict.fromkeys(f"{i['loc']}: {i['msg']}" if i["loc"] else i["msg"] for i in items))
    return "; ".join(unique), items


def message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return shorten(readable(error.errors())[0])
    if isinstance(error, KeyError) and error.args:
        return shorten(str(error.args[0]))
    return shorten(str(error))


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, error: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(error)})

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, error: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(error)})

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        detail, items = readable(list(error.errors()))
        return JSONResponse(status_code=422, content={"detail": detail, "errors": items})

    # Simulator and spec errors (unknown preset, bad axis value, too many points) are the caller's input.
    @app.exception_handler(ValueError)
    async def _bad_input(_request: Request, error: ValueError) -> JSONResponse:
        if isinstance(error, ValidationError):
            detail, items = readable(error.errors())
            return JSONResponse(status_code=422, content={"detail": detail, "errors": items})
        return JSONResponse(status_code=422, content={"detail": message(error)})

    for unknown_preset in (UnknownAcceleratorPreset, UnknownModelPreset):  # KeyErrors of the simulator
        @app.exception_handler(unknown_preset)
        async def _unknown_name(_request: Request, error: KeyError) -> JSONResponse:
            return JSONResponse(status_code=422, content={"detail": message(error)})
