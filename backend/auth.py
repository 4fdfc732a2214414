"""Accounts, API tokens and who may do what.

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
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import ApiToken, User, WebSession, utcnow

Role = Literal["admin", "member", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "member", "viewer")
TOKEN_PREFIX = "dse_"
# The dashboard signs in by posting a token to /api/session: it gets a server-side session whose random id comes
# back as this HTTP-only, SameSite=Strict cookie (Secure over HTTPS), so page scripts never hold it and plain links
# (CSV/Parquet exports) carry it. The database keeps the id's SHA-256; signing out revokes the session.
SESSION_COOKIE = "dse_session"
SESSION_MAX_AGE_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Principal:
    """Who a request acts as."""

    name: str
    role: Role
    signed_in: bool = True

    def can_create(self) -> bool:
        return self.role in ("admin", "member")

    def can_change(self, owner: str) -> bool:
        """Cancel or delete a sweep: admins any, members their own, viewers none."""
        return self.role == "admin" or (self.role == "member" and owner == self.name)


LOCAL_ADMIN = Principal(name="local", role="admin", signed_in=False)


class AuthError(Exception):
    """401: no valid token. The message never repeats the token."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, name: str, role: Role) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}'; choose from {', '.join(ROLES)}")
    if session.execute(select(User).where(User.name == name)).scalar_one_or_none() is not None:
        raise ValueError(f"user '{name}' already exists")
    user = User(name=name, role=role, created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def create_token(session: Session, user_name: str, label: str = "") -> tuple[ApiToken, str]:
    """A new token for a user: the row (hash only) and the token itself, to show once."""
    user = session.execute(select(User).where(User.name == user_name)).scalar_one_or_none()
    if user is None:
        raise ValueError(f"user '{user_name}' does not exist; add it with `dse user add {user_name}`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, label=label, token_hash=hash_token(token), created_at=utcnow())
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ValueError(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


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


def open_session(session: Session, principal: Principal) -> str:
    """A new dashboard session for a signed-in user; returns the cookie's value (shown once, stored hashed)."""
    user = session.execute(select(User).where(User.name == principal.name)).scalar_one()
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(WebSession(user_id=user.id, session_hash=hash_token(secret), created_at=now,
                           expires_at=now + timedelta(seconds=SESSION_MAX_AGE_S)))
    session.flush()
    return secret


def session_principal(session: Session, cookie: str) -> Principal | None:
    """The user of a live (not revoked, not expired) dashboard session; None otherwise."""
    found = session.execute(select(User.name, User.role, WebSession.expires_at, WebSession.revoked_at)
                            .join(User, User.id == WebSession.user_id)
                            .where(WebSession.session_hash == hash_token(cookie))).one_or_none()
    if found is None or found.revoked_at is not None:
        return None
    expires = found.expires_at if found.expires_at.tzinfo else found.expires_at.replace(tzinfo=utcnow().tzinfo)
    return Principal(name=found.name, role=found.role) if expires > utcnow() else None


def close_session(session: Session, cookie: str) -> None:
    """Revoke a dashboard session (sign-out): its cookie is worthless from now on, wherever it was copied."""
    row = session.execute(select(WebSession).where(WebSession.session_hash == hash_token(cookie))).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
