"""Limits answer with clear 4xx messages: body size (413), sweep creations per minute (429), page sizes (422)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.core.limits import RateLimiter
from tests.sweeps_support import DEMO_SPEC, make_client

pytestmark = pytest.mark.redis


@pytest.fixture
def limited_client(settings, session_factory) -> TestClient:
    with make_client(settings.model_copy(update={"max_body_bytes": 4096, "sweeps_per_minute": 2}),
                     session_factory) as client:
        yield client


def test_a_body_above_the_cap_is_413_whether_declared_or_streamed(limited_client: TestClient) -> None:
    spec = {**DEMO_SPEC, "name": "x" * 5000}
    declared = limited_client.post("/api/sweeps", json=spec)
    assert declared.status_code == 413 and "4,096 bytes" in declared.json()["detail"]

    def chunks():
        for _ in range(10):
            yield b" " * 1000  # no Content-Length: counted as it arrives

    streamed = limited_client.post("/api/sweeps/estimate", content=chunks(),
                                   headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and "DSE_MAX_BODY_BYTES" in streamed.json()["detail"]
    assert limited_client.post("/api/sweeps/estimate", json=DEMO_SPEC).status_code == 200  # small bodies pass


def test_page_sizes_are_capped_with_a_message(limited_client: TestClient) -> None:
    too_many = limited_client.get("/api/sweeps", params={"limit": 100_000})
    assert too_many.status_code == 422 and "must be at most 1,000" in str(too_many.json()["detail"])
    sweep_id = limited_client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    page = limited_client.get(f"/api/sweeps/{sweep_id}/results", params={"limit": 10**9})
    assert page.status_code == 422 and "must be at most" in str(page.json()["detail"])


def test_the_rate_limiter_counts_a_sliding_minute_per_key() -> None:
    limiter = RateLimiter(per_minute=2)
    assert limiter.check("user:ada", now=0.0) == 0 and limiter.check("user:ada", now=10.0) == 0
    assert limiter.check("user:ada", now=20.0) == pytest.approx(40.0)  # the first one leaves the window at 60 s
    assert limiter.check("user:bob", now=20.0) == 0  # per key
    assert limiter.check("user:ada", now=60.5) == 0


def test_creating_sweeps_too_fast_is_429_with_retry_after(limited_client: TestClient) -> None:
    assert [limited_client.post("/api/sweeps", json=DEMO_SPEC).status_code for _ in range(2)] == [201, 201]
    third = limited_client.post("/api/sweeps", json=DEMO_SPEC)
    assert third.status_code == 429 and "at most 2 sweeps per minute" in third.json()["detail"]
    assert 1 <= int(third.headers["retry-after"]) <= 60
    assert limited_client.post("/api/sweeps/estimate", json=DEMO_SPEC).status_code == 200  # only creation counts
