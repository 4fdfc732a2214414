"""Nothing is lost when a process dies: a SIGKILLed worker, a restarted Redis, dropped PostgreSQL connections,
a restarted API. Each test runs a real sweep through real processes and checks that the database ends with
exactly one row per point of the sweep and counters that agree with the rows.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from backend.core.broker import create_celery
from backend.core.db import transaction
from backend.core.settings import Settings
from backend.models import DesignPoint
from backend.sweeps import jobs
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from tests.reliability.support import (
    FAULT_SPEC,
    FAULT_SPEC_POINTS,
    DatabaseOutage,
    PrivateRedis,
    Processes,
    kill_tree,
    record_counts,
    stored_counts,
    wait_until,
)
from tests.support import free_port

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres, pytest.mark.timeout(300)]


def _submit(factory, settings: Settings, spec: dict[str, Any] = FAULT_SPEC) -> int:
    """Create the sweep; its chunks are queued when the transaction commits (as in the API)."""
    jobs.install(factory, create_celery(settings), settings.queue)
    with transaction(factory) as session:
        return create_sweep(session, SweepSpec.model_validate(spec), settings).id


def _finished(factory, sweep_id: int) -> bool:
    return stored_counts(factory, sweep_id)["status"] in ("done", "failed", "cancelled")


def _assert_complete(counts: dict[str, int], total: int = FAULT_SPEC_POINTS) -> None:
    assert counts["status"] == "done", counts
    assert counts["total_points"] == total
    assert counts["stored_rows"] == counts["distinct_point_indices"] == total, counts  # none lost, none twice
    assert counts["done_points"] + counts["failed_points"] == total, counts  # each chunk counted once
    assert counts["chunks_done"] == counts["chunks"], counts


def test_a_sigkilled_worker_loses_nothing_once_another_starts(pg_settings, db, processes: Processes) -> None:
    """kill -9 of the whole worker (main process and pool): its unacknowledged chunks come back to the next one."""
    first = processes.worker(pg_settings, concurrency=2)
    sweep_id = _submit(db, pg_settings)
    wait_until(lambda: stored_counts(db, sweep_id)["done_points"] >= 60, 120, "the sweep to be under way")
    at_kill = stored_counts(db, sweep_id)
    killed = kill_tree(first.pid)
    assert at_kill["status"] == "running" and at_kill["done_points"] < FAULT_SPEC_POINTS
    processes.worker(pg_settings, concurrency=2)
    wait_until(lambda: _finished(db, sweep_id), 240, "the sweep to finish on the second worker")
    counts = stored_counts(db, sweep_id)
    record_counts("sigkill_worker", {"expected": FAULT_SPEC_POINTS, "done_at_kill": at_kill["done_points"],
                                     "processes_killed": killed, **counts})
    _assert_complete(counts)


def test_workers_reconnect_after_a_redis_restart(pg_settings, db, processes: Processes,
                                                 private_redis: PrivateRedis) -> None:
    """Redis stops mid-sweep and comes back (with its append-only file): the queued chunks are still there and the
    worker reconnects by itself."""
    settings = pg_settings.model_copy(update={"broker_url": private_redis.url})
    processes.worker(settings, concurrency=2)
    sweep_id = _submit(db, settings)
    wait_until(lambda: stored_counts(db, sweep_id)["done_points"] >= 60, 120, "the sweep to be under way")
    private_redis.stop()
    at_stop = stored_counts(db, sweep_id)
    time.sleep(3)
    private_redis.start()
    wait_until(lambda: _finished(db, sweep_id), 240, "the sweep to finish after the restart")
    counts = stored_counts(db, sweep_id)
    record_counts("redis_restart", {"expected": FAULT_SPEC_POINTS, "done_at_restart": at_stop["done_points"],
                                    **counts})
    _assert_complete(counts)


def test_dropped_postgres_connections_are_retried_without_loss(pg_settings, db, processes: Processes,
                                                               postgres_server_url: str) -> None:
    """pg_terminate_backend on every connection to the sweep's database, several times mid-sweep: the chunks that
    were writing fail, retry with backoff and store their points once."""
    processes.worker(pg_settings, concurrency=2)
    sweep_id = _submit(db, pg_settings)
    database = db.kw["bind"].url.database
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    terminated = 0
    try:
        wait_until(lambda: stored_counts(db, sweep_id)["done_points"] >= 40, 120, "the sweep to be under way")
        for _ in range(4):
            with admin.connect() as connection:
                terminated += len(connection.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db "
                    "AND pid <> pg_backend_pid()"), {"db": database}).all())
            time.sleep(1.0)
    finally:
        admin.dispose()
    wait_until(lambda: _finished(db, sweep_id), 240, "the sweep to finish after the dropped connections")
    counts = stored_counts(db, sweep_id)
    record_counts("postgres_connections_dropped", {"expected": FAULT_SPEC_POINTS, "connections_terminated": terminated,
                                                   **counts})
    assert terminated > 0
    _assert_complete(counts)


def test_an_api_restart_keeps_progress_and_results(pg_settings, db, processes: Processes) -> None:
    """The API holds no state: kill -9 it mid-sweep, start another, and progress and results read the same."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes.worker(pg_settings, concurrency=1)
    api = processes.api(pg_settings, port)

    def up() -> bool:
        try:
            return httpx.get(f"{base}/api/sweeps", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, 60, "the API to start")
    created = httpx.post(f"{base}/api/sweeps", json=FAULT_SPEC, timeout=30)
    assert created.status_code == 201, created.text
    sweep_id = created.json()["id"]
    wait_until(lambda: httpx.get(f"{base}/api/sweeps/{sweep_id}", timeout=5).json()["done_points"] >= 40, 120,
               "the sweep to be under way")
    before = httpx.get(f"{base}/api/sweeps/{sweep_id}", timeout=5).json()
    kill_tree(api.pid)
    processes.api(pg_settings, port)
    wait_until(up, 60, "the API to come back")
    after = httpx.get(f"{base}/api/sweeps/{sweep_id}", timeout=5).json()
    assert after["done_points"] >= before["done_points"] and after["total_points"] == FAULT_SPEC_POINTS
    wait_until(lambda: httpx.get(f"{base}/api/sweeps/{sweep_id}", timeout=5).json()["status"] != "running"
               and httpx.get(f"{base}/api/sweeps/{sweep_id}", timeout=5).json()["status"] != "queued", 240,
               "the sweep to finish behind the restarted API")
    results = httpx.get(f"{base}/api/sweeps/{sweep_id}/results",
                        params={"columns": "point_index", "limit": 10_000}, timeout=30).json()
    counts = stored_counts(db, sweep_id)
    record_counts("api_restart", {"expected": FAULT_SPEC_POINTS, "done_before_restart": before["done_points"],
                                  "done_after_restart": after["done_points"], "results_total": results["total"],
                                  **counts})
    assert sorted(results["columns"]["point_index"]) == list(range(FAULT_SPEC_POINTS))
    _assert_complete(counts)


