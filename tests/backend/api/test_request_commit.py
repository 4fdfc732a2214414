"""The request owns the commit (backend/core/deps.py:get_db), on SQLite and PostgreSQL: it commits after the handler
returns and before the answer is sent, so a client that got its 201 reads what it created; an error rolls back what
the handler wrote and drops the jobs it queued; a commit that fails answers 409, never the handler's success."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import HTTPException, status
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Message, Receive, Scope, Send

from backend.core.deps import SessionDep
from backend.core.settings import Settings
from backend.models import LibraryEntry, Sweep
from backend.sweeps import service as sweeps_service
from backend.sweeps.spec import SweepSpec
from tests.sweeps_support import DEMO_SPEC, make_client, queued_tasks

pytestmark = pytest.mark.redis


class Recorder:
    """The app, noting when each answer starts beside the session factory's commits."""

    def __init__(self, app: Any, factory: sessionmaker[Session], events: list[str]) -> None:
        self.app, self.events = app, events
        event.listen(factory, "after_commit", lambda _session: events.append("commit"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def noted(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.events.append(f"answer {message['status']}")
            await send(message)

        await self.app(scope, receive, noted)


def _client_with(settings: Settings, factory: sessionmaker[Session], path: str, endpoint: Any,
                 **route: Any) -> TestClient:
    """A client whose app also answers POST `path` (ahead of the dashboard's catch-all mount)."""
    client = make_client(settings, factory)
    client.app.add_api_route(path, endpoint, methods=["POST"], **route)
    client.app.router.routes.insert(0, client.app.router.routes.pop())
    return client


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_created_object_is_committed_before_its_201_is_sent(settings: Settings,
                                                                session_factory: sessionmaker[Session]) -> None:
    events: list[str] = []
    app = make_client(settings, session_factory).app
    with TestClient(Recorder(app, session_factory, events), base_url="http://127.0.0.1") as client:
        created = client.post("/api/accelerators", json={"name": "chip-16", "preset": "gemmini-default",
                                                         "overrides": {"rows": 16, "cols": 16}})
        assert created.status_code == 201, created.text
        assert events == ["commit", "answer 201"]
        sweep = client.post("/api/sweeps", json=DEMO_SPEC)
        assert sweep.status_code == 201, sweep.text
    assert events[2:] == ["commit", "answer 201"]
    assert _count(session_factory, LibraryEntry) == 1
    assert [task for task, _ in queued_tasks(settings)] == ["dse.run_chunk"] * sweep.json()["chunk_count"]


def test_an_error_rolls_back_what_the_handler_wrote_and_drops_its_jobs(
        settings: Settings, session_factory: sessionmaker[Session]) -> None:
    def refused(session: SessionDep) -> None:
        sweeps_service.create_sweep(session, SweepSpec.model_validate(DEMO_SPEC), settings)
        raise HTTPException(status.HTTP_409_CONFLICT, "refused after writing")

    with _client_with(settings, session_factory, "/test/refused-after-writing", refused) as client:
        answer = client.post("/test/refused-after-writing")
    assert (answer.status_code, answer.json()) == (409, {"detail": "refused after writing"})
    assert _count(session_factory, Sweep) == 0
    assert queued_tasks(settings) == []


def test_a_commit_that_fails_answers_409_not_the_handlers_success(
        settings: Settings, session_factory: sessionmaker[Session]) -> None:
    def twins(session: SessionDep) -> dict[str, bool]:
        for _ in range(2):  # the same (kind, name) twice, unflushed: the commit's flush breaks the unique key
            session.add(LibraryEntry(kind="model", name="twin", owner="local", source="", definition={}))
        return {"created": True}

    with _client_with(settings, session_factory, "/test/twins", twins, status_code=201) as client:
        answer = client.post("/test/twins")
    assert answer.status_code == 409 and "nothing was saved" in answer.json()["detail"], answer.text
    assert _count(session_factory, LibraryEntry) == 0
