"""Who a request acts as: API tokens, dashboard sessions, roles and what each may do.

Roles: `viewer` reads everything; `member` also creates sweeps and cancels/deletes its own; `admin` also manages
users and any sweep. Tokens are 32 random bytes shown once; the database keeps their SHA-256 only. A slow
password hash (argon2, bcrypt) protects guessable secrets; a 256-bit random token cannot be guessed, so one
fast hash is as safe and keeps every request's check at microseconds.

Single-user mode (the embedded default on SQLite): no sign-in, every request acts as the local admin, and
the dashboard says so. Team mode (any PostgreSQL URL, or `DSE_AUTH=required`): every API request but health,
metrics and the OpenAPI document needs `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.core.deps import SessionDep, SettingsDep
from backend.core.settings import Settings
from backend.models import ApiToken, User, WebSession, utcnow

Role = Literal["admin", "member", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "member", "viewer")
TOKEN_PREFIX = "dse_"
# The dashboard signs in by posting a token to /api/session: it gets a server-side session whose random id comes
# back as this HTTP-only, SameSite=Strict cookie (Secure over HTTPS), so page scripts never hold it and plain links
# (CSV/Parquet exports) carry it. The database keeps the id's SHA-256; signing out revokes the session. A session
# belongs to the token that opened it: revoking the token (or all of a user's, or changing their role) ends it, and a
# session cannot create tokens (a stolen cookie must not outlive the session by minting a token).
SESSION_COOKIE = "dse_session"
SESSION_MAX_AGE_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Principal:
    """Who a request acts as."""

    name: str
    role: Role
    signed_in: bool = True
    via: Literal["token", "session", "local"] = "token"

    def can_create(self) -> bool:
        return self.role in ("admin", "member")

    def can_change(self, owner: str) -> bool:
        """Cancel or delete a sweep: admins any, members their own, viewers none."""
        return self.role == "admin" or (self.role == "member" and owner == self.name)


LOCAL_ADMIN = Principal(name="local", role="admin", signed_in=False, via="local")


class AuthError(Exception):
    """401: no valid token. The message never repeats the token."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, authorization: str | None) -> Principal | None:
    """The principal of an `Authorization: Bearer` header; None without a header; AuthError for a bad token."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("expected 'Authorization: Bearer <token>'")
    found = session.execute(select(User.name, User.role, ApiToken.revoked_at).join(User, User.id == ApiToken.user_id)
                            .where(ApiToken.token_hash == hash_token(token.strip()))).one_or_none()
    if found is None or found.revoked_at is not None:
        raise AuthError("invalid or revoked token")
    return Principal(name=found.name, role=found.role)


def session_principal(session: Session, cookie: str) -> Principal | None:
    """The user of a live dashboard session (not revoked, not expired, and opened by a token that is not revoked);
    None otherwise."""
    found = session.execute(select(User.name, User.role, WebSession.expires_at, WebSession.revoked_at,
                                   ApiToken.revoked_at.label("token_revoked_at"))
                            .join(User, User.id == WebSession.user_id)
                            .join(ApiToken, ApiToken.id == WebSession.token_id)
                            .where(WebSession.session_hash == hash_token(cookie))).one_or_none()
    if found is None or found.revoked_at is not None or found.token_revoked_at is not None:
        return None
    expires = found.expires_at if found.expires_at.tzinfo else found.expires_at.replace(tzinfo=utcnow().tzinfo)
    return Principal(name=found.name, role=found.role, via="session") if expires > utcnow() else None


def resolve(session: Session, settings: Settings, authorization: str | None, cookie: str | None) -> Principal:
    """Who a request with these credentials acts as: the token's user, or the dashboard session's; the local admin
    in single-user mode; else HTTPException 401."""
    try:
        if not authorization and cookie and settings.auth_required:  # the dashboard's sign-in
            principal = session_principal(session, cookie)
            if principal is None:
                raise AuthError("the dashboard's session has ended; sign in again")
        else:
            principal = authenticate(session, authorization)
    except AuthError as error:
        if settings.auth_required:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error),
                                headers={"WWW-Authenticate": "Bearer"}) from error
        principal = None  # single-user mode: a stale token of the dashboard changes nothing
    if principal is None:
        if settings.auth_required:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in: send 'Authorization: Bearer <token>' (team "
                                "mode, DSE_AUTH; an admin creates tokens with `dse token create USER`)",
                                headers={"WWW-Authenticate": "Bearer"})
        principal = LOCAL_ADMIN
    return principal


def get_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """Who the request acts as (see `resolve`); kept on request.state for the rate limits and the logs."""
    principal = resolve(session, settings, request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE))
    request.state.user = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]
