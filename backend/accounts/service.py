"""Users, their API tokens and dashboard sessions: what `dse user`, `dse token` and the accounts API change.

Services flush (so a taken name is found here, as a clear error) and never commit: the request or the CLI's
transaction does.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts.auth import ROLES, SESSION_MAX_AGE_S, TOKEN_PREFIX, Role, hash_token
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


def _user(session: Session, name: str) -> User:
    user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"user '{name}' does not exist")
    return user


def set_role(session: Session, name: str, role: str) -> User:
    """Change a user's role; their dashboard sessions end (they sign in again and see what the new role allows)."""
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}'; choose from {', '.join(ROLES)}")
    user = _user(session, name)
    if user.role != role:
        user.role = role
        _end_sessions(session, WebSession.user_id == user.id)
    return user


def revoke_user(session: Session, name: str) -> int:
    """Revoke every token of a user (and so every session they opened); returns how many tokens were live."""
    user = _user(session, name)
    now = utcnow()
    live = list(session.execute(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
                .scalars())
    for row in live:
        row.revoked_at = now
    _end_sessions(session, WebSession.user_id == user.id)
    return len(live)


def tokens_of(session: Session, name: str) -> list[ApiToken]:
    """A user's tokens, newest first, revoked ones included (for the record)."""
    user = _user(session, name)
    return list(session.execute(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id.desc())).scalars())


def sessions_of(session: Session, name: str) -> list[WebSession]:
    """A user's dashboard sessions, newest first, ended ones included."""
    user = _user(session, name)
    return list(session.execute(select(WebSession).where(WebSession.user_id == user.id)
                                .order_by(WebSession.id.desc())).scalars())


def token_and_owner(session: Session, token_id: int) -> tuple[ApiToken, User]:
    row = session.get(ApiToken, token_id)
    owner = session.get(User, row.user_id) if row is not None else None
    if row is None or owner is None:
        raise NotFound(f"token {token_id} does not exist")
    return row, owner


def session_and_owner(session: Session, session_id: int) -> tuple[WebSession, User]:
    row = session.get(WebSession, session_id)
    owner = session.get(User, row.user_id) if row is not None else None
    if row is None or owner is None:
        raise NotFound(f"session {session_id} does not exist")
    return row, owner


def revoke_token(session: Session, token_id: int) -> ApiToken:
    """Revoke a token and end the dashboard sessions it opened."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    _end_sessions(session, WebSession.token_id == token_id)
    return row


def revoke_session(session: Session, session_id: int) -> WebSession:
    row = session.get(WebSession, session_id)
    if row is None:
        raise NotFound(f"session {session_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def _end_sessions(session: Session, which: ColumnElement[bool]) -> None:
    session.execute(update(WebSession).where(which, WebSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def open_session(session: Session, token: str) -> str:
    """A new dashboard session opened by a (checked) token; returns the cookie's value (shown once, stored hashed).
    The session lives only as long as that token."""
    row = session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).scalar_one()
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(WebSession(user_id=row.user_id, token_id=row.id, session_hash=hash_token(secret), created_at=now,
                           expires_at=now + timedelta(seconds=SESSION_MAX_AGE_S)))
    session.flush()
    return secret


def close_session(session: Session, cookie: str) -> None:
    """Revoke a dashboard session (sign-out): its cookie is worthless from now on, wherever it was copied."""
    row = session.execute(select(WebSession).where(WebSession.session_hash == hash_token(cookie))).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
