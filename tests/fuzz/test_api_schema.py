"""Schemathesis against the OpenAPI schema of the real app (in-process ASGI, SQLite, the test Redis):
every operation, generated valid (positive) and invalid (negative) input: zero 5xx, and every response
matches the schema of its status code. And the audit's strategies schemathesis does not have (issue 30): every
operation with a body gets JSON nested past the depth limit, and valid bodies with one field (or one field of a
listed object) swapped for a value of the wrong type (`{"accelerator": {}}`, `seq_len: true`): zero 5xx."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from backend.accounts import service as accounts
from backend.app import create_app
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.limits import MAX_JSON_DEPTH
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
                              work_seconds_per_minute=100_000,
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


WRONG_TYPES = st.sampled_from([{}, [], True, False, 1.5, -1, 2**70, "x", None, [{}], {"": {}}, [[True]]])
DEEP_JSON = st.builds(lambda depth, brackets: brackets[0] * depth + "1" + brackets[1] * depth,
                      st.integers(MAX_JSON_DEPTH + 1, 3000), st.sampled_from([("[", "]"), ('{"k":', "}")]))


def _mutated(body: Any, data: st.DataObject) -> Any:
    """`body` with one field (perhaps inside its first listed object) swapped for a value of the wrong type."""
    if not isinstance(body, dict) or not body:
        return data.draw(WRONG_TYPES)
    key = data.draw(st.sampled_from(sorted(body)))
    inner = body[key]
    if isinstance(inner, list) and inner and isinstance(inner[0], dict) and data.draw(st.booleans()):
        return {**body, key: [_mutated(inner[0], data), *inner[1:]]}
    return {**body, key: data.draw(WRONG_TYPES)}


def _adversarial(operation, client: TestClient, headers: dict[str, str]) -> str | None:
    """Deep JSON or a wrong-typed field, on a valid case of the operation (path and query stay valid)."""

    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), data=st.data())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case, data: st.DataObject) -> None:
        deep = data.draw(st.booleans())
        content = data.draw(DEEP_JSON) if deep else json.dumps(_mutated(case.body, data))
        got = client.request(case.method, case.formatted_path, params=case.query, content=content,
                             headers={**headers, "Content-Type": "application/json"})
        assert got.status_code < 500, f"{got.status_code} for {content[:200]}: {got.text[:300]}"
        if deep and got.status_code == 422:
            assert f"deeper than {MAX_JSON_DEPTH}" in got.json()["detail"]

    try:
        run()
    except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - every failure is collected and reported together
        return f"{operation.method.upper()} {operation.path} (adversarial): {error}"
    return None


def test_every_operation_with_a_body_survives_deep_json_and_wrong_types(fuzzed_app) -> None:
    app, headers = fuzzed_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op for result in schema.get_all_operations() if (op := result.ok()).method.upper() in (
        "POST", "PUT", "PATCH")]
    assert len(operations) >= 8
    client = TestClient(app, raise_server_exceptions=False)
    failures = [failure for operation in operations if (failure := _adversarial(operation, client, headers))]
    assert not failures, "\n\n".join(failures)
