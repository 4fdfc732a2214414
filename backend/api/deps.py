"""Dependencies declared once as typed aliases and reused in every route signature."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from celery import Celery
from fastapi import Depends, HTTPException, Path, Request, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend import auth
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


def get_celery(request: Request) -> Celery:
    return request.app.state.celery


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
CeleryDep = Annotated[Celery, Depends(get_celery)]


def get_principal(request: Request, session: SessionDep, settings: SettingsDep) -> auth.Principal:
    """Who the request acts as: the token's user, or the dashboard session's; the local admin in single-user mode;
    else 401."""
    try:
        authorization = request.headers.get("authorization")
        cookie = request.cookies.get(auth.SESSION_COOKIE)
        if not authorization and cookie and settings.auth_required:  # the dashboard's sign-in
            principal = auth.session_principal(session, cookie)
            if principal is None:
                raise auth.AuthError("the dashboard's session has ended; sign in again")
        else:
            principal = auth.authenticate(session, authorization)
    except auth.AuthError as error:
        if settings.auth_required:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error),
                                headers={"WWW-Authenticate": "Bearer"}) from error
        principal = None  # single-user mode: a stale token of the dashboard changes nothing
    if principal is None:
        if settings.auth_required:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in: send 'Authorization: Bearer <token>' (team "
                                "mode, DSE_AUTH; an admin creates tokens with `dse token create USER`)",
                                headers={"WWW-Authenticate": "Bearer"})
        principal = auth.LOCAL_ADMIN
    request.state.user = principal
    return principal


CurrentUser = Annotated[auth.Principal, Depends(get_principal)]
# Ids are 64-bit keys: a larger number is refused as input (422) before it reaches the database.
MAX_ID = 2**63 - 1
SweepId = Annotated[int, Path(ge=1, le=MAX_ID)]
PointId = Annotated[int, Path(ge=1, le=MAX_ID)]
