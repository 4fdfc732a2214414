"""Authentication before the body: in team mode a write to the API is refused (401) before any byte of its body is
read or parsed, so an anonymous client costs no parsing, whatever it sends.

The routes authenticate again through `get_principal` (one indexed lookup): the gate only decides whether the body
is read at all. Signing in (`POST /api/session`, whose body is the token) and signing out pass.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

from anyio import to_thread
from fastapi import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.accounts.auth import SESSION_COOKIE, resolve
from backend.core.settings import Settings

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC_WRITES = frozenset({"/api/session"})


def _cookie(header: bytes | None) -> str | None:
    if not header:
        return None
    morsel = SimpleCookie(header.decode("latin-1")).get(SESSION_COOKIE)
    return morsel.value if morsel is not None else None


class AuthenticateWritesMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (scope["type"] != "http" or scope.get("method") not in WRITE_METHODS or not path.startswith("/api/")
                or path in PUBLIC_WRITES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1") or None
        cookie = _cookie(headers.get(b"cookie"))

        def check() -> None:
            with scope["app"].state.session_factory() as session:
                resolve(session, self.settings, authorization, cookie)

        try:
            await to_thread.run_sync(check)
        except HTTPException as error:
            body = json.dumps({"detail": error.detail}).encode()
            await send({"type": "http.response.start", "status": error.status_code, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                *((name.lower().encode(), value.encode()) for name, value in (error.headers or {}).items())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def install(app, settings: Settings) -> None:
    """Team mode only: a single-user server has nobody to authenticate."""
    if settings.auth_required:
        app.add_middleware(AuthenticateWritesMiddleware, settings=settings)
