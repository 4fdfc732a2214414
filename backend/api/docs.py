"""The API browser (`/docs`, Swagger UI) and reference (`/redoc`) from assets served by this server.

FastAPI's own pages load Swagger UI, ReDoc and Google Fonts from CDNs: blank on an offline machine, and a request
to a third party from every reader. The assets come from the `fastapi-offline` wheel instead.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/vendor/api-docs"


def install(app: FastAPI) -> None:
    """Serve the two pages (the app must be created with `docs_url=None, redoc_url=None`)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="api-docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{title} — API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            # no validator badge: it would send the spec's URL to validator.swagger.io
            swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": False})

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{title} — API reference",
                              redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_URL}/favicon.png", with_google_fonts=False)