def _finish_after(factory, sweep_id: int, since: float, timeout_s: float, what: str) -> dict[str, float]:
    """Waits for the sweep to finish; returns when (after `since`) it first progressed and when it finished."""
    start_done = stored_counts(factory, sweep_id)["done_points"]
    progressed: float | None = None
    deadline = since + timeout_s
    while not _finished(factory, sweep_id):
        assert time.monotonic() < deadline, f"{what}: not done {timeout_s} s later: {stored_counts(factory, sweep_id)}"
        if progressed is None and stored_counts(factory, sweep_id)["done_points"] > start_done:
            progressed = time.monotonic()
        time.sleep(0.2)
    finished = time.monotonic()
    return {"first_progress_s": round((progressed or finished) - since, 1), "finished_s": round(finished - since, 1)}


def test_a_poison_value_is_refused_at_the_door_and_a_stored_one_still_ends(pg_settings, db,
                                                                          processes: Processes) -> None:
    """A wrong-typed value (`seq_len: "abc"`) is a 422 at the door now. A sweep stored with one anyway (by an older
    version) still ends: its points fail with a message, every good point is stored once, the sweep is `done`."""
    poison = {**FAULT_SPEC, "scenarios": [{"seq_len": 128}, {"seq_len": "abc"}]}
    with pytest.raises(ValueError, match=r"scenarios\.1\.seq_len\n  'abc' is not an integer"):
        SweepSpec.model_validate(poison)
    processes.worker(pg_settings, concurrency=2)
    jobs.install(db, create_celery(pg_settings), pg_settings.queue)
    with transaction(db) as session:  # stored as a valid spec, then poisoned before its chunks are published
        sweep = create_sweep(session, SweepSpec.model_validate({**FAULT_SPEC, "scenarios": [{"seq_len": 128},
                                                                                         {"seq_len": 512}]}),
                             pg_settings)
        sweep.spec = {**sweep.spec, "scenarios": poison["scenarios"]}
        sweep_id = sweep.id
    wait_until(lambda: _finished(db, sweep_id), 240, "the sweep with a poison value to finish")
    counts = stored_counts(db, sweep_id)
    with db() as session:
        errors = session.execute(select(DesignPoint.error, func.count()).where(DesignPoint.sweep_id == sweep_id)
                                 .group_by(DesignPoint.error)).all()
    record_counts("poison_value", {"expected": FAULT_SPEC_POINTS, "errors": {str(e): n for e, n in errors}, **counts})
    assert counts["status"] == "done"
    assert counts["stored_rows"] == counts["distinct_point_indices"] == FAULT_SPEC_POINTS, counts
    assert counts["done_points"] == counts["failed_points"] == FAULT_SPEC_POINTS // 2, counts
    assert counts["chunks_done"] + counts["chunks_failed"] == counts["chunks"], counts  # chunks of bad points fail
    by_error = dict(errors)
    assert by_error.pop(None) == FAULT_SPEC_POINTS // 2 and len(by_error) == 1, errors  # one message for the bad
    assert "seq_len" in next(iter(by_error)), errors


