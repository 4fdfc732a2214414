"""Request dependencies every domain's routes share, declared once as typed aliases: the settings and the database
session that owns the request's one commit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.core.errors import Conflict
from backend.core.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """A session per request that owns its one commit; handlers and services never commit.

    The commit runs when the handler has returned and its answer is built but not yet sent (`scope="function"`
    below; FastAPI runs a yield dependency's exit of the default scope after the response is sent): a client that
    got its 201 reads what it created, and a failed commit answers instead of the success. Any error rolls back.
    Jobs queued on the session (backend.sweeps.jobs) are sent after this commit and dropped with a rollback.
    """
    with request.app.state.session_factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        try:
            session.commit()
        except IntegrityError as error:  # a row written meanwhile by another request took a name or key
            session.rollback()
            raise Conflict("nothing was saved: the change conflicts with one saved meanwhile (a name or key is "
                           "taken); read the current state and try again") from error


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
# Ids are 64-bit keys: a larger number is refused as input (422) before it reaches the database.
MAX_ID = 2**63 - 1
