"""The sweeps domain's Prometheus metrics, read at each scrape: queue depth, sweeps by status, points and speed."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select

from backend.models import Sweep, SweepStatus
from backend.sweeps.service import progress


class SweepsCollector:
    """Queue depth from the broker, sweeps and points from the database (of one app)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        state = self.app.state
        queue = state.settings.queue
        depth = GaugeMetricFamily("dse_queue_depth", "Chunk tasks waiting in the broker queue.", labels=["queue"])
        try:
            with state.celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
                client = connection.default_channel.client
                # Kombu keeps one Redis list per priority step: the queue's name, then name\x06\x16<step>.
                keys = [queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9))]
                depth.add_metric([queue], float(sum(client.llen(key) for key in keys)))
        except Exception:  # noqa: BLE001 - a broker that is down has no depth to report; health says why
            pass
        yield depth
        sweeps = GaugeMetricFamily("dse_sweeps", "Sweeps by status.", labels=["status"])
        points = CounterMetricFamily("dse_points_evaluated", "Design points evaluated (stored or failed), all sweeps.")
        speed = GaugeMetricFamily("dse_points_per_second", "Summed evaluation speed of the running sweeps.")
        try:
            with state.session_factory() as session:
                for status, count in session.execute(select(Sweep.status, func.count()).group_by(Sweep.status)):
                    sweeps.add_metric([status], float(count))
                evaluated = session.execute(select(func.coalesce(
                    func.sum(Sweep.done_points + Sweep.failed_points), 0))).scalar_one()
                points.add_metric([], float(evaluated))
                running = session.execute(select(Sweep).where(Sweep.status == SweepStatus.RUNNING)).scalars()
                speed.add_metric([], float(sum(progress(sweep).points_per_s or 0.0 for sweep in running)))
        except Exception:  # noqa: BLE001 - likewise for a database that is down
            return
        yield sweeps
        yield points
        yield speed
