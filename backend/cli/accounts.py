"""`dse user add|list|role|revoke`, `dse token create|list|revoke` and `dse session list|revoke`, in-process on the
configured database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from backend.accounts import service
from backend.cli.local import database, run
from backend.core.db import transaction

user_app = typer.Typer(help="Accounts of a team-shared database (admin, member, viewer).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: created once, shown once, stored hashed.", no_args_is_help=True)
session_app = typer.Typer(help="Dashboard sessions: each lives only as long as the token that opened it.",
                          no_args_is_help=True)


def _factory():
    return run(database)


@user_app.command("add")
def add(name: str, role: Annotated[str, typer.Option(help="admin, member or viewer.")] = "member") -> None:
    """Add a user."""
    factory = _factory()

    def work() -> None:
        with transaction(factory) as session:
            service.add_user(session, name, role)

    run(work)
    typer.echo(f"user {name} ({role}) added; create a token with `dse token create {name}`")


@user_app.command("list")
def list_() -> None:
    """Users and their roles."""
    with _factory()() as session:
        for user in service.users(session):
            typer.echo(f"{user.name}\t{user.role}")


@user_app.command("role")
def role(name: str, new_role: Annotated[str, typer.Argument(metavar="ROLE", help="admin, member or viewer.")]) -> None:
    """Change a user's role; their dashboard sessions end."""
    factory = _factory()

    def work() -> None:
        with transaction(factory) as session:
            service.set_role(session, name, new_role)

    run(work)
    typer.echo(f"user {name} is now {new_role}; their dashboard sessions have ended")


@user_app.command("revoke")
def revoke_user(name: str) -> None:
    """Revoke every token of a user, and so every session they opened."""
    factory = _factory()

    def work() -> int:
        with transaction(factory) as session:
            return service.revoke_user(session, name)

    typer.echo(f"{run(work)} token(s) of {name} revoked; their dashboard sessions have ended")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


@token_app.command("create")
def create(user: str, label: Annotated[str, typer.Option(help="What the token is for.")] = "") -> None:
    """Create a token for USER and print it (the only time it is shown)."""
    factory = _factory()

    def work() -> tuple[int, str]:
        with transaction(factory) as session:
            row, token = service.create_token(session, user, label)
            return row.id, token

    token_id, token = run(work)
    typer.echo(f"token {token_id} for {user}: {token}")


@token_app.command("list")
def list_tokens(user: str) -> None:
    """USER's tokens (never the tokens themselves): id, label, created, revoked."""
    factory = _factory()

    def work() -> list[str]:
        with factory() as session:
            return [f"{row.id}\t{row.label or '-'}\t{_when(row.created_at)}\t{_when(row.revoked_at)}"
                    for row in service.tokens_of(session, user)]

    typer.echo("\n".join(["id\tlabel\tcreated\trevoked", *run(work)]))


@token_app.command("revoke")
def revoke(token_id: int) -> None:
    """Revoke a token by its id; the dashboard sessions it opened end with it."""
    factory = _factory()

    def work() -> None:
        with transaction(factory) as session:
            service.revoke_token(session, token_id)

    run(work)
    typer.echo(f"token {token_id} revoked")


@session_app.command("list")
def list_sessions(user: str) -> None:
    """USER's dashboard sessions: id, the token that opened it, created, expires, revoked."""
    factory = _factory()

    def work() -> list[str]:
        with factory() as session:
            return [f"{row.id}\t{row.token_id or '-'}\t{_when(row.created_at)}\t{_when(row.expires_at)}\t"
                    f"{_when(row.revoked_at)}" for row in service.sessions_of(session, user)]

    typer.echo("\n".join(["id\ttoken\tcreated\texpires\trevoked", *run(work)]))


@session_app.command("revoke")
def revoke_session(session_id: int) -> None:
    """End a dashboard session by its id."""
    factory = _factory()

    def work() -> None:
        with transaction(factory) as session:
            service.revoke_session(session, session_id)

    run(work)
    typer.echo(f"session {session_id} ended")
