"""`dse`: the command line. Each command group lives in its own module and is registered here."""

from __future__ import annotations

import logging
import os
import socket
from typing import Annotated

import typer

from backend.cli.accounts import session_app, token_app, user_app
from backend.cli.calibrate import calibrate
from backend.cli.library import accelerator_app, model_app
from backend.cli.mappings import mappings
from backend.cli.profile import profile
from backend.cli.serving import serving
from backend.cli.simulate import simulate, simulate_gemm
from backend.cli.sweep import app as sweep_app
from backend.cli.sweep import export
from backend.cli.validate import simulate_conv, validate
from backend.core.settings import Settings

app = typer.Typer(
    name="dse",
    help="Transformer DSE: design-space exploration of Transformer inference on DNN accelerators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(simulate)
app.command("simulate-gemm")(simulate_gemm)
app.command("simulate-conv")(simulate_conv)
app.command()(validate)
app.command()(mappings)
app.command()(profile)
app.command()(calibrate)
app.command()(serving)
app.add_typer(sweep_app, name="sweep")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(session_app, name="session")
app.add_typer(model_app, name="model")
app.add_typer(accelerator_app, name="accelerator")
app.command()(export)


def _logging() -> None:
    """JSON lines with request ids (DSE_LOG_FORMAT=text for the plain format)."""
    from backend.core.observability import configure_logging

    configure_logging(logging.INFO, structured=os.environ.get("DSE_LOG_FORMAT", "json") != "text")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (DSE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (DSE_PORT).", min=1, max=65535)] = None,
) -> None:
    """Run the whole stack: broker (embedded unless DSE_BROKER_URL), a worker, migrations, the API."""
    from backend.stack import serve as run_stack

    _logging()
    overrides = {key: value for key, value in {"host": host, "port": port}.items() if value is not None}
    settings = Settings(**overrides)
    try:
        run_stack(settings)
    except RuntimeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Worker processes (DSE_WORKER_CONCURRENCY).", min=1)] = None,
) -> None:
    """Start one Celery worker on the configured broker and database (run one per machine to scale out).

    The worker runs as a child that is started again if it dies on its own (workers/supervisor.py), and chunks
    the broker lost are queued again (workers/lost_chunks.py)."""
    from workers.supervisor import celery_worker_command, supervise
    from workers.watcher import watch

    settings = Settings()
    watching = watch(settings)
    code = supervise(celery_worker_command([
        "--queues", settings.queue,
        "--concurrency", str(concurrency or settings.worker_concurrency),
        "--hostname", f"dse-{os.getpid()}@{socket.gethostname()}",
        "--loglevel", "INFO",
        "--without-gossip", "--without-mingle",
    ]), env=dict(os.environ))
    watching.set()
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
