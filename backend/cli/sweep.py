"""`dse sweep submit/list/show/cancel/estimate` and `dse export`: against a server (`--server URL`) or in-process.

In-process means direct database access with the DSE_* settings (the same services the API calls), and
chunk tasks queued on the configured broker for `dse worker` processes to run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from backend.cli import display
from backend.cli.local import CliError, database, fail, load_mapping, run
from backend.cli.sweep_summary import front_lines, pareto_query, state_line

app = typer.Typer(help="Create, follow, list and cancel sweeps.", no_args_is_help=True)
console = Console()

ServerOption = Annotated[str | None, typer.Option(
    "--server", envvar="DSE_SERVER", help="API base URL (e.g. http://127.0.0.1:8000); in-process if unset.")]
FINAL = ("done", "failed", "cancelled")


class Remote:
    """The REST API, through httpx."""

    def __init__(self, server: str) -> None:
        token = os.environ.get("DSE_TOKEN")  # team mode: `dse token create USER` gives one
        self.client = httpx.Client(base_url=server.rstrip("/"), timeout=60,
                                   headers={"Authorization": f"Bearer {token}"} if token else None)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise CliError(f"cannot reach {self.client.base_url}: {error}") from error
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text
            raise CliError(f"{response.status_code}: {detail if isinstance(detail, str) else json.dumps(detail)}")
        return response.json() if response.content and response.headers.get(
            "content-type", "").startswith("application/json") else None

    def estimate(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/api/sweeps/estimate", json=spec)

    def submit(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/api/sweeps", json=spec)

    def list(self, limit: int, tag: str | None = None, text: str | None = None) -> list[dict[str, Any]]:
        params = {"limit": limit, **({"tag": tag} if tag else {}), **({"q": text} if text else {})}
        return self._call("GET", "/api/sweeps", params=params)["items"]

    def show(self, sweep_id: int) -> dict[str, Any]:
        return self._call("GET", f"/api/sweeps/{sweep_id}")

    def cancel(self, sweep_id: int) -> dict[str, Any]:
        return self._call("POST", f"/api/sweeps/{sweep_id}/cancel")

    def change(self, sweep_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", f"/api/sweeps/{sweep_id}", json=changes)

    def fronts(self, sweep: dict[str, Any]) -> dict[str, Any]:
        return self._call("GET", f"/api/sweeps/{sweep['id']}/pareto", params=pareto_query(sweep))

    def url(self, sweep_id: int) -> str:
        return f"{self.client.base_url}/#/sweeps/{sweep_id}"

    def export(self, sweep_id: int, fmt: str, output: Path) -> None:
        with self.client.stream("GET", f"/api/sweeps/{sweep_id}/results", params={"format": fmt}) as response:
            if response.status_code >= 400:
                response.read()
                raise CliError(f"{response.status_code}: {response.json().get('detail')}")
            with output.open("wb") as file:
                for block in response.iter_bytes():
                    file.write(block)


class Local:
    """The same services the API uses, on the configured database and broker."""

    def __init__(self) -> None:
        from backend.core.broker import create_celery
        from backend.core.settings import Settings
        from backend.sweeps import jobs

        self.settings = Settings()
        self.factory = jobs.install(database(self.settings), create_celery(self.settings), self.settings.queue)

    def _spec(self, spec: dict[str, Any]) -> Any:
        """The spec with the library's definitions of the names it uses copied in (as the API does)."""
        from pydantic import ValidationError

        from backend.core.errors import readable
        from backend.library.service import with_library
        from backend.sweeps.spec import SweepSpec

        with self.factory() as session:
            completed = with_library(session, spec)
        try:
            return SweepSpec.model_validate(completed)
        except ValidationError as error:
            raise CliError(readable(error.errors())[0]) from error

    def _out(self, sweep: Any) -> dict[str, Any]:
        from backend.sweeps.schemas import SweepOut

        return SweepOut.of(sweep).model_dump(mode="json")

    def estimate(self, spec: dict[str, Any]) -> dict[str, Any]:
        from backend.sweeps.service import estimate

        parsed = self._spec(spec)
        return {"points": estimate(parsed, self.settings), "max_points": self.settings.max_sweep_points}

    def submit(self, spec: dict[str, Any]) -> dict[str, Any]:
        from backend.core.db import transaction
        from backend.sweeps.service import create_sweep

        parsed = self._spec(spec)
        with transaction(self.factory) as session:  # its jobs are sent when this commits
            sweep = create_sweep(session, parsed, self.settings)
        return self._out(sweep)

    def list(self, limit: int, tag: str | None = None, text: str | None = None) -> list[dict[str, Any]]:
        from backend.sweeps.service import list_sweeps

        with self.factory() as session:
            return [self._out(s) for s in list_sweeps(session, limit, tag=tag, text=text)[0]]

    def show(self, sweep_id: int) -> dict[str, Any]:
        from backend.sweeps.schemas import SweepOut
        from backend.sweeps.service import get_sweep, search_state

        with self.factory() as session:
            sweep = get_sweep(session, sweep_id)
            return SweepOut.of(sweep, search=search_state(session, sweep)).model_dump(mode="json")

    def cancel(self, sweep_id: int) -> dict[str, Any]:
        from backend.core.db import transaction
        from backend.sweeps.service import cancel_sweep

        with transaction(self.factory) as session:
            return self._out(cancel_sweep(session, sweep_id))

    def change(self, sweep_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        from pydantic import ValidationError

        from backend.core.db import transaction
        from backend.core.errors import readable
        from backend.sweeps.annotations import SweepChanges, change
        from backend.sweeps.service import get_sweep

        try:
            parsed = SweepChanges.model_validate(changes)
        except ValidationError as error:
            raise CliError(readable(error.errors())[0]) from error
        with transaction(self.factory) as session:
            return self._out(change(session, get_sweep(session, sweep_id), parsed))

    def fronts(self, sweep: dict[str, Any]) -> dict[str, Any]:
        from backend.sweeps import pareto
        from backend.sweeps.service import get_sweep

        query = pareto_query(sweep)
        objectives = pareto.parse_objectives(query["objectives"])
        names = pareto.parse_group_by(query["group_by"])
        out = []
        with self.factory() as session:
            stored = get_sweep(session, sweep["id"])
            for key in pareto.groups(session, stored, names, []):
                data, compared = pareto.pareto(session, stored, objectives, query["columns"].split(","), [], key)
                front = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
                out.append({"key": key, "front": front, "front_size": len(front), "compared": compared})
        return {"group_by": names, "objectives": [{"name": o.name, "direction": o.direction} for o in objectives],
                "groups": out}

    def url(self, sweep_id: int) -> str:
        base = self.settings.public_url or f"http://{self.settings.host}:{self.settings.port}"
        return f"{base.rstrip('/')}/#/sweeps/{sweep_id}  (with `dse serve` running)"

    def export(self, sweep_id: int, fmt: str, output: Path) -> None:
        from backend.columns import ALL_COLUMNS
        from backend.sweeps import export
        from backend.sweeps.results import ResultQuery
        from backend.sweeps.service import get_sweep

        with self.factory() as session:
            get_sweep(session, sweep_id)
        query = ResultQuery(columns=list(ALL_COLUMNS), filters=[], sort=[], limit=0, include_failed=True)
        stream = export.csv_stream if fmt == "csv" else export.parquet_stream
        with output.open("wb") as file:
            for block in stream(self.factory, sweep_id, query):
                file.write(block)


def _backend(server: str | None) -> Remote | Local:
    return Remote(server) if server else run(Local)


def _run(action: Any) -> Any:
    return run(action)


def _load_spec(path: Path) -> dict[str, Any]:
    return load_mapping(path, "a SweepSpec")


def _summary(backend: Remote | Local, sweep: dict[str, Any]) -> None:
    """The sweep's state, its fronts with the best point per objective, and its dashboard URL."""
    console.print(state_line(sweep), markup=False, highlight=False)
    if sweep["done_points"]:
        for line in front_lines(sweep, backend.fronts(sweep)):
            console.print(line, markup=False, highlight=False)
    elif sweep["failed_points"] and sweep["status"] not in ("queued", "running"):
        console.print(f"every point failed: `dse sweep show {sweep['id']} --json` or the dashboard says why",
                      markup=False, highlight=False)
    console.print(f"dashboard: {backend.url(sweep['id'])}", markup=False, highlight=False)


def _wait(backend: Remote | Local, sweep: dict[str, Any], poll_s: float) -> dict[str, Any]:
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=not sys.stdout.isatty()) as bar:
        task = bar.add_task(f"sweep {sweep['id']}", total=sweep["total_points"], rate="")
        while sweep["status"] not in FINAL:
            time.sleep(poll_s)
            sweep = backend.show(sweep["id"])
            rate = f"{sweep['points_per_s']:.0f} points/s" if sweep.get("points_per_s") else ""
            bar.update(task, completed=sweep["done_points"] + sweep["failed_points"], rate=rate)
    return sweep


