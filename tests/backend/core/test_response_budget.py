"""The process-wide byte budget for large results pages (issue 30, item 8): a page reserves its estimated size,
waits while larger pages ahead of it are sent, is refused with 429 and Retry-After when no room comes, and gives
its bytes back once it has been sent."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from backend.core.response_budget import BYTES_PER_VALUE, ByteBudget
from backend.sweeps.chunks import run_chunk
from tests.sweeps_support import DEMO_SPEC, make_client

pytestmark = pytest.mark.redis


def test_a_reservation_waits_for_room_and_a_page_larger_than_the_budget_runs_alone() -> None:
    budget = ByteBudget(total=100, wait_s=0.05)
    assert budget.reserve(60) == 60
    with pytest.raises(HTTPException) as refused:
        budget.reserve(60)
    assert refused.value.status_code == 429 and refused.value.headers["Retry-After"] == "1"
    budget.release(60)
    assert budget.reserve(10_000) == 100 and budget.used == 100  # clipped to the whole budget: alone
    budget.release(100)
    assert budget.used == 0


def test_a_page_waits_for_the_budget_and_gives_it_back_once_sent(settings, session_factory) -> None:
    tight = settings.model_copy(update={"response_budget_bytes": 2**20, "work_wait_s": 0})
    with make_client(tight, session_factory) as client:
        sweep_id = client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
        run_chunk(session_factory, sweep_id, 0)
        budget: ByteBudget = client.app.state.response_budget
        page = f"/api/sweeps/{sweep_id}/results?limit=1000"
        held = budget.reserve(2**20 - 1000)  # a large page of someone else's, being sent
        refused = client.get(page)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "DSE_RESPONSE_BUDGET_BYTES" in refused.json()["detail"]
        budget.release(held)
        answered = client.get(page)
        assert answered.status_code == 200 and answered.json()["count"] == 10
        assert budget.used == 0, "the page's bytes are given back once it has been sent"
        assert client.get(f"{page}&format=arrays").status_code == 200 and budget.used == 0
    assert BYTES_PER_VALUE["json"] > BYTES_PER_VALUE["arrays"]
