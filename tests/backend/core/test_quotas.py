"""Quotas on simulation work in the API (issue 30, item 5): requests at once per user and in all, seconds of work
per user per minute; past them 429 with Retry-After, and a request waits for a turn before it is refused."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.core.quotas import WAITING_PER_USER, QuotaExceeded, WorkQuota
from tests.sweeps_support import make_client

pytestmark = pytest.mark.redis
HEAVY = "/api/mappings?m=4096&k=4096&n=4096"  # ~0.7 s of one core


def test_turns_per_user_and_in_all_and_a_waiting_request_gets_the_next() -> None:
    quota = WorkQuota(per_user=2, total=3, seconds_per_minute=1000, wait_s=0.05)
    quota.acquire("alice")
    quota.acquire("alice")
    with pytest.raises(QuotaExceeded, match="2 simulation requests of yours are running"):
        quota.acquire("alice")
    quota.acquire("bob")
    with pytest.raises(QuotaExceeded, match="runs 3 simulation requests at once"):
        quota.acquire("carol")
    quota.wait_s = 5.0
    admitted = threading.Event()
    waiter = threading.Thread(target=lambda: (quota.acquire("carol"), admitted.set()))
    waiter.start()
    time.sleep(0.1)
    assert not admitted.is_set()  # waiting for a turn
    quota.release("bob", 0.1)
    waiter.join(5)
    assert admitted.is_set()


def test_a_browsers_six_requests_wait_their_turn_and_a_flood_is_refused_at_once() -> None:
    """A waiting request holds a thread: a user's waiting requests are capped (a browser sends 6 at once)."""
    quota = WorkQuota(per_user=1, total=1, seconds_per_minute=1000, wait_s=10)
    quota.acquire("alice")

    def turn() -> None:
        quota.acquire("alice")
        quota.release("alice", 0.0)

    waiters = [threading.Thread(target=turn) for _ in range(WAITING_PER_USER)]
    for waiter in waiters:
        waiter.start()
    while quota._waiting.get("alice", 0) < WAITING_PER_USER:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(QuotaExceeded, match="too many simulation requests are waiting"):
        quota.acquire("alice")
    assert time.monotonic() - started < 1
    quota.release("alice", 0.0)
    for waiter in waiters:
        waiter.join(10)
    assert not any(waiter.is_alive() for waiter in waiters) and quota._running == {}


def test_seconds_of_work_per_minute_with_the_time_until_they_age_out() -> None:
    quota = WorkQuota(per_user=2, total=2, seconds_per_minute=1.0, wait_s=0)
    quota.acquire("alice")
    quota.release("alice", 1.5)
    with pytest.raises(QuotaExceeded, match="DSE_WORK_SECONDS_PER_MINUTE") as refused:
        quota.acquire("alice")
    assert 59 < refused.value.retry_s <= 60
    quota.acquire("bob")  # another user's budget is their own


def test_four_heavy_requests_at_once_run_two_and_refuse_two_with_retry_after(settings, session_factory) -> None:
    """The audit's reproducer: four of the heaviest requests at once from one user."""
    quick = settings.model_copy(update={"work_per_user": 2, "work_total": 4, "work_wait_s": 0})
    with make_client(quick, session_factory) as client:
        start = threading.Barrier(4)

        def heavy(_: int):
            start.wait()
            return client.get(HEAVY)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(heavy, range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 429, 429], [a.text[:200] for a in answers]
    refused = next(a for a in answers if a.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1 and "DSE_WORK_PER_USER" in refused.json()["detail"]


def test_a_spent_budget_is_429_for_that_user_only(settings, session_factory) -> None:
    from backend.accounts import service as accounts
    from backend.core.db import transaction

    with transaction(session_factory) as session:
        tokens = {}
        for name in ("alice", "bob"):
            accounts.add_user(session, name, "member")
            tokens[name] = {"Authorization": f"Bearer {accounts.create_token(session, name)[1]}"}
    tight = settings.model_copy(update={"auth": "required", "work_seconds_per_minute": 0.01})
    with make_client(tight, session_factory) as client:
        assert client.get(HEAVY, headers=tokens["alice"]).status_code == 200
        spent = client.post("/api/simulate", json={"model": "bert-base", "scenario": {"seq_len": 128}},
                            headers=tokens["alice"])
        assert spent.status_code == 429 and 55 <= int(spent.headers["retry-after"]) <= 60, spent.text
        assert "DSE_WORK_SECONDS_PER_MINUTE" in spent.json()["detail"]
        assert client.get(HEAVY, headers=tokens["bob"]).status_code == 200
