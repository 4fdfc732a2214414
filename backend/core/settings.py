"""The one settings object: every knob is a `DSE_*` environment variable."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Embedded default when nothing is set: SQLite and an embedded Redis under `state_dir`."""

    model_config = SettingsConfigDict(env_prefix="DSE_", extra="ignore")

    state_dir: Path = Field(default=Path("var"), description="Where the embedded default keeps its files.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite under state_dir if unset.")
    broker_url: str | None = Field(default=None, description="Redis URL; an embedded Redis if unset.")
    host: str = "127.0.0.1"
    public_url: str | None = Field(default=None, description=(
        "The URL people open (behind a proxy); https makes the sign-in cookie Secure."))
    allowed_hosts: list[str] = Field(default_factory=list, description=(
        "Single-user mode answers only requests whose Host is the bound address, localhost, or one of these."))
    port: int = Field(default=8000, ge=1, le=65535)
    worker_concurrency: int = Field(default=1, ge=1, le=64)
    queue: str = Field(default="dse", min_length=1, description="Celery queue the workers consume.")
    max_sweep_points: int = Field(default=1_000_000, ge=1)
    demo_sweep: bool = Field(default=True, description="Create the demo sweep on an empty database.")
    chunk_size: int | None = Field(default=None, ge=1, description="Points per chunk; from measured speed if unset.")
    chunk_target_s: float = Field(default=5.0, gt=0, description="Aim for chunk tasks of about this many seconds.")
    db_max_retries: int = Field(default=5, ge=0, description="Retries of a chunk on database errors.")
    visibility_timeout_s: int = Field(default=600, ge=1, description=(
        "Redis redelivers a chunk task unacknowledged this long (a worker killed mid-chunk); above the longest chunk."))
    lost_work_check_s: float = Field(default=5.0, gt=0, description=(
        "How often `dse worker` compares the queued chunks with what the broker holds."))
    lost_work_stall_s: float = Field(default=10.0, gt=0, description=(
        "A sweep without progress this long whose queued work the broker does not hold gets it queued again."))
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Larger request bodies are refused (413).")
    auth: Literal["auto", "required", "off"] = Field(default="auto", description=(
        "Sign-in with API tokens: `auto` = required on PostgreSQL (team mode), single-user on SQLite; "
        "`off` = single-user mode on any database (a trusted network only)."))
    sweeps_per_minute: int = Field(default=30, ge=1, description="Sweep creations per user (or address) per minute.")
    evaluations_per_minute: int = Field(default=600, ge=1, description=(
        "Estimates and single-point simulations per user (or address) per minute."))
    work_per_user: int = Field(default=2, ge=1, description=(
        "Simulation requests (simulate, mapping landscapes, calibrations, point pages) one user runs at once."))
    work_total: int | None = Field(default=None, ge=1, description=(
        "Simulation requests the API runs at once; unset: one fewer than its cores (one stays free for reads)."))
    work_seconds_per_minute: float = Field(default=30.0, gt=0, description=(
        "Seconds of simulation work one user may spend in the API per minute (429 with Retry-After above)."))
    work_wait_s: float = Field(default=30.0, ge=0, description=(
        "How long a simulation request (or a large page) waits for a turn before it is refused (429)."))
    response_budget_bytes: int = Field(default=384 * 2**20, ge=2**20, description=(
        "Bytes the API process spends at once on large results pages; more wait for their turn."))

    @field_validator("database_url", "broker_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @cached_property
    def resolved_state_dir(self) -> Path:
        return self.state_dir.expanduser().resolve()

    @property
    def auth_required(self) -> bool:
        """Team mode: every API request but health and metrics needs a token."""
        return self.auth == "required" or (self.auth == "auto" and self.sqlalchemy_url.startswith("postgresql"))

    @property
    def loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1")

    @property
    def secure_cookies(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url is None

    @property
    def redis_socket(self) -> Path:
        return self.resolved_state_dir / "redis.sock"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, building the SQLite default (the one place that does)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_state_dir / 'dse.sqlite3'}"

    @property
    def celery_broker_url(self) -> str:
        """The broker URL, building the embedded Redis socket URL (the one place that does)."""
        if self.broker_url:
            return self.broker_url
        return f"redis+socket://{self.redis_socket}"


def get_settings() -> Settings:
    return Settings()
