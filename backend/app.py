"""The FastAPI application factory: one app per Settings, its engine and Celery app kept on app.state."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from backend.accounts import gate
from backend.accounts import routes as accounts
from backend.api import docs, openapi
from backend.api.routes import calibrate, health, mappings, presets, serving, validate
from backend.api.routes import frontend as frontend_routes
from backend.api.routes.health import ReadinessProbe
from backend.core import errors, limits, observability, quotas, response_budget, security
from backend.core.broker import create_celery
from backend.core.db import make_engine, make_session_factory
from backend.core.settings import Settings, get_settings
from backend.library import routes as library
from backend.library.schemas import ModelIn
from backend.sweeps import jobs
from backend.sweeps import routes as sweeps
from backend.sweeps.metrics import SweepsCollector
from backend.sweeps.spec import SweepSpec
from frontend import STATIC_DIR


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Transformer DSE",
        summary="Design-space exploration of Transformer inference on DNN accelerators.",
        version="0.1.0",
        docs_url=None,  # served from local assets by backend/api/docs.py
        redoc_url=None,
    )
    engine = make_engine(settings.sqlalchemy_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.celery = create_celery(settings)
    app.state.session_factory = jobs.install(make_session_factory(engine), app.state.celery, settings.queue)
    app.state.readiness = ReadinessProbe(settings, app.state.celery)
    app.include_router(health.router)
    app.include_router(sweeps.router)
    app.include_router(sweeps.points_router)
    app.include_router(sweeps.templates_router)
    app.include_router(presets.router)
    app.include_router(accounts.router)
    app.include_router(library.router)
    app.include_router(calibrate.router)
    app.include_router(mappings.router)
    app.include_router(validate.router)
    app.include_router(serving.router)
    errors.install(app)
    openapi.install(app, body_models=(SweepSpec, ModelIn, calibrate.CalibrateIn, validate.ValidateIn))
    docs.install(app)
    app.include_router(frontend_routes.router)
    # Columnar results for 10^5 points are megabytes of JSON; gzip cuts them ~4x for the dashboard.
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)
    limits.install(app, settings.max_body_bytes, settings.sweeps_per_minute, settings.evaluations_per_minute)
    quotas.install(app, settings.work_per_user, settings.work_total, settings.work_seconds_per_minute,
                   settings.work_wait_s)
    response_budget.install(app, settings.response_budget_bytes, settings.work_wait_s)
    gate.install(app, settings)  # team mode: a write is authenticated before its body is read
    security.install(app, settings)  # Host, CSRF and headers: before any body is read, on every answer
    # request ids, logs and /api/metrics around everything (gzip included)
    observability.install(app, collectors=(SweepsCollector(app),))
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="frontend")
    return app
