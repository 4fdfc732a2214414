"""The team library over REST: `/api/models` and `/api/accelerators` (add, list, read, remove).

A model is added from a Hugging Face `config.json` (a JSON body `{"name", "config"}`, or a multipart upload with
fields `name` and `config`) or from a definition in the presets' format; an accelerator from "preset + overrides"
or a whole definition. Members and admins add; the owner or an admin removes; everyone signed in reads.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from backend.accounts.auth import CurrentUser
from backend.columns import TEXT_COLUMN_LENGTH
from backend.core.deps import MAX_ID, SessionDep
from backend.core.limits import too_deep
from backend.library import service
from backend.library.schemas import AcceleratorIn, EntryList, EntryOut, EntrySummary, ModelIn
from backend.models import LibraryKind

router = APIRouter(tags=["library"])
EntryName = Annotated[str, Path(min_length=1, max_length=TEXT_COLUMN_LENGTH)]


def _invalid(error: ValidationError) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()])


async def model_upload(request: Request) -> ModelIn:
    """The request's model: JSON, or a multipart form with `name` and a `config` file (config.json)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload, name = form.get("config"), form.get("name")
        if not isinstance(upload, UploadFile):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the form needs a `config` file "
                                "(a Hugging Face config.json) and a `name`")
        raw = await upload.read()
        if not isinstance(name, str) or not name:
            name = (upload.filename or "").removesuffix(".json")
        refusal = too_deep(raw)
        if refusal is not None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{upload.filename or 'config'}: {refusal}")
        try:
            config = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                f"{upload.filename or 'config'}: not valid JSON ({error})") from None
        data: Any = {"name": name, "config": config}
    else:
        try:
            data = await request.json()
        except ValueError:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the body is not valid JSON") from None
    try:
        return ModelIn.model_validate(data)
    except ValidationError as error:
        raise _invalid(error) from None


MODEL_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/ModelIn"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["config"], "properties": {
        "name": {"type": "string", "description": service.NAME_RULE},
        "config": {"type": "string", "format": "binary", "description": "A Hugging Face config.json."}}}},
}}}


def _member(user: CurrentUser) -> None:
    if not user.can_create():
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"viewers read only; '{user.name}' cannot add to the library")


def _bad(error: service.LibraryError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


@router.post("/api/models", response_model=EntryOut, status_code=status.HTTP_201_CREATED, openapi_extra=MODEL_BODY,
             summary="Add a model to the team library (a Hugging Face config.json, or the presets' format)")
def add_model(body: Annotated[ModelIn, Depends(model_upload)], user: CurrentUser, session: SessionDep) -> EntryOut:
    _member(user)
    try:
        definition, source = service.model_definition(body.name, config=body.config, definition=body.definition)
        entry = service.add(session, LibraryKind.MODEL, body.name, definition, source, user.name)
    except service.LibraryError as error:
        raise _bad(error) from error
    return EntryOut.of(entry)


@router.post("/api/accelerators", response_model=EntryOut, status_code=status.HTTP_201_CREATED,
             summary="Add an accelerator to the team library (preset + overrides, or a whole definition)")
def add_accelerator(body: AcceleratorIn, user: CurrentUser, session: SessionDep) -> EntryOut:
    _member(user)
    try:
        definition, source = service.accelerator_definition(
            body.name, preset=body.preset, overrides=body.overrides, definition=body.definition, options=body.options)
        entry = service.add(session, LibraryKind.ACCELERATOR, body.name, definition, source, user.name)
    except service.LibraryError as error:
        raise _bad(error) from error
    return EntryOut.of(entry)


def _routes(kind: LibraryKind, path: str) -> None:
    """List, read and remove: the same for both kinds."""

    @router.get(path, response_model=EntryList, summary=f"The team library's {kind}s, by name (paged; summaries)",
                name=f"list_{kind}s")
    def list_entries(_user: CurrentUser, session: SessionDep,
                     limit: Annotated[int, Query(ge=1, le=service.MAX_ENTRIES_PER_TEAM)] = 100,
                     offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> EntryList:
        rows, total = service.entries(session, kind, limit, offset)
        return EntryList(items=[EntrySummary.of(row) for row in rows], total=total, limit=limit, offset=offset)

    @router.get(f"{path}/{{name}}", response_model=EntryOut, summary=f"One {kind} of the library",
                name=f"read_{kind}")
    def read_entry(name: EntryName, _user: CurrentUser, session: SessionDep) -> EntryOut:
        return EntryOut.of(service.get(session, kind, name))

    @router.delete(f"{path}/{{name}}", status_code=status.HTTP_204_NO_CONTENT, name=f"remove_{kind}",
                   summary=f"Remove a {kind} (its owner or an admin); sweeps that used it keep their copy")
    def remove_entry(name: EntryName, user: CurrentUser, session: SessionDep) -> Response:
        entry = service.get(session, kind, name)
        if not user.can_change(entry.owner):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"'{user.name}' ({user.role}) cannot remove "
                                f"'{entry.owner}'s {kind}: members remove their own, admins any")
        service.remove(session, kind, name)
        return Response(status_code=status.HTTP_204_NO_CONTENT)


_routes(LibraryKind.MODEL, "/api/models")
_routes(LibraryKind.ACCELERATOR, "/api/accelerators")
