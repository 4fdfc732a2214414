"""Who may do what, in team mode: every endpoint x every role (anonymous, viewer, member on its own and on
another's sweep, admin), as one table. Also: tokens are checked, revoked tokens refused, none is logged, and
single-user mode acts as the local admin without sign-in."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.accounts import service as accounts
from backend.core.db import transaction
from backend.models import User
from tests.sweeps_support import DEMO_SPEC, make_client

pytestmark = pytest.mark.redis

ONE_POINT = {"model": "bert-base", "scenario": {"seq_len": 128}}
ONE_LAYER = {"layer": {"kind": "gemm", "m": 64, "k": 64, "n": 64}}
ONE_CALIBRATION = {"preset": "gemmini-default",
                   "csv": "model,seq_len,accelerator,op_class,cycles\nbert-base,128,gemmini-default,softmax,2e8\n"}
ONE_VALIDATION = {"csv": "kind,m,k,n,cycles\ngemm,64,64,64,2000\n"}
ONE_SERVING = {"model": "gpt2", "rate_per_s": 1, "requests": 4, "prompt": {"kind": "fixed", "tokens": 16},
               "generate": {"kind": "fixed", "tokens": 4}}
ONE_CURVE = {"model": "gpt2", "prompt_len": 16, "generate_len": 4, "batch_limit": 4,
             "designs": [{"accelerator": "gemmini-default"}]}
UP = 0  # 200 or 503: health answers everyone (whether a worker answers depends on the shared broker)
ROLES = ("anonymous", "viewer", "member", "other_member", "admin")


@pytest.fixture
def team(settings, session_factory) -> tuple[TestClient, dict[str, str]]:
    """An app in team mode with users ada (member, owns the sweeps), bob (member), vic (viewer), root (admin)."""
    tokens: dict[str, str] = {}
    with transaction(session_factory) as session:
        for role, name, kind in (("member", "ada", "member"), ("other_member", "bob", "member"),
                                 ("viewer", "vic", "viewer"), ("admin", "root", "admin"), ("nobody", "zed", "viewer")):
            if session.execute(select(User).where(User.name == name)).scalar_one_or_none() is None:
                accounts.add_user(session, name, kind)
            tokens[role] = accounts.create_token(session, name)[1]
    with make_client(settings.model_copy(update={"auth": "required", "sweeps_per_minute": 1000}),
                     session_factory) as client:
        yield client, tokens


def _headers(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {} if role == "anonymous" else {"Authorization": f"Bearer {tokens[role]}"}


def _sweep_of_ada(client: TestClient, tokens: dict[str, str], finished: bool = False) -> int:
    sweep_id = client.post("/api/sweeps", json=DEMO_SPEC, headers=_headers(tokens, "member")).json()["id"]
    if finished:
        client.post(f"/api/sweeps/{sweep_id}/cancel", headers=_headers(tokens, "member"))
    return sweep_id


Request = Callable[[TestClient, dict[str, str], dict[str, str]], Any]

# endpoint -> (request, expected status per role in ROLES order)
TABLE: dict[str, tuple[Request, tuple[int, ...]]] = {
    "GET /api/sweeps": (lambda c, t, h: c.get("/api/sweeps", headers=h), (401, 200, 200, 200, 200)),
    "GET /api/sweeps/{id}": (lambda c, t, h: c.get(f"/api/sweeps/{_sweep_of_ada(c, t)}", headers=h),
                             (401, 200, 200, 200, 200)),
    "GET /api/sweeps/{id}/results": (lambda c, t, h: c.get(f"/api/sweeps/{_sweep_of_ada(c, t)}/results", headers=h),
                                     (401, 200, 200, 200, 200)),
    "GET /api/sweeps/{id}/pareto": (lambda c, t, h: c.get(f"/api/sweeps/{_sweep_of_ada(c, t)}/pareto", headers=h),
                                    (401, 200, 200, 200, 200)),
    "GET /api/sweeps/{id}/errors": (lambda c, t, h: c.get(f"/api/sweeps/{_sweep_of_ada(c, t)}/errors", headers=h),
                                    (401, 200, 200, 200, 200)),
    "GET /api/sweeps/{id}/importance": (  # readable by every role; a sweep with no evaluated point has no answer
        lambda c, t, h: c.get(f"/api/sweeps/{_sweep_of_ada(c, t)}/importance?objective=energy_j", headers=h),
        (401, 422, 422, 422, 422)),
    "GET /api/points/{id}": (lambda c, t, h: c.get("/api/points/987654", headers=h), (401, 404, 404, 404, 404)),
    "GET /api/presets/models": (lambda c, t, h: c.get("/api/presets/models", headers=h), (401, 200, 200, 200, 200)),
    "GET /api/presets/accelerators": (lambda c, t, h: c.get("/api/presets/accelerators", headers=h),
                                      (401, 200, 200, 200, 200)),
    "GET /api/templates": (lambda c, t, h: c.get("/api/templates", headers=h), (401, 200, 200, 200, 200)),
    "GET /api/catalog": (lambda c, t, h: c.get("/api/catalog", headers=h), (401, 200, 200, 200, 200)),
    "GET /api/me": (lambda c, t, h: c.get("/api/me", headers=h), (401, 200, 200, 200, 200)),
    "POST /api/sweeps/estimate": (lambda c, t, h: c.post("/api/sweeps/estimate", json=DEMO_SPEC, headers=h),
                                  (401, 200, 200, 200, 200)),
    "POST /api/simulate": (lambda c, t, h: c.post("/api/simulate", json=ONE_POINT, headers=h),
                           (401, 403, 200, 200, 200)),  # viewers run nothing
    "POST /api/simulate (a layer)": (lambda c, t, h: c.post("/api/simulate", json=ONE_LAYER, headers=h),
                                     (401, 403, 200, 200, 200)),
    "POST /api/calibrate": (lambda c, t, h: c.post("/api/calibrate", json=ONE_CALIBRATION, headers=h),
                            (401, 403, 200, 200, 200)),
    "POST /api/validate": (lambda c, t, h: c.post("/api/validate", json=ONE_VALIDATION, headers=h),
                           (401, 403, 200, 200, 200)),
    "POST /api/serving": (lambda c, t, h: c.post("/api/serving", json=ONE_SERVING, headers=h),
                          (401, 403, 200, 200, 200)),
    "POST /api/serving/curve": (lambda c, t, h: c.post("/api/serving/curve", json=ONE_CURVE, headers=h),
                                (401, 403, 200, 200, 200)),
    "GET /api/mappings": (lambda c, t, h: c.get("/api/mappings?m=64&k=64&n=64&sample=100", headers=h),
                          (401, 403, 200, 200, 200)),  # it runs the simulator, as POST /api/simulate does
    "POST /api/sweeps": (lambda c, t, h: c.post("/api/sweeps", json=DEMO_SPEC, headers=h), (401, 403, 201, 201, 201)),
    "POST /api/sweeps/{id}/cancel": (lambda c, t, h: c.post(f"/api/sweeps/{_sweep_of_ada(c, t)}/cancel", headers=h),
                                     (401, 403, 200, 403, 200)),
    "PATCH /api/sweeps/{id}": (lambda c, t, h: c.patch(f"/api/sweeps/{_sweep_of_ada(c, t)}", json={"tags": ["x"]},
                                                       headers=h), (401, 403, 200, 403, 200)),
    "DELETE /api/sweeps/{id}": (lambda c, t, h: c.delete(f"/api/sweeps/{_sweep_of_ada(c, t, finished=True)}",
                                                         headers=h), (401, 403, 204, 403, 204)),
    "GET /api/users": (lambda c, t, h: c.get("/api/users", headers=h), (401, 403, 403, 403, 200)),
    "POST /api/users": (lambda c, t, h: c.post("/api/users", json={"name": f"u{len(t)}-{id(h)}", "role": "viewer"},
                                               headers=h), (401, 403, 403, 403, 201)),
    "POST /api/users/{name}/tokens (someone else)": (
        lambda c, t, h: c.post("/api/users/zed/tokens", json={}, headers=h), (401, 403, 403, 403, 201)),
    "POST /api/users/{name}/tokens (own)": (
        lambda c, t, h: c.post("/api/users/ada/tokens", json={}, headers=h), (401, 403, 201, 403, 201)),
    "GET /api/users/{name}/tokens (ada's)": (
        lambda c, t, h: c.get("/api/users/ada/tokens", headers=h), (401, 403, 200, 403, 200)),
    "GET /api/users/{name}/sessions (ada's)": (
        lambda c, t, h: c.get("/api/users/ada/sessions", headers=h), (401, 403, 200, 403, 200)),
    "PATCH /api/users/{name}": (lambda c, t, h: c.patch("/api/users/zed", json={"role": "viewer"}, headers=h),
                                (401, 403, 403, 403, 200)),
    "DELETE /api/sessions/{id} (ada's)": (
        lambda c, t, h: c.delete(f"/api/sessions/{_new_session_of_ada(c, t)}", headers=h), (401, 403, 200, 403, 200)),
    "DELETE /api/tokens/{id} (ada's)": (
        lambda c, t, h: c.delete(f"/api/tokens/{_new_token_of_ada(c, t)}", headers=h), (401, 403, 200, 403, 200)),
    "POST /api/models": (lambda c, t, h: c.post("/api/models", json=_model(h), headers=h), (401, 403, 201, 201, 201)),
    "GET /api/models": (lambda c, t, h: c.get("/api/models", headers=h), (401, 200, 200, 200, 200)),
    "GET /api/models/{name}": (lambda c, t, h: c.get(f"/api/models/{_model_of_ada(c, t)}", headers=h),
                               (401, 200, 200, 200, 200)),
    "DELETE /api/models/{name}": (lambda c, t, h: c.delete(f"/api/models/{_model_of_ada(c, t)}", headers=h),
                                  (401, 403, 204, 403, 204)),
    "POST /api/accelerators": (lambda c, t, h: c.post("/api/accelerators", json=_accelerator(h), headers=h),
                               (401, 403, 201, 201, 201)),
    "GET /api/accelerators": (lambda c, t, h: c.get("/api/accelerators", headers=h), (401, 200, 200, 200, 200)),
    "GET /api/accelerators/{name}": (lambda c, t, h: c.get(f"/api/accelerators/{_accelerator_of_ada(c, t)}",
                                                           headers=h), (401, 200, 200, 200, 200)),
    "DELETE /api/accelerators/{name}": (lambda c, t, h: c.delete(f"/api/accelerators/{_accelerator_of_ada(c, t)}",
                                                                 headers=h), (401, 403, 204, 403, 204)),
    "POST /api/session (public: signs in)": (
        lambda c, t, h: c.post("/api/session", json={"token": t["viewer"]}, headers=h), (200, 200, 200, 200, 200)),
    "DELETE /api/session (public: signs out)": (lambda c, t, h: c.delete("/api/session", headers=h),
                                                (204, 204, 204, 204, 204)),
    "GET /api/health (public)": (lambda c, t, h: c.get("/api/health", headers=h), (200, 200, 200, 200, 200)),
    "GET /api/ready (public)": (lambda c, t, h: c.get("/api/ready", headers=h), (UP, UP, UP, UP, UP)),
    "GET /api/metrics (public)": (lambda c, t, h: c.get("/api/metrics", headers=h), (200, 200, 200, 200, 200)),
}


TINY_MODEL = {"family": "encoder", "num_layers": 2, "d_model": 64, "num_heads": 2, "d_ff": 256, "vocab_size": 100,
              "max_positions": 128}


def _model(headers: dict[str, str]) -> dict[str, Any]:
    return {"name": f"m-{uuid.uuid4().hex[:8]}", "definition": TINY_MODEL}


def _accelerator(headers: dict[str, str]) -> dict[str, Any]:
    return {"name": f"a-{uuid.uuid4().hex[:8]}", "preset": "gemmini-default", "overrides": {"rows": 8}}


def _model_of_ada(client: TestClient, tokens: dict[str, str]) -> str:
    return client.post("/api/models", json=_model({}), headers=_headers(tokens, "member")).json()["name"]


def _accelerator_of_ada(client: TestClient, tokens: dict[str, str]) -> str:
    return client.post("/api/accelerators", json=_accelerator({}), headers=_headers(tokens, "member")).json()["name"]


def test_the_table_covers_every_operation(team) -> None:
    client, _tokens = team
    documented = {f"{method.upper()} {path}" for path, operations in client.get("/openapi.json").json()["paths"].items()
                  for method in operations}
    covered = {" ".join(key.split(" ")[:2]).replace("{id}", "{x}").replace("{name}", "{x}") for key in TABLE}
    missing = sorted(op for op in documented if op.replace("{sweep_id}", "{x}").replace("{point_id}", "{x}")
                     .replace("{token_id}", "{x}").replace("{session_id}", "{x}").replace("{name}", "{x}")
                     not in covered)
    assert not missing, f"operations without a row in the access table: {missing}"


def _new_token_of_ada(client: TestClient, tokens: dict[str, str]) -> int:
    return client.post("/api/users/ada/tokens", json={"label": "t"}, headers=_headers(tokens, "admin")).json()["id"]


def _new_session_of_ada(client: TestClient, tokens: dict[str, str]) -> int:
    """A session of ada's, opened on a client of its own (the test's client keeps its cookies)."""
    TestClient(client.app, base_url=str(client.base_url)).post("/api/session", json={"token": tokens["member"]})
    return client.get("/api/users/ada/sessions", headers=_headers(tokens, "admin")).json()[0]["id"]


@pytest.mark.parametrize("endpoint", list(TABLE))
def test_every_endpoint_for_every_role(team, endpoint: str) -> None:
    client, tokens = team
    request, expected = TABLE[endpoint]
    got = tuple(request(client, tokens, _headers(tokens, role)).status_code for role in ROLES)
    got = tuple(UP if code in (200, 503) and want == UP else code for code, want in zip(got, expected, strict=True))
    assert got == expected, f"{endpoint}: {dict(zip(ROLES, got, strict=True))}"


def test_sweeps_belong_to_the_signed_in_user_and_bad_tokens_are_401_without_echo(team, caplog) -> None:
    client, tokens = team
    caplog.set_level(logging.DEBUG)
    created = client.post("/api/sweeps", json={**DEMO_SPEC, "owner": "someone-else"},
                          headers=_headers(tokens, "member")).json()
    assert created["owner"] == "ada"
    bad = client.get("/api/sweeps", headers={"Authorization": "Bearer dse_not-a-token"})
    assert bad.status_code == 401 and "dse_not-a-token" not in bad.text
    assert bad.headers["www-authenticate"] == "Bearer"
    token_id = client.post("/api/users/bob/tokens", json={}, headers=_headers(tokens, "admin")).json()
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token_id['token']}"}).json()["name"] == "bob"
    client.delete(f"/api/tokens/{token_id['id']}", headers=_headers(tokens, "admin"))
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token_id['token']}"}).status_code == 401
    assert not any(secret in caplog.text for secret in [*tokens.values(), token_id["token"]])


def test_single_user_mode_needs_no_sign_in_and_says_so(settings, session_factory) -> None:
    """`auto` is single-user on SQLite and team mode on PostgreSQL."""
    with make_client(settings.model_copy(update={"auth": "auto"}), session_factory) as client:
        me = client.get("/api/me")
        if settings.sqlalchemy_url.startswith("postgresql"):
            assert me.status_code == 401 and "DSE_AUTH" in me.json()["detail"]
        else:
            assert me.json() == {"name": "local", "role": "admin", "signed_in": False, "auth_required": False}
            assert client.post("/api/sweeps", json=DEMO_SPEC).json()["owner"] == "anonymous"


def test_the_dashboard_signs_in_with_an_http_only_cookie(team) -> None:
    client, tokens = team
    assert client.post("/api/session", json={"token": "dse_wrong"}).status_code == 401
    signed_in = client.post("/api/session", json={"token": tokens["viewer"]})
    assert signed_in.json()["name"] == "vic"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "dse_session=" in cookie
    assert client.get("/api/me").json()["name"] == "vic"  # the cookie alone signs every request in
    assert client.post("/api/sweeps", json=DEMO_SPEC).status_code == 403  # still a viewer
    assert client.delete("/api/session").status_code == 204
    client.cookies.clear()
    assert client.get("/api/me").status_code == 401
