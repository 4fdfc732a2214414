"""Who am I, and (admins) users and their tokens. The CLI (`dse user`, `dse token`) does the same in-process."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status

from backend.accounts import auth, service
from backend.accounts.auth import CurrentUser
from backend.accounts.schemas import (
    MeOut,
    RoleIn,
    SessionIn,
    SessionInfo,
    TokenIn,
    TokenInfo,
    TokenOut,
    UserIn,
    UserOut,
)
from backend.core.deps import MAX_ID, SessionDep, SettingsDep

router = APIRouter(tags=["accounts"])


def _admin(user: auth.Principal) -> None:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"only admins manage users; '{user.name}' is a {user.role}")


def _self_or_admin(user: auth.Principal, name: str) -> None:
    if name != user.name or not user.signed_in:
        _admin(user)


def team_mode(settings: SettingsDep) -> None:
    """Accounts, tokens and sessions exist in team mode only: a single-user server creates none (they would stay
    valid if its database later served a team)."""
    if not settings.auth_required:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "accounts exist in team mode only (a PostgreSQL database, or "
                            "DSE_AUTH=required); this server runs in single-user mode")


TeamOnly = [Depends(team_mode)]


@router.get("/api/me", response_model=MeOut, summary="The signed-in user (or the local admin in single-user mode)")
def read_me(user: CurrentUser, settings: SettingsDep) -> MeOut:
    return MeOut(name=user.name, role=user.role, signed_in=user.signed_in, auth_required=settings.auth_required)


@router.get("/api/users", response_model=list[UserOut], summary="Users (admins only)", dependencies=TeamOnly)
def list_users(user: CurrentUser, session: SessionDep) -> list[UserOut]:
    _admin(user)
    return [UserOut(id=u.id, name=u.name, role=u.role, created_at=u.created_at) for u in service.users(session)]


@router.post("/api/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Add a user (admins)",
             dependencies=TeamOnly)
def add_user(body: UserIn, user: CurrentUser, session: SessionDep) -> UserOut:
    _admin(user)
    try:
        created = service.add_user(session, body.name, body.role)
    except ValueError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return UserOut(id=created.id, name=created.name, role=created.role, created_at=created.created_at)


@router.patch("/api/users/{name}", response_model=UserOut, summary="Change a user's role (admins)",
              dependencies=TeamOnly)
def change_role(name: str, body: RoleIn, user: CurrentUser, session: SessionDep) -> UserOut:
    _admin(user)
    changed = service.set_role(session, name, body.role)
    return UserOut(id=changed.id, name=changed.name, role=changed.role, created_at=changed.created_at)


@router.post("/api/users/{name}/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED,
             summary="Create a token (admins for anyone, others for themselves; with a token, not a session)",
             dependencies=TeamOnly)
def create_token(name: str, body: TokenIn, user: CurrentUser, session: SessionDep) -> TokenOut:
    if user.via == "session":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a dashboard session cannot create tokens (a session lives "
                            "only as long as its token); send 'Authorization: Bearer <token>', or run "
                            f"`dse token create {name}`")
    _self_or_admin(user, name)
    try:
        row, token = service.create_token(session, name, body.label)
    except ValueError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    return TokenOut(id=row.id, user=name, label=row.label, token=token)


@router.get("/api/users/{name}/tokens", response_model=list[TokenInfo], dependencies=TeamOnly,
            summary="A user's tokens, revoked ones included (admins, or the user)")
def list_tokens(name: str, user: CurrentUser, session: SessionDep) -> list[TokenInfo]:
    _self_or_admin(user, name)
    return [TokenInfo.model_validate(row, from_attributes=True) for row in service.tokens_of(session, name)]


@router.get("/api/users/{name}/sessions", response_model=list[SessionInfo], dependencies=TeamOnly,
            summary="A user's dashboard sessions, ended ones included (admins, or the user)")
def list_sessions(name: str, user: CurrentUser, session: SessionDep) -> list[SessionInfo]:
    _self_or_admin(user, name)
    return [SessionInfo.model_validate(row, from_attributes=True) for row in service.sessions_of(session, name)]


@router.delete("/api/tokens/{token_id}", response_model=TokenOut, dependencies=TeamOnly,
               summary="Revoke a token and end the sessions it opened (admins, or its owner)")
def revoke_token(token_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: CurrentUser, session: SessionDep) -> TokenOut:
    row, owner = service.token_and_owner(session, token_id)
    _self_or_admin(user, owner.name)
    service.revoke_token(session, token_id)
    return TokenOut(id=row.id, user=owner.name, label=row.label, revoked=True)


@router.delete("/api/sessions/{session_id}", response_model=SessionInfo, dependencies=TeamOnly,
               summary="End a dashboard session (admins, or its owner)")
def revoke_session(session_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: CurrentUser,
                   session: SessionDep) -> SessionInfo:
    _row, owner = service.session_and_owner(session, session_id)
    _self_or_admin(user, owner.name)
    return SessionInfo.model_validate(service.revoke_session(session, session_id), from_attributes=True)


@router.post("/api/session", response_model=MeOut, dependencies=TeamOnly,
             summary="Sign the dashboard in: a token opens a server-side session held in an HTTP-only cookie")
def sign_in(body: SessionIn, request: Request, response: Response, session: SessionDep,
            settings: SettingsDep) -> MeOut:
    try:
        principal = auth.authenticate(session, f"Bearer {body.token}")
    except auth.AuthError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from error
    assert principal is not None
    cookie = service.open_session(session, body.token)
    response.set_cookie(auth.SESSION_COOKIE, cookie, max_age=auth.SESSION_MAX_AGE_S, httponly=True,
                        samesite="strict", secure=settings.secure_cookies or request.url.scheme == "https", path="/")
    return MeOut(name=principal.name, role=principal.role, signed_in=True, auth_required=settings.auth_required)


@router.delete("/api/session", status_code=status.HTTP_204_NO_CONTENT, dependencies=TeamOnly,
               summary="Sign the dashboard out: the session is revoked, its cookie is worthless from now on")
def sign_out(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if cookie:
        service.close_session(session, cookie)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=settings.secure_cookies or request.url.scheme == "https")
    return response


