"""Request ids, structured (JSON) logs and Prometheus metrics at `/api/metrics`.

Every request gets an id (the caller's `X-Request-ID` when it is a short token, else a fresh one), returned
in the response header and attached to every log record written while the request runs. One log line per
request says method, route, status and milliseconds — never headers, query strings or bodies, so no token
or secret reaches a log.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = logging.getLogger("dse.request")

# Latency buckets from a cached page (~1 ms) to an export of a large sweep (tens of seconds).
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any `extra` fields."""

    _STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        entry.update({key: value for key, value in record.__dict__.items()
                      if key not in self._STANDARD and key != "request_id"})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.INFO, structured: bool = True) -> None:
    """Root logging for a server process: JSON lines with request ids (or the plain format)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if structured else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class Metrics:
    """The app's own registry (one per app, so several apps in one process never collide)."""

    def __init__(self, collectors: tuple[Any, ...] = ()) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("dse_http_requests", "HTTP requests by route and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("dse_http_request_duration_seconds", "Time to the last byte of the response.",
                                 ["method", "route"], buckets=LATENCY_BUCKETS_S, registry=self.registry)
        for collector in collectors:  # read at each scrape (the sweeps domain's state, say)
            self.registry.register(collector)


class RequestContextMiddleware:
    """Pure ASGI (streams pass through untouched): request id, one log line and the metrics per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            # Route templates, never raw paths: one series per endpoint, whatever the ids.
            route = getattr(scope.get("route"), "path", None) or (
                "unmatched" if scope["path"].startswith("/api/") else "static")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            log.info("%s %s %d %.1f ms", method, route, status, elapsed * 1000,
                     extra={"request_id": request_id, "method": method, "route": route, "status": status,
                            "duration_ms": round(elapsed * 1000, 2)})
            request_id_var.reset(token)


router = APIRouter(tags=["health"])


@router.get("/api/metrics", summary="Prometheus metrics: requests, latency, queue depth, sweeps, points/s",
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI, collectors: tuple[Any, ...] = ()) -> None:
    """Metrics registry (with the given collectors), the `/api/metrics` route and the request middleware (outermost,
    so it times everything)."""
    app.state.metrics = Metrics(collectors)
    app.include_router(router)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
