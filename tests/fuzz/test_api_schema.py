"""Schemathesis against the OpenAPI schema of the real app (in-process ASGI, SQLite, the test Redis):
every operation, generated valid (positive) and invalid (negative) input: zero 5xx, and every response
matches the schema of its status code."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from backend.accounts import service as accounts
from backend.app import create_app
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.settings import Settings
from backend.migrate import upgrade

pytestmark = [pytest.mark.redis, pytest.mark.timeout(900)]
EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module", params=["single-user", "team-admin", "team-anonymous"])
def fuzzed_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str):
    """The app in single-user mode, and in team mode called with an admin's token and with none."""
    directory: Path = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{directory / 'dse.sqlite3'}"
    upgrade(url)
    headers: dict[str, str] = {}
    if request.param.startswith("team"):
        factory = make_session_factory(make_engine(url))
        with transaction(factory) as session:
            accounts.add_user(session, "root", "admin")
            token = accounts.create_token(session, "root")[1]
        factory.kw["bind"].dispose()
        if request.param == "team-admin":
            headers = {"Authorization": f"Bearer {token}"}
    # Small caps keep generated sweeps cheap to create; the queue is private and deleted afterwards.
    app = create_app(Settings(state_dir=directory / "var", database_url=url, broker_url=redis_url,
                              queue=f"dse-fuzz-{uuid.uuid4().hex[:8]}", demo_sweep=False, max_sweep_points=2000,
                              chunk_size=500, sweeps_per_minute=100_000, evaluations_per_minute=100_000,
                              allowed_hosts=["testserver"],  # the Host of schemathesis's in-process client
                              auth="required" if request.param.startswith("team") else "off"))
    yield app, headers
    with app.state.celery.connection_for_write() as connection:
        connection.default_channel.client.delete(app.state.settings.queue)
    app.state.engine.dispose()


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> str | None:
    """Runs one operation; returns the first failure as text (None when every example passed)."""
    # /api/ready answers 503 (documented) when a part is down: here no worker runs, and that is its job.
    checks = [response_schema_conformance] if operation.path == "/api/ready" else [
        not_a_server_error, response_schema_conformance]
    if mode is GenerationMode.POSITIVE:
        checks.append(status_code_conformance)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        case.call_and_validate(checks=checks, headers=headers)

    try:
        run()
    except Unsatisfiable:  # negative mode of an operation without any input: nothing invalid to send
        return None
    except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - every failure is collected and reported together
        return f"{operation.method.upper()} {operation.path} ({mode.value}): {error}"
    return None


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_every_operation_answers_within_its_schema_and_never_5xx(fuzzed_app, mode: GenerationMode) -> None:
    app, headers = fuzzed_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    failures = [failure for operation in operations if (failure := _fuzz(operation, mode, headers))]
    assert not failures, "\n\n".join(failures)