@app.command()
def submit(
    spec: Annotated[Path, typer.Argument(help="SweepSpec as YAML or JSON.")],
    wait: Annotated[bool, typer.Option("--wait", help="Follow progress until the sweep finishes.")] = False,
    server: ServerOption = None,
    poll_s: Annotated[float, typer.Option(help="Seconds between progress polls.")] = 1.0,
) -> None:
    """Create a sweep from a spec file and queue it; with --wait, follow it and end with its fronts, the best point per
    objective and its dashboard URL (exit status 1 when it does not finish `done` or every point failed)."""
    backend = _backend(server)
    sweep = _run(lambda: backend.submit(_load_spec(spec)))
    console.print(f"created sweep {sweep['id']} '{sweep['name']}': {sweep['total_points']} points in "
                  f"{sweep['chunk_count']} chunks")
    if wait:
        sweep = _run(lambda: _wait(backend, sweep, poll_s))
        _run(lambda: _summary(backend, sweep))
        if sweep["status"] != "done" or not sweep["done_points"]:
            raise typer.Exit(1)


@app.command()
def estimate(spec: Annotated[Path, typer.Argument(help="SweepSpec as YAML or JSON.")],
             server: ServerOption = None) -> None:
    """Print how many points a spec expands to, without creating it."""
    backend = _backend(server)
    result = _run(lambda: backend.estimate(_load_spec(spec)))
    console.print(f"{result['points']} points (limit {result['max_points']})")


