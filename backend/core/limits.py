"""Limits that keep one client from hurting the others: request body size and sweep creations per minute.

The body check also refuses a NUL character (`\\u0000` in JSON): no database text holds one (PostgreSQL refuses
it with a driver error), so it is bad input, said as such before any route runs. And it refuses JSON nested deeper
than MAX_JSON_DEPTH before anything parses it: Python's parser recurses per level (~990 levels, 2 KB, raised a
RecursionError, a 500), and no request of this API nests beyond a dozen.

Both answer with a clear 4xx (`{"detail": ...}`): 413 names the limit, 429 says when to retry (also in
`Retry-After`). Page sizes are capped where the pages are declared (`limit` query parameters).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque

import numpy as np
from fastapi import HTTPException, Request, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH = 64
# A sweep's spec as stored with it; a library definition has the same cap, since a sweep copies it into its spec.
MAX_SPEC_BYTES = 256 * 1024
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(text: bytes) -> int:
    """How deep a JSON text nests (arrays and objects), without parsing it: strings are blanked, the brackets left
    are counted (linear time, no recursion; a malformed text may read deeper than it is, never shallower)."""
    brackets = _JSON_STRING.sub(b"", text).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    opens = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((opens == ord("[")) | (opens == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


def too_deep(text: bytes) -> str | None:
    """The refusal for JSON nested beyond MAX_JSON_DEPTH, else None."""
    if json_depth(text) > MAX_JSON_DEPTH:
        return f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused (no request needs more)"
    return None


class BodySizeLimitMiddleware:
    """Refuses bodies above `max_bytes` from the Content-Length header, or while a chunked body streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send) -> None:
        await _send_json(send, status.HTTP_413_CONTENT_TOO_LARGE,
                         f"request body larger than {self.max_bytes:,} bytes (DSE_MAX_BODY_BYTES)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        # Read the body before the app does (it is at most max_bytes): a chunked body over the cap is refused
        # before any route sees a byte, and the app gets the same body back.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        refusal = _refusal(scope, bytes(body))
        if refusal is not None:
            await _send_json(send, status.HTTP_422_UNPROCESSABLE_CONTENT, refusal)
            return
        await self.app(scope, _replay({"type": "http.request", "body": bytes(body), "more_body": False}, receive),
                       send)


def _refusal(scope: Scope, body: bytes) -> str | None:
    """NUL characters anywhere; JSON too deep (any body but an upload or CSV, which are parsed where they land)."""
    if b"\\u0000" in body or b"\x00" in body:
        return "text cannot contain the NUL character (\\u0000)"
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"").split(b";")[0].strip().lower()
    if content_type in (b"multipart/form-data", b"text/csv"):
        return None
    return too_deep(body)


async def _send_json(send: Send, code: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _replay(first: Message, receive: Receive) -> Receive:
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


class RateLimiter:
    """At most `per_minute` events per key in any 60 s window (in memory: per API process)."""

    WINDOW_S = 60.0

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        """Records one event for `key`; returns 0 when allowed, else the seconds until one is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.WINDOW_S:
                events.popleft()
            if len(events) >= self.per_minute:
                return events[0] + self.WINDOW_S - now
            events.append(now)
            return 0.0


def client_key(request: Request) -> str:
    """Who is creating: the signed-in user when there is one, else the client's address."""
    user = getattr(request.state, "user", None)
    if user is not None:
        return f"user:{user.name}"
    return f"addr:{request.client.host if request.client else 'unknown'}"


def _limit(request: Request, limiter: RateLimiter, what: str, setting: str) -> None:
    wait_s = limiter.check(client_key(request))
    if wait_s > 0:
        retry = max(1, math.ceil(wait_s))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(retry)},
                            detail=f"at most {limiter.per_minute} {what} per minute ({setting}); retry in {retry} s")


def limit_sweep_creation(request: Request) -> None:
    """`POST /api/sweeps`: 429 with Retry-After past DSE_SWEEPS_PER_MINUTE."""
    _limit(request, request.app.state.sweep_rate_limiter, "sweeps", "DSE_SWEEPS_PER_MINUTE")


def limit_evaluations(request: Request) -> None:
    """`POST /api/sweeps/estimate` and `POST /api/simulate` (each costs CPU in the request): 429 past
    DSE_EVALUATIONS_PER_MINUTE."""
    _limit(request, request.app.state.evaluation_rate_limiter, "estimates and simulations",
           "DSE_EVALUATIONS_PER_MINUTE")


def install(app, max_body_bytes: int, sweeps_per_minute: int, evaluations_per_minute: int) -> None:
    app.state.sweep_rate_limiter = RateLimiter(sweeps_per_minute)
    app.state.evaluation_rate_limiter = RateLimiter(evaluations_per_minute)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