def test_a_25_s_database_outage_ends_with_every_point_stored_once(pg_settings, db, processes: Processes,
                                                                  database_outage: DatabaseOutage) -> None:
    """The worker's database goes away for 25 s mid-sweep (connections cut, new ones refused): chunks retry with
    backoff (1+2+4+8+16 s, DSE_DB_MAX_RETRIES=5) and the sweep completes once it is back, nothing lost or doubled."""
    worker_settings = pg_settings.model_copy(update={
        "database_url": database_outage.url(pg_settings.sqlalchemy_url)})
    processes.worker(worker_settings, concurrency=2)
    sweep_id = _submit(db, pg_settings)
    wait_until(lambda: stored_counts(db, sweep_id)["done_points"] >= 40, 120, "the sweep to be under way")
    database_outage.cut()
    at_cut = stored_counts(db, sweep_id)
    time.sleep(25)
    during = stored_counts(db, sweep_id)
    database_outage.restore()
    timings = _finish_after(db, sweep_id, time.monotonic(), 180, "after the database came back")
    counts = stored_counts(db, sweep_id)
    record_counts("postgres_outage_25s", {"expected": FAULT_SPEC_POINTS, "done_at_cut": at_cut["done_points"],
                                          "done_during_outage": during["done_points"], **timings, **counts})
    assert during["done_points"] == at_cut["done_points"]  # the outage was real: nothing was written meanwhile
    _assert_complete(counts)


def test_a_redis_restart_without_persistence_completes_within_a_minute(pg_settings, db, processes: Processes,
                                                                       volatile_redis: PrivateRedis) -> None:
    """Redis restarts empty (no persistence): the queued and unacknowledged chunk tasks are gone. The workers'
    lost-work watch sees queued chunks that nobody holds and queues them again within seconds."""
    settings = pg_settings.model_copy(update={"broker_url": volatile_redis.url})
    processes.worker(settings, concurrency=2)
    sweep_id = _submit(db, settings)
    wait_until(lambda: stored_counts(db, sweep_id)["done_points"] >= 60, 120, "the sweep to be under way")
    volatile_redis.stop()
    at_stop = stored_counts(db, sweep_id)
    volatile_redis.start()
    restarted = time.monotonic()
    timings = _finish_after(db, sweep_id, restarted, 60, "after Redis restarted empty")
    counts = stored_counts(db, sweep_id)
    record_counts("redis_restart_without_persistence", {"expected": FAULT_SPEC_POINTS,
                                                        "done_at_restart": at_stop["done_points"], **timings,
                                                        **counts})
    _assert_complete(counts)