@app.command("list")
def list_(server: ServerOption = None,
          limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
          tag: Annotated[str | None, typer.Option(help="Only the sweeps carrying this tag.")] = None,
          search: Annotated[str | None, typer.Option(help="Only sweeps whose name, tags or notes hold it.")] = None,
          ) -> None:
    """Sweeps, newest first."""
    backend = _backend(server)
    sweeps = _run(lambda: backend.list(limit, tag, search))
    table = display.table("id", "name", "owner", "status", "done", "failed", "total", "points/s", "created", "tags",
                          names=[s["name"] for s in sweeps])
    for s in sweeps:
        table.add_row(str(s["id"]), s["name"], s["owner"], s["status"], str(s["done_points"]),
                      str(s["failed_points"]), str(s["total_points"]),
                      f"{s['points_per_s']:.0f}" if s.get("points_per_s") else "", s["created_at"][:19],
                      ", ".join(s.get("tags", [])))
    console.print(table)


@app.command()
def show(sweep_id: int, server: ServerOption = None,
         as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False) -> None:
    """A sweep's status and progress, its fronts with the best point per objective, and its dashboard URL."""
    backend = _backend(server)
    sweep = _run(lambda: backend.show(sweep_id))
    if as_json:
        typer.echo(json.dumps(sweep, indent=2))
    else:
        _run(lambda: _summary(backend, sweep))


@app.command()
def cancel(sweep_id: int, server: ServerOption = None) -> None:
    """Stop a sweep's remaining chunks."""
    backend = _backend(server)
    console.print(state_line(_run(lambda: backend.cancel(sweep_id))), markup=False, highlight=False)


@app.command()
def rename(sweep_id: int, name: Annotated[str, typer.Argument(help="The new name.")],
           server: ServerOption = None) -> None:
    """Give a sweep a new name."""
    backend = _backend(server)
    sweep = _run(lambda: backend.change(sweep_id, {"name": name}))
    console.print(f"sweep {sweep['id']} is now '{sweep['name']}'", markup=False)


@app.command()
def tag(sweep_id: int, tags: Annotated[list[str], typer.Argument(help="Tags to add (or remove, with --remove).")],
        remove: Annotated[bool, typer.Option("--remove", help="Remove these tags instead.")] = False,
        server: ServerOption = None) -> None:
    """Add tags to a sweep (or remove them); `dse sweep list --tag T` lists the sweeps carrying T."""
    backend = _backend(server)

    def retag() -> dict[str, Any]:
        current = backend.show(sweep_id).get("tags", [])
        wanted = [t.strip().lower() for t in tags]
        kept = [t for t in current if t not in wanted] if remove else [*current, *wanted]
        return backend.change(sweep_id, {"tags": kept})

    sweep = _run(retag)
    console.print(f"sweep {sweep['id']} tags: {', '.join(sweep['tags']) or '(none)'}", markup=False)


@app.command()
def note(sweep_id: int, text: Annotated[str, typer.Argument(help="The sweep's notes (replacing the old; '' clears).")],
         server: ServerOption = None) -> None:
    """Write a sweep's notes."""
    backend = _backend(server)
    sweep = _run(lambda: backend.change(sweep_id, {"notes": text}))
    console.print(f"sweep {sweep['id']} notes: {sweep['notes'] or '(none)'}", markup=False)


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


SUFFIXES = {".csv": ExportFormat.csv, ".parquet": ExportFormat.parquet, ".pq": ExportFormat.parquet}


def export(
    sweep_id: Annotated[int, typer.Argument(metavar="SWEEP", help="Sweep id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write (.csv or .parquet).")],
    fmt: Annotated[ExportFormat | None, typer.Option("--format", help="File format; default: from the output's "
                                                     "extension.")] = None,
    server: ServerOption = None,
) -> None:
    """Write every result row of a sweep (parameters, metrics, errors) to a CSV or Parquet file."""
    if fmt is None:
        fmt = SUFFIXES.get(output.suffix.lower())
        if fmt is None:
            fail(f"cannot tell the format of {output.name} from its extension; name it .csv or .parquet, or pass "
                 "--format csv|parquet")
    chosen = fmt
    _run(lambda: _backend(server).export(sweep_id, chosen.value, output))
    console.print(f"wrote {output} ({output.stat().st_size:,} bytes)")
