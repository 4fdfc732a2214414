"""Health: a real round trip to each part (a query, a broker ping, a Celery worker ping)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from backend.api.deps import CeleryDep, SessionDep
from backend.core.broker import ping_workers

router = APIRouter(tags=["health"])


class PartHealth(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: str  # "ok" when every part is up, else "degraded"
    database: PartHealth
    broker: PartHealth
    workers: PartHealth


def _check_database(session: SessionDep) -> PartHealth:
    try:
        session.execute(text("SELECT 1")).scalar_one()
        return PartHealth(ok=True, detail=session.get_bind().dialect.name)
    except Exception as error:  # noqa: BLE001 - any failure means the part is down
        return PartHealth(ok=False, detail=f"{type(error).__name__}: {error}")


def _check_broker(celery: CeleryDep) -> PartHealth:
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            client = connection.default_channel.client
            client.ping()
        return PartHealth(ok=True, detail="redis")
    except Exception as error:  # noqa: BLE001
        return PartHealth(ok=False, detail=f"{type(error).__name__}: {error}")


def _check_workers(celery: CeleryDep) -> PartHealth:
    try:
        names = ping_workers(celery, timeout_s=1.0)
    except Exception as error:  # noqa: BLE001
        return PartHealth(ok=False, detail=f"{type(error).__name__}: {error}")
    if not names:
        return PartHealth(ok=False, detail="no worker answered a ping; start one with `dse worker`")
    return PartHealth(ok=True, detail=f"{len(names)} worker(s): {', '.join(names)}")


@router.get("/api/health", response_model=Health)
async def health(session: SessionDep, celery: CeleryDep, response: Response) -> Health:
    database = await run_in_threadpool(_check_database, session)
    broker = await run_in_threadpool(_check_broker, celery)
    workers = await run_in_threadpool(_check_workers, celery) if broker.ok else PartHealth(
        ok=False, detail="broker is down"
    )
    all_ok = database.ok and broker.ok and workers.ok
    if not all_ok:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status="ok" if all_ok else "degraded", database=database, broker=broker, workers=workers)
