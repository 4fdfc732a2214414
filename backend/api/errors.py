"""Errors as JSON `{"detail": ...}` a person can act on: bad input is 422, missing 404, state 409, never a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from backend.services.sweeps import Conflict, NotFound
from simulator.hardware import UnknownPresetError as UnknownAcceleratorPreset
from simulator.workload.model import UnknownPresetError as UnknownModelPreset


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in error.errors())
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    return str(error)


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, error: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(error)})

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, error: Conflict) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(error)})

    # Simulator and spec errors (unknown preset, bad axis value, too many points) are the caller's input.
    @app.exception_handler(ValueError)
    async def _bad_input(_request: Request, error: ValueError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _message(error)})

    for unknown_preset in (UnknownAcceleratorPreset, UnknownModelPreset):  # KeyErrors of the simulator
        @app.exception_handler(unknown_preset)
        async def _unknown_name(_request: Request, error: KeyError) -> JSONResponse:
            return JSONResponse(status_code=422, content={"detail": _message(error)})
