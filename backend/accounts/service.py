"""Users, their API tokens and dashboard sessions: what `dse user`, `dse token` and the accounts API change.

Services flush (so a taken name is found here, as a clear error) and never commit: the request or the CLI's
transaction does.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.auth import ROLES, SESSION_MAX_AGE_S, TOKEN_PREFIX, Principal, Role, hash_token
from backend.core.errors import NotFound
from backend.models import ApiToken, User, WebSession, utcnow


def users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.name)).scalars())


def add_user(session: Session, name: str, role: Role) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}'; choose from {', '.join(ROLES)}")
    if session.execute(select(User).where(User.name == name)).scalar_one_or_none() is not None:
        raise ValueError(f"user '{name}' already exists")
    user = User(name=name, role=role, created_at=utcnow())
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # added by another request between the check above and this insert
        raise ValueError(f"user '{name}' already exists") from None
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


def token_and_owner(session: Session, token_id: int) -> tuple[ApiToken, User]:
    row = session.get(ApiToken, token_id)
    owner = session.get(User, row.user_id) if row is not None else None
    if row is None or owner is None:
        raise NotFound(f"token {token_id} does not exist")
    return row, owner


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ValueError(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def open_session(session: Session, principal: Principal) -> str:
    """A new dashboard session for a signed-in user; returns the cookie's value (shown once, stored hashed)."""
    user = session.execute(select(User).where(User.name == principal.name)).scalar_one()
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(WebSession(user_id=user.id, session_hash=hash_token(secret), created_at=now,
                           expires_at=now + timedelta(seconds=SESSION_MAX_AGE_S)))
    session.flush()
    return secret


def close_session(session: Session, cookie: str) -> None:
    """Revoke a dashboard session (sign-out): its cookie is worthless from now on, wherever it was copied."""
    row = session.execute(select(WebSession).where(WebSession.session_hash == hash_token(cookie))).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
