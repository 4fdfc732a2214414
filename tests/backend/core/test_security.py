"""The browser-facing defences on the real app (SQLite and PostgreSQL): security headers on every answer, CSRF on
cookie and single-user writes, the single-user Host check, NUL characters refused, and the bounds on what is stored
or echoed."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.core.errors import MAX_MESSAGE_CHARS
from backend.core.security import DASHBOARD_CSP
from backend.core.settings import Settings
from backend.models import DesignPoint
from backend.sweeps.chunks import run_chunk
from backend.sweeps.export import neutralise_formulas
from tests.sweeps_support import DEMO_SPEC, make_client

ORIGIN = "http://127.0.0.1"  # the test client's base URL


def _sweep(client: TestClient, **changes) -> int:
    created = client.post("/api/sweeps", json={**DEMO_SPEC, **changes})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path, expected in [("/api/sweeps", 200), ("/api/sweeps/999", 404), ("/", 200), ("/js/main.js", 200),
                           ("/api/ready", None)]:
        answer = client.get(path)
        assert expected is None or answer.status_code == expected, (path, answer.status_code)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["referrer-policy"] == "same-origin", path
        assert answer.headers["content-security-policy"] == DASHBOARD_CSP, path
        assert ("no-store" in answer.headers.get("cache-control", "")) == path.startswith("/api/"), path
    script_policy = next(d for d in DASHBOARD_CSP.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_policy and "frame-ancestors 'none'" in DASHBOARD_CSP
    assert "<script>" not in client.get("/").text  # the page has no inline script for the CSP to block


def test_writes_from_another_origin_are_refused(client: TestClient) -> None:
    sweep_id = _sweep(client)
    for headers in ({"Origin": "http://127.0.0.1:9999"},  # another port of the same host: same-site, not same-origin
                    {"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": ORIGIN}):
        answer = client.post(f"/api/sweeps/{sweep_id}/cancel", headers=headers)
        assert answer.status_code == 403 and "CSRF" in answer.json()["detail"], (headers, answer.text)
    form = client.post("/api/sweeps", content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415 and "JSON" in form.json()["detail"]
    assert client.get(f"/api/sweeps/{sweep_id}").json()["status"] == "queued"  # nothing above changed it
    same = client.post(f"/api/sweeps/{sweep_id}/cancel", headers={"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200 and same.json()["status"] == "cancelled"


def test_token_writes_pass_the_csrf_check_in_team_mode(settings: Settings, session_factory) -> None:
    """A bearer token is never attached by a browser on its own, so it needs no Origin; a cookie does."""
    from backend.accounts import service as accounts
    from backend.core.db import transaction

    team = settings.model_copy(update={"auth": "required"})
    with transaction(session_factory) as session:
        accounts.add_user(session, "ada", "member")
        token = accounts.create_token(session, "ada")[1]
    with make_client(team, session_factory) as client:
        bearer = {"Authorization": f"Bearer {token}", "Origin": "http://elsewhere.example"}
        created = client.post("/api/sweeps", json=DEMO_SPEC, headers=bearer)
        assert created.status_code == 201, created.text
        assert client.get("/api/sweeps", headers={"Host": "any.example", **bearer}).status_code == 200  # no Host check
        signed_in = client.post("/api/session", json={"token": token})
        assert signed_in.status_code == 200 and "no-store" in signed_in.headers["cache-control"]
        cancel = f"/api/sweeps/{created.json()['id']}/cancel"
        assert client.post(cancel, headers={"Origin": "http://127.0.0.1:9999"}).status_code == 403
        assert client.post(cancel).json()["status"] == "cancelled"  # the cookie, from this origin


def test_single_user_mode_answers_only_its_own_host(client: TestClient, settings: Settings, session_factory) -> None:
    refused = client.get("/api/sweeps", headers={"Host": "rebound.example:8000"})
    assert refused.status_code == 421 and "DSE_ALLOWED_HOSTS" in refused.json()["detail"]
    assert client.get("/api/sweeps", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/api/sweeps", headers={"Host": "[::1]:8000"}).status_code == 200
    named = settings.model_copy(update={"allowed_hosts": ["lab-box"]})
    with make_client(named, session_factory) as allowed:
        assert allowed.get("/api/sweeps", headers={"Host": "LAB-BOX:8000"}).status_code == 200


def test_single_user_mode_has_no_accounts(client: TestClient) -> None:
    for method, path, body in [("post", "/api/users", {"name": "mallory", "role": "admin"}),
                               ("post", "/api/users/mallory/tokens", {}), ("get", "/api/users", None),
                               ("post", "/api/session", {"token": "dse_x"})]:
        answer = client.request(method, path, json=body)
        assert answer.status_code == 404 and "team mode only" in answer.json()["detail"], (path, answer.text)
    assert client.get("/api/me").json()["auth_required"] is False


@pytest.mark.parametrize("query", ["status=a%00b", "owner=%00", "q=x%00"])
def test_a_nul_character_in_a_query_is_a_422(client: TestClient, query: str) -> None:
    answer = client.get(f"/api/sweeps?{query}")
    assert answer.status_code == 422 and "NUL" in answer.json()["detail"]


def test_a_nul_character_in_a_body_is_a_422(client: TestClient) -> None:
    answer = client.post("/api/sweeps", json={**DEMO_SPEC, "name": "a\u0000b"})
    assert answer.status_code == 422 and "NUL" in answer.json()["detail"]
    assert client.get("/api/sweeps").json()["total"] == 0


@pytest.mark.parametrize("query", ["filter=rows:inf:", "filter=latency_s:nan:1", "filter=rows:-inf:inf",
                                   "filter=rows:1e400:", "filter=rows=inf", "filter=rows:99999999999999999999999:",
                                   "columns=,", "status_is_ignored=1&filter=rows:nan:&format=csv",
                                   "filter=rows:nan:&format=arrays"])
def test_non_finite_and_out_of_range_filters_are_422(client: TestClient, query: str) -> None:
    sweep_id = _sweep(client)
    answer = client.get(f"/api/sweeps/{sweep_id}/results?{query}")
    assert answer.status_code == 422, (query, answer.text)
    assert len(answer.json()["detail"]) < 300


def test_an_unknown_status_is_a_422_that_lists_the_valid_ones(client: TestClient) -> None:
    answer = client.get("/api/sweeps?status=finished")
    assert answer.status_code == 422 and "queued" in answer.json()["detail"]


def test_a_huge_bad_value_is_refused_without_being_echoed_in_full(client: TestClient) -> None:
    huge = "x" * 200_000
    answer = client.post("/api/sweeps", json={**DEMO_SPEC, "scenarios": [{"seq_len": 128}, {"seq_len": huge}]})
    assert answer.status_code == 422
    assert len(answer.content) < 2 * MAX_MESSAGE_CHARS and "scenarios.1.seq_len" in answer.json()["detail"]
    assert client.get("/api/sweeps").json()["total"] == 0


def test_a_long_failure_message_is_stored_short(client: TestClient, session_factory) -> None:
    """A point that fails for its combination (bert-base at 600 tokens, past its 512 positions) keeps a message of at
    most MAX_MESSAGE_CHARS, and so does its sweep."""
    sweep_id = _sweep(client, models=["bert-base", "gpt2"], scenarios=[{"seq_len": 600}], axes={"rows": [8]})
    run_chunk(session_factory, sweep_id, 0)
    sweep = client.get(f"/api/sweeps/{sweep_id}").json()
    assert sweep["status"] == "done" and sweep["failed_points"] == 1 and sweep["done_points"] == 1
    assert len(sweep["error"]) <= MAX_MESSAGE_CHARS and "max positions 512" in sweep["error"]


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    rows = [("=HYPERLINK(1)", -2.5, "+1", "@SUM(A1)", "plain", "-x", None, "\tTAB")]
    assert neutralise_formulas(rows, [0, 2, 3, 4, 5, 6, 7]) == [
        ["'=HYPERLINK(1)", -2.5, "'+1", "'@SUM(A1)", "plain", "'-x", None, "'\tTAB"]]


def test_the_csv_export_writes_neutralised_text_and_plain_numbers(client: TestClient, session_factory) -> None:
    """Whatever text a row holds (here an error text planted in the database) leaves as inert text."""
    sweep_id = _sweep(client, models=["bert-base", "gpt2"], scenarios=[{"seq_len": 600}], axes={"rows": [8]})
    run_chunk(session_factory, sweep_id, 0)  # bert-base fails at 600 tokens (512 positions), gpt2 runs
    with session_factory() as session, session.begin():
        session.execute(update(DesignPoint).where(DesignPoint.sweep_id == sweep_id, DesignPoint.error.is_not(None))
                        .values(error='=HYPERLINK("http://evil.example","x")'))
    exported = client.get(f"/api/sweeps/{sweep_id}/results?format=csv&include_failed=true"
                          "&columns=point_index,error,latency_s")
    assert exported.status_code == 200, exported.text
    rows = {row["point_index"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert float(rows["1"]["latency_s"]) > 0 and rows["1"]["error"] == ""
    assert rows["0"]["error"] == '\'=HYPERLINK("http://evil.example","x")'


def test_the_middlewares_own_refusals_carry_the_csp(client: TestClient, settings: Settings) -> None:
    """403 (CSRF), 421 (Host), 422 (%00 in a query, NUL or deep JSON in a body), 413: answered before any route,
    each with the same security headers as a route's answer."""
    refusals = [client.post("/api/sweeps", json=DEMO_SPEC, headers={"Sec-Fetch-Site": "cross-site"}),
                client.get("/api/sweeps", headers={"Host": "rebound.example"}),
                client.get("/api/sweeps?q=%00"),
                client.post("/api/sweeps", json={**DEMO_SPEC, "name": "a\u0000b"}),
                client.post("/api/sweeps", content="[" * 100 + "]" * 100, headers={"Content-Type": "application/json"}),
                client.post("/api/sweeps", content=b"x" * (settings.max_body_bytes + 1),
                            headers={"Content-Type": "application/json"})]
    assert [answer.status_code for answer in refusals] == [403, 421, 422, 422, 422, 413]
    for answer in refusals:
        assert answer.headers["content-security-policy"] == DASHBOARD_CSP, answer.text
        assert answer.headers["x-frame-options"] == "DENY" and answer.json()["detail"]


