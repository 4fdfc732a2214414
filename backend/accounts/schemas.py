"""What the accounts API reads and answers: the signed-in user, users, tokens and the dashboard's sign-in."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator

from backend.accounts.auth import Role


class MeOut(BaseModel):
    name: str
    role: Role
    signed_in: bool = Field(description="False in single-user mode: no sign-in, every request acts as `local`.")
    auth_required: bool = Field(description="Team mode: every request needs a token.")


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Role = "member"


class UserOut(BaseModel):
    id: int
    name: str
    role: Role
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite hands back naive UTC


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
