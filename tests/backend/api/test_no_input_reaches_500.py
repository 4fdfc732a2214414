"""No input reaches a 500 (issue 30, item 2): the audit's inputs posted to every operation of the OpenAPI document,
with an admin's token and without one, in team mode; 0 answers of 5xx.

The inputs: JSON nested ~990 levels (2 KB; Python's parser raised RecursionError), non-string names where the
library resolves names (`{"accelerator": {}}`, in `variants` and `models`: a TypeError), booleans where a number is
meant (`seq_len: true`, read as 1). Also: a write without a token is refused before its body is read.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.accounts import service as accounts
from backend.core.db import transaction
from backend.core.limits import MAX_JSON_DEPTH, json_depth
from tests.sweeps_support import DEMO_SPEC, make_client

pytestmark = pytest.mark.redis

DEEP = "[" * 990 + "]" * 990
DEEP_OBJECT = '{"a":' * 990 + "1" + "}" * 990
WRONG_TYPES: list[Any] = [
    {**DEMO_SPEC, "accelerator": {}},
    {**DEMO_SPEC, "variants": [{"label": "v", "accelerator": {}}]},
    {**DEMO_SPEC, "variants": 7},
    {**DEMO_SPEC, "models": [{}]},
    {**DEMO_SPEC, "models": 3},
    {**DEMO_SPEC, "scenarios": [{"seq_len": True}]},
    {**DEMO_SPEC, "axes": {"rows": [True, 16]}},
    {**DEMO_SPEC, "axes": {"rows": {"start": True, "stop": 8, "step": 1}}},
    {"model": "bert-base", "scenario": {"seq_len": True}},
    {"model": {}, "accelerator": []},
    {"name": {}, "definition": [], "preset": {}, "config": 1, "token": {}, "role": 5, "label": []},
    {"preset": "gemmini-default", "rows": [{"model": {}, "seq_len": True}]},
    [], 1, "x", None,
]


@pytest.fixture
def team(settings, session_factory) -> tuple[TestClient, str]:
    with transaction(session_factory) as session:
        accounts.add_user(session, "root", "admin")
        token = accounts.create_token(session, "root")[1]
    update = {"auth": "required", "sweeps_per_minute": 10_000, "evaluations_per_minute": 10_000,
              "work_seconds_per_minute": 10_000}
    with make_client(settings.model_copy(update=update), session_factory) as client:
        yield TestClient(client.app, base_url=str(client.base_url), raise_server_exceptions=False), token


def _operations(client: TestClient) -> list[tuple[str, str]]:
    document = client.get("/openapi.json").json()
    return [(method.upper(), re.sub(r"\{[^}]+\}", "1", path)) for path, operations in document["paths"].items()
            for method in operations if method in ("get", "post", "put", "patch", "delete")]


def test_the_depth_check_reads_nesting_without_parsing() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[["}], "c": "\\"{"}') == 3
    assert json_depth(DEEP.encode()) == 990 and json_depth(b"1") == 0
    assert MAX_JSON_DEPTH >= 16


def test_the_audits_inputs_reach_no_500_on_any_operation(team) -> None:
    client, token = team
    bodies = [DEEP, DEEP_OBJECT, *(json.dumps(body) for body in WRONG_TYPES)]
    answers: dict[int, int] = {}
    failures = []
    for method, path in _operations(client):
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            for body in bodies if method in ("POST", "PUT", "PATCH") else [None]:
                got = client.request(method, path, content=body, headers={
                    **headers, "Content-Type": "application/json"} if body else headers)
                answers[got.status_code] = answers.get(got.status_code, 0) + 1
                if got.status_code >= 500 and path != "/api/ready":  # ready is 503 without a worker: by design
                    failures.append((method, path, body[:60] if body else None, got.status_code, got.text[:200]))
    assert not failures, failures
    assert sum(answers.values()) > 200


@pytest.mark.parametrize("path", ["/api/sweeps/estimate", "/api/sweeps", "/api/calibrate", "/api/models",
                                  "/api/accelerators", "/api/simulate"])
def test_deep_json_is_refused_before_parsing_with_and_without_a_token(team, path: str) -> None:
    client, token = team
    anonymous = client.post(path, content=DEEP, headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401, "a write is authenticated before its body is read"
    signed = client.post(path, content=DEEP, headers={"Content-Type": "application/json",
                                                       "Authorization": f"Bearer {token}"})
    assert signed.status_code == 422 and f"deeper than {MAX_JSON_DEPTH}" in signed.json()["detail"]
    assert "content-security-policy" in signed.headers


def test_wrong_types_are_422_naming_the_field(team) -> None:
    client, token = team
    bearer = {"Authorization": f"Bearer {token}"}
    for body, field in (({**DEMO_SPEC, "accelerator": {}}, "accelerator"),
                        ({**DEMO_SPEC, "variants": [{"label": "v", "accelerator": {}}]}, "variants"),
                        ({**DEMO_SPEC, "models": [{}]}, "models"),
                        ({**DEMO_SPEC, "scenarios": [{"seq_len": True}]}, "seq_len"),
                        ({**DEMO_SPEC, "strategy": "random", "n_points": True}, "n_points")):
        for path in ("/api/sweeps/estimate", "/api/sweeps"):
            got = client.post(path, json=body, headers=bearer)
            assert got.status_code == 422 and field in got.json()["detail"], (path, body, got.text)
    simulated = client.post("/api/simulate", json={"model": "bert-base", "scenario": {"seq_len": True}},
                            headers=bearer)
    assert simulated.status_code == 422 and "boolean" in simulated.json()["detail"]
    assert client.post("/api/sweeps/estimate", json={**DEMO_SPEC, "scenarios": [{"seq_len": 128.0}]},
                       headers=bearer).status_code == 200, "a whole number written as a float still counts"
