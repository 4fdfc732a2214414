"""`dse user add|list` and `dse token create|revoke`, in-process on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from backend.accounts import service
from backend.cli.local import database, run
from backend.core.db import transaction

user_app = typer.Typer(help="Accounts of a team-shared database (admin, member, viewer).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: created once, shown once, stored hashed.", no_args_is_help=True)


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


@token_app.command("revoke")
def revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    factory = _factory()

    def work() -> None:
        with transaction(factory) as session:
            service.revoke_token(session, token_id)

    run(work)
    typer.echo(f"token {token_id} revoked")
