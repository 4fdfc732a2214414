"""The chunk task's retry policy on database errors: exponential backoff, then a cap that fails the chunk."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from backend.core.broker import create_celery
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.settings import Settings
from backend.migrate import upgrade
from backend.models import Sweep
from backend.sweeps import jobs
from backend.sweeps.service import create_sweep
from backend.sweeps.spec import SweepSpec
from tests.sweeps_support import DEMO_SPEC
from workers.celery_app import app
from workers.tasks import run_chunk_task

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("max_retries", [0, 2])
def test_database_errors_retry_up_to_the_cap_then_fail_the_chunk(tmp_path: Path, max_retries: int, redis_url: str,
                                                                  queue_name: str) -> None:
    url = f"sqlite:///{tmp_path / 'dse.sqlite3'}"
    upgrade(url)
    settings = Settings(database_url=url, broker_url=redis_url, queue=queue_name, chunk_size=10,
                        db_max_retries=max_retries, demo_sweep=False)
    saved = {"dse_settings": app.conf.dse_settings, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(dse_settings=settings, task_always_eager=True)  # retries run in-process, one after another
    try:
        _run_and_check(url, settings, max_retries)
    finally:
        app.conf.update(saved)


def _run_and_check(url: str, settings: Settings, max_retries: int) -> None:
    factory = jobs.install(make_session_factory(make_engine(url)), create_celery(settings), settings.queue)
    with transaction(factory) as session:
        sweep_id = create_sweep(session, SweepSpec.model_validate({**DEMO_SPEC, "axes": {"rows": [8]}}), settings).id
        session.execute(text("ALTER TABLE design_points RENAME TO design_points_gone"))  # every insert fails

    result = run_chunk_task.apply(args=[sweep_id, 0])
    assert result.get() == "failed"
    with factory() as session:
        sweep = session.get(Sweep, sweep_id)
        assert (sweep.status, sweep.chunks_failed, sweep.failed_points) == ("failed", 1, 2)
        assert f"database error after {max_retries} retries (OperationalError" in sweep.error
        assert "design_points" not in sweep.error  # the driver's text (tables, hosts) stays in the worker's log
        attempts = session.execute(text("SELECT attempts FROM sweep_chunks")).scalar_one()
        assert attempts == max_retries + 1