WORK = ["/api/mappings?m=64&k=64&n=64&sample=50", "/api/sweeps/{id}/results?format=csv",
        "/api/sweeps/{id}/results", "/api/sweeps/{id}/pareto", "/api/sweeps", "/api/points/1"]


def test_reads_that_cost_work_are_refused_from_another_origin(client: TestClient) -> None:
    """Single-user mode: a page on another port (same-site) or site made the server compute landscapes and exports
    with <img> tags (issue 30). Refused before any work; this origin, a typed URL and a non-browser client pass."""
    sweep_id = _sweep(client)
    for path in (p.format(id=sweep_id) for p in WORK):
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                        {"Origin": "http://127.0.0.1:9999"}):
            refused = client.get(path, headers=headers)
            assert refused.status_code == 403 and "another origin" in refused.json()["detail"], (path, headers)
            assert refused.headers["content-security-policy"] == DASHBOARD_CSP
        for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {}):
            assert client.get(path, headers=headers).status_code in (200, 404), (path, headers)
    for probe in ("/api/health", "/api/metrics"):  # monitors on any origin
        assert client.get(probe, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_a_cookie_read_from_another_port_is_refused_but_a_token_passes(settings: Settings, session_factory) -> None:
    """Team mode: the SameSite=Strict cookie rides along from another port of the same host (same-site)."""
    from backend.accounts import service as accounts
    from backend.core.db import transaction

    with transaction(session_factory) as session:
        accounts.add_user(session, "alice", "member")
        token = accounts.create_token(session, "alice")[1]
    with make_client(settings.model_copy(update={"auth": "required"}), session_factory) as client:
        assert client.post("/api/session", json={"token": token}).status_code == 200
        landscape = WORK[0]
        assert client.get(landscape, headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
        assert client.get(landscape, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
        client.cookies.clear()
        bearer = {"Authorization": f"Bearer {token}", "Sec-Fetch-Site": "cross-site"}
        assert client.get(landscape, headers=bearer).status_code == 200
