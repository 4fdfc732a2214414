"""What the accounts API reads and answers: the signed-in user, users, tokens and the dashboard's sign-in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from backend.accounts.auth import Role


class MeOut(BaseModel):
    name: str
    role: Role
    signed_in: bool = Field(description="False in single-user mode: no sign-in, every request acts as `local`.")
    auth_required: bool = Field(description="Team mode: every request needs a token.")


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Role = "member"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite hands back naive UTC


Moment = Annotated[datetime, AfterValidator(_utc)]


class UserOut(BaseModel):
    id: int
    name: str
    role: Role
    created_at: Moment


class RoleIn(BaseModel):
    role: Role


class TokenIn(BaseModel):
    label: str = Field(default="", max_length=200)


class TokenOut(BaseModel):
    id: int
    user: str
    label: str
    token: str | None = Field(default=None, description="Shown once, at creation.")
    revoked: bool = False


class SessionIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)


class TokenInfo(BaseModel):
    """A token as listed: never the token itself (the database keeps only its hash)."""

    id: int
    label: str
    created_at: Moment
    revoked_at: Moment | None


class SessionInfo(BaseModel):
    """A dashboard session as listed: never its cookie. `token_id` is the token that opened it; revoking that token
    ends it."""

    id: int
    token_id: int | None
    created_at: Moment
    expires_at: Moment
    revoked_at: Moment | None
