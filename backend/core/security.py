"""Browser-facing defences in one middleware: the Host check, CSRF on writes, and the security headers.

- **Host** (single-user mode): without sign-in, the API trusts whoever reaches it, so it answers only requests
  addressed to the bound host, localhost or `DSE_ALLOWED_HOSTS` (a DNS-rebinding page has another Host).
- **CSRF**: a write that does not carry `Authorization` (a browser's cookie, or single-user mode's nobody) must
  come from this origin (`Sec-Fetch-Site: same-origin`, else `Origin` equal to this host or `DSE_PUBLIC_URL`) and
  send JSON (or upload a file) when it sends a body. A bearer token is never attached by a browser on its own,
  so token writes pass.
- **Cross-origin reads**: so is an API read without `Authorization` (health, readiness and metrics aside): a page
  on another site, or on another port of this host (same-site: the Strict cookie rides along), must not make the
  server compute landscapes or exports with `<img>` tags, even if it cannot read the answer. A client that is not
  a browser sends no `Sec-Fetch-Site` and passes.
- **Headers**: a CSP of this origin only (no inline script), no framing, no MIME sniffing, no referrer beyond
  this origin, and `Cache-Control: no-store` on API answers (they may carry tokens and private results).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi import status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.settings import Settings

WRITE_METHODS = frozenset({b"POST", b"PUT", b"PATCH", b"DELETE"})
# Probes a monitor on any origin may read; every other API read may cost work (a landscape, an export, a recompute)
PUBLIC_READS = frozenset({"/api/health", "/api/ready", "/api/metrics"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Plotly's WebGL traces (scattergl, through regl) compile their shaders' glue with `new Function`, hence
# 'unsafe-eval'; its styles are injected at run time, hence 'unsafe-inline' for styles only. No inline script.
DASHBOARD_CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
                 "img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
                 "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# The API pages (backend/api/docs.py): Swagger UI starts from an inline script; both pages stay on this origin
# (ReDoc's sidebar would fetch a logo from cdn.redoc.ly: refused here, so no reader's visit is seen by a third party).
DOCS_CSP = DASHBOARD_CSP.replace("script-src 'self' 'unsafe-eval'", "script-src 'self' 'unsafe-inline'")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"same-origin"), (b"cross-origin-opener-policy", b"same-origin")]


def host_name(netloc: str) -> str:
    """'Example.org:8000' -> 'example.org', '[::1]:8000' -> '::1'."""
    return (urlsplit(f"//{netloc}").hostname or "").lower()


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.check_host = not settings.auth_required
        self.allowed_hosts = LOCAL_HOSTS | {settings.host.lower()} | {h.lower() for h in settings.allowed_hosts}
        self.public_origin = None
        if settings.public_url:
            public = urlsplit(settings.public_url)
            self.public_origin = f"{public.scheme}://{public.netloc}".lower()
            self.allowed_hosts |= {(public.hostname or "").lower()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        refusal = self._refusal(scope, headers, host)
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(HEADERS)
                if path.startswith("/api/"):
                    extra.append((b"cache-control", b"no-store"))
                csp = DOCS_CSP if path in ("/docs", "/redoc") else DASHBOARD_CSP
                extra.append((b"content-security-policy", csp.encode()))
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope, headers: dict[bytes, bytes], host: str) -> tuple[int, str] | None:
        if self.check_host and host_name(host) not in self.allowed_hosts:
            return (status.HTTP_421_MISDIRECTED_REQUEST,
                    f"this single-user server answers only requests for {', '.join(sorted(self.allowed_hosts))}; "
                    "add the name you use to DSE_ALLOWED_HOSTS, or run team mode (DSE_AUTH=required)")
        query = scope.get("query_string", b"").lower()
        if b"%00" in query or b"\x00" in query:
            return status.HTTP_422_UNPROCESSABLE_CONTENT, "a query cannot contain the NUL character (%00)"
        if b"authorization" in headers:
            return None
        if scope.get("method", "").encode() not in WRITE_METHODS:
            path: str = scope.get("path", "")
            if path.startswith("/api/") and path not in PUBLIC_READS:
                return self._cross_origin(headers, host, "a read")
            return None
        refusal = self._cross_origin(headers, host, "a write")
        if refusal is not None:
            return refusal
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # JSON, a file upload (a model's config.json) or CSV measurements (POST /api/calibrate) from this origin; no
        # form or plain-text body a page can forge (text/csv, like JSON, is not a type a cross-site page may send
        # without a preflight, which this server never grants)
        if content_type and content_type not in (b"application/json", b"multipart/form-data", b"text/csv"):
            return (status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                    "send the request body as JSON (Content-Type: application/json)")
        return None


    def _cross_origin(self, headers: dict[bytes, bytes], host: str, what: str) -> tuple[int, str] | None:
        """403 unless the request comes from this origin (or from no page: a typed URL, a script without a browser)."""
        fetch_site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
        origin = headers.get(b"origin", b"").decode("latin-1").lower()
        if fetch_site and fetch_site not in ("same-origin", "none"):
            return status.HTTP_403_FORBIDDEN, (f"{what} from another origin ({fetch_site}) is refused (CSRF): open "
                                               "the dashboard on this server, or send a bearer token")
        if origin and origin != self.public_origin and urlsplit(origin).netloc != host.lower():
            return status.HTTP_403_FORBIDDEN, (f"{what} from another origin ({origin[:100]}) is refused (CSRF): open "
                                               "the dashboard on this server, or send a bearer token")
        return None


async def _refuse(send: Send, code: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), (b"content-security-policy", DASHBOARD_CSP.encode()),
                            *HEADERS]})
    await send({"type": "http.response.body", "body": body})


def install(app, settings: Settings) -> None:
    app.add_middleware(SecurityMiddleware, settings=settings)
