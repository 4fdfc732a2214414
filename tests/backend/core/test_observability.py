"""`/api/metrics` in Prometheus format, request ids in headers and logs, and no secret in any log line."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.core.observability import JsonFormatter, RequestIdFilter
from tests.sweeps_support import DEMO_SPEC

pytestmark = pytest.mark.redis


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_count_requests_by_route_and_report_queue_and_sweeps(client) -> None:
    sweep_id = client.post("/api/sweeps", json=DEMO_SPEC).json()["id"]
    for _ in range(3):
        assert client.get(f"/api/sweeps/{sweep_id}").status_code == 200
    assert client.get("/api/sweeps/987654").status_code == 404
    response = client.get("/api/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    route = (("method", "GET"), ("route", "/api/sweeps/{sweep_id}"), ("status", "200"))
    assert samples[("dse_http_requests_total", route)] == 3  # the template, not one series per id
    assert samples[("dse_http_requests_total", (("method", "GET"), ("route", "/api/sweeps/{sweep_id}"),
                                                ("status", "404")))] == 1
    assert samples[("dse_http_request_duration_seconds_count", (("method", "GET"),
                                                                ("route", "/api/sweeps/{sweep_id}")))] == 4
    queue = client.app.state.settings.queue
    assert samples[("dse_queue_depth", (("queue", queue),))] == 4  # no worker: all four chunks wait
    assert samples[("dse_sweeps", (("status", "queued"),))] == 1
    assert ("dse_points_evaluated_total", ()) in samples and ("dse_points_per_second", ()) in samples


def test_every_response_carries_a_request_id_and_logs_carry_it_without_secrets(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="dse.request")
    given = client.get("/api/catalog", headers={"X-Request-ID": "abc-123", "Authorization": "Bearer s3cr3t-token"})
    assert given.headers["x-request-id"] == "abc-123"
    fresh = client.get("/api/catalog?token=s3cr3t-query", headers={"X-Request-ID": "bad id\nwith newline"})
    assert len(fresh.headers["x-request-id"]) == 32 and "\n" not in fresh.headers["x-request-id"]
    records = [r for r in caplog.records if r.name == "dse.request"]
    assert [r.request_id for r in records[-2:]] == ["abc-123", fresh.headers["x-request-id"]]
    formatter = JsonFormatter()
    RequestIdFilter().filter(records[-1])
    lines = [json.loads(formatter.format(record)) for record in records[-2:]]
    assert lines[0]["route"] == "/api/catalog" and lines[0]["status"] == 200 and lines[0]["duration_ms"] >= 0
    assert "s3cr3t" not in caplog.text and not any("s3cr3t" in json.dumps(line) for line in lines)
