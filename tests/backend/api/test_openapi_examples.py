"""/docs' "Try it out" works on every operation with a body: each carries an example (backend/api/examples.yaml) that
the API accepts as it is, posted here in team mode as an admin (so the accounts' operations exist too)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from backend.accounts import service as accounts
from backend.core.db import transaction
from backend.models import User
from tests.sweeps_support import DEMO_SPEC, make_client

pytestmark = pytest.mark.redis


@pytest.fixture
def admin(settings, session_factory) -> Any:
    with transaction(session_factory) as session:
        if session.execute(select(User).where(User.name == "root")).scalar_one_or_none() is None:
            accounts.add_user(session, "root", "admin")
        token = accounts.create_token(session, "root")[1]
    team = settings.model_copy(update={"auth": "required", "sweeps_per_minute": 1000, "evaluations_per_minute": 1000})
    with make_client(team, session_factory) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, operations in document["paths"].items()
            for method, operation in operations.items() if "requestBody" in operation]


def _examples(media: dict[str, Any]) -> list[Any]:
    """The bodies /docs shows: one `example`, or each of the named `examples`."""
    if "example" in media:
        assert "examples" not in media, "OpenAPI allows `example` or `examples`, not both"
        return [media["example"]]
    return [named["value"] for named in media.get("examples", {}).values()]


def test_every_operation_with_a_json_body_has_an_example_the_api_accepts(admin) -> None:
    document = admin.get("/openapi.json").json()
    sweep_id = admin.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    tried = []
    for method, path, operation in _operations(document):
        content = operation["requestBody"]["content"]
        if "application/json" not in content:
            continue
        shown = _examples(content["application/json"])
        assert shown, f"{method.upper()} {path} has no example for /docs (backend/api/examples.yaml)"
        url = path.replace("{sweep_id}", str(sweep_id)).replace("{name}", "root")
        for example in shown:
            answer = admin.request(method.upper(), url, json=example)
            assert answer.status_code != 422 and answer.status_code < 500, (method, path, answer.text)
        tried.append(f"{method.upper()} {path}")
    assert {"POST /api/sweeps", "POST /api/sweeps/estimate", "PATCH /api/sweeps/{sweep_id}", "POST /api/simulate",
            "POST /api/calibrate", "POST /api/models", "POST /api/accelerators", "POST /api/users",
            "POST /api/users/{name}/tokens", "POST /api/session"} <= set(tried), tried


def test_the_simulate_example_is_what_swagger_shows_not_a_generated_one(admin) -> None:
    """Issue 28: `"options": {"additionalProp1": {}}` gave four pydantic messages; the shown example runs."""
    document = admin.get("/openapi.json").json()
    media = document["paths"]["/api/simulate"]["post"]["requestBody"]["content"]["application/json"]
    point, *layers = _examples(media)
    assert "additionalProp1" not in str(media)
    answer = admin.post("/api/simulate", json=point)
    assert answer.status_code == 200, answer.text
    assert answer.json()["metrics"]["latency_s"] > 0
    assert layers, "the layer bodies have examples too"
    for layer in layers:
        answer = admin.post("/api/simulate", json=layer)
        assert answer.status_code == 200, answer.text
        assert answer.json()["cycles_low"] < answer.json()["cycles"] < answer.json()["cycles_high"]
