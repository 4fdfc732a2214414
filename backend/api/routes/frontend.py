"""Vendored browser libraries for the dashboard, served from installed Python packages (no CDN, no network).

Plotly.js comes from the `plotly` wheel's `package_data/plotly.min.js`. It is ~4.8 MB, so it is gzipped once
in memory and served with a versioned URL and an immutable cache header: a browser downloads it once.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import plotly
from fastapi import APIRouter, Request, Response

router = APIRouter(tags=["frontend"], include_in_schema=False)

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
PLOTLY_URL = f"/vendor/plotly-{plotly.__version__}.min.js"
_IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=1)
def _plotly_bytes() -> tuple[bytes, bytes]:
    raw = PLOTLY_JS.read_bytes()
    return raw, gzip.compress(raw, compresslevel=6, mtime=0)


@router.get("/vendor/plotly.js")
def plotly_current() -> Response:
    """An unversioned alias that redirects to the versioned file (cacheable forever)."""
    return Response(status_code=307, headers={"Location": PLOTLY_URL, "Cache-Control": "no-cache"})


@router.get(PLOTLY_URL)
def plotly_js(request: Request) -> Response:
    raw, compressed = _plotly_bytes()
    headers = {"Cache-Control": _IMMUTABLE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(compressed, media_type="text/javascript", headers=headers)
    return Response(raw, media_type="text/javascript", headers=headers)
