"""A dashboard session belongs to the token that opened it (issue 30, item 1): revoking the token, all of a user's
tokens or changing their role ends it at once; a session cannot mint tokens; tokens and sessions are listed and
revoked by admins and by their user."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.accounts import service as accounts
from backend.core.db import transaction
from tests.sweeps_support import make_client

pytestmark = pytest.mark.redis


@pytest.fixture
def team(settings, session_factory) -> tuple[TestClient, str, str]:
    """Team mode with alice (member) and root (admin); returns the client, root's token and alice's user name."""
    with transaction(session_factory) as session:
        accounts.add_user(session, "root", "admin")
        accounts.add_user(session, "alice", "member")
        root = accounts.create_token(session, "root")[1]
    with make_client(settings.model_copy(update={"auth": "required"}), session_factory) as client:
        yield client, root, "alice"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _browser(client: TestClient, token: str) -> TestClient:
    """A second client, signed in with `token` as the dashboard does (cookie only from now on)."""
    browser = TestClient(client.app, base_url=str(client.base_url))
    assert browser.post("/api/session", json={"token": token}).status_code == 200
    return browser


def test_revoking_the_token_ends_its_session_and_a_session_cannot_mint_tokens(team) -> None:
    client, root, alice = team
    made = client.post(f"/api/users/{alice}/tokens", json={"label": "laptop"}, headers=_bearer(root)).json()
    browser = _browser(client, made["token"])
    assert browser.get("/api/me").json()["name"] == alice
    minted = browser.post(f"/api/users/{alice}/tokens", json={})
    assert minted.status_code == 403 and "Bearer" in minted.json()["detail"]
    assert client.delete(f"/api/tokens/{made['id']}", headers=_bearer(root)).status_code == 200
    assert client.get("/api/me", headers=_bearer(made["token"])).status_code == 401
    assert browser.get("/api/me").status_code == 401  # at once, not in 7 days
    assert browser.post(f"/api/users/{alice}/tokens", json={}).status_code == 401
    sessions = client.get(f"/api/users/{alice}/sessions", headers=_bearer(root)).json()
    assert [(s["token_id"], s["revoked_at"] is not None) for s in sessions] == [(made["id"], True)]


def test_changing_the_role_or_revoking_the_user_ends_every_session(team) -> None:
    client, root, alice = team
    first = client.post(f"/api/users/{alice}/tokens", json={}, headers=_bearer(root)).json()
    second = client.post(f"/api/users/{alice}/tokens", json={}, headers=_bearer(root)).json()
    browser = _browser(client, first["token"])
    changed = client.patch(f"/api/users/{alice}", json={"role": "viewer"}, headers=_bearer(root))
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"
    assert browser.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=_bearer(first["token"])).json()["role"] == "viewer"  # tokens take the role
    browser = _browser(client, second["token"])
    with transaction(client.app.state.session_factory) as session:
        assert accounts.revoke_user(session, alice) == 2
    assert browser.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=_bearer(second["token"])).status_code == 401
    assert client.patch("/api/users/nobody", json={"role": "viewer"}, headers=_bearer(root)).status_code == 404


def test_a_user_lists_and_revokes_their_own_tokens_and_sessions_never_seeing_secrets(team) -> None:
    client, root, alice = team
    own = client.post(f"/api/users/{alice}/tokens", json={"label": "ci"}, headers=_bearer(root)).json()
    browser = _browser(client, own["token"])
    tokens = client.get(f"/api/users/{alice}/tokens", headers=_bearer(own["token"]))
    assert [(t["id"], t["label"], t["revoked_at"]) for t in tokens.json()] == [(own["id"], "ci", None)]
    assert own["token"] not in tokens.text
    assert client.get("/api/users/root/tokens", headers=_bearer(own["token"])).status_code == 403
    sessions = browser.get(f"/api/users/{alice}/sessions").json()  # the session reads its own list
    assert len(sessions) == 1 and sessions[0]["revoked_at"] is None and "cookie" not in str(sessions)
    assert client.delete(f"/api/sessions/{sessions[0]['id']}", headers=_bearer(own["token"])).status_code == 200
    assert browser.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=_bearer(own["token"])).status_code == 200  # the token lives on
    assert client.delete("/api/sessions/999999", headers=_bearer(root)).status_code == 404
