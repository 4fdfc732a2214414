"""The OpenAPI document says what the API really answers: errors are `{"detail": ...}` with a message (422 from
our own checks carries a string, 422 from FastAPI's validation a list), 401/403 in team mode, 404 for an id
that does not exist, 409 for a state that forbids the action, 503 from a degraded health check, and the limits'
413 and 429.

Schemathesis checks every response against this document, so the document must be complete.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

ERROR_SCHEMA = {
    "title": "Error", "type": "object", "required": ["detail"],
    "properties": {"detail": {"title": "Detail", "anyOf": [
        {"type": "string"}, {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}]}},
}
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}

# answered without sign-in, for probes and scrapers
PUBLIC = {"/api/health", "/api/ready", "/api/metrics", "/api/session"}
# accounts, tokens and sessions: team mode only (404 in single-user mode)
TEAM_ONLY_PREFIXES = ("/api/users", "/api/tokens", "/api/session")
# (method, path) -> extra status codes beyond 404 for path ids; "*" applies to every operation of a method.
EXTRA_ERRORS: dict[tuple[str, str], dict[str, str]] = {
    ("post", "/api/sweeps/{sweep_id}/cancel"): {"409": "The sweep is already finished."},
    ("delete", "/api/sweeps/{sweep_id}"): {"409": "The sweep is still queued or running; cancel it first."},
    ("post", "*"): {"413": "The request body is larger than the server accepts."},
    ("post", "/api/sweeps"): {"429": "Too many sweeps created recently; retry after the given seconds."},
    ("post", "/api/calibrate"): {"415": "The body is neither text/csv nor JSON.",
                                 "429": "Too many evaluations recently; retry after the given seconds."},
    ("post", "/api/users"): {"409": "A user of that name exists."},
    ("post", "/api/session"): {"401": "Invalid or revoked token."},
}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the error answers every operation can give (pure: a schema in, the same schema completed out)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    if "HTTPValidationError" in components:
        components["HTTPValidationError"] = {**ERROR_SCHEMA, "title": "HTTPValidationError"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            extra: dict[str, str] = {}
            if path not in PUBLIC:
                extra["401"] = "Team mode: no valid `Authorization: Bearer <token>`."
                if method != "get" or path.startswith("/api/users"):
                    extra["403"] = "The signed-in user's role does not allow this."
            if "{" in path:
                extra["404"] = "No such object."
            if path.startswith(TEAM_ONLY_PREFIXES):
                extra["404"] = "Single-user mode: accounts exist in team mode only." + (
                    " Or no such object." if "{" in path else "")
            extra.update(EXTRA_ERRORS.get((method, "*"), {}))
            extra.update(EXTRA_ERRORS.get((method, path), {}))
            if operation.get("parameters") or operation.get("requestBody"):
                extra.setdefault("422", "The input is invalid; `detail` says how.")
            for code, description in extra.items():
                responses.setdefault(code, {"description": description, **_ERROR})
    health = schema.get("paths", {}).get("/api/ready", {}).get("get")
    if health:
        ok = health["responses"]["200"]
        health["responses"]["503"] = {"description": "A part is down (the body says which).",
                                      "content": ok.get("content", {})}
    return schema


@cache
def descriptions() -> dict[str, str]:
    """What each operation does ("METHOD path" -> text), kept as data in operations.yaml."""
    return yaml.safe_load((Path(__file__).with_name("operations.yaml")).read_text())


def described(schema: dict[str, Any]) -> dict[str, Any]:
    """Gives operations without a description of their own the one in operations.yaml."""
    texts = descriptions()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            text = texts.get(f"{method.upper()} {path}")
            if text and not operation.get("description"):
                operation["description"] = text
    return schema


@cache
def examples() -> dict[str, Any]:
    """A working request body per operation ("METHOD path" -> body), kept as data in examples.yaml; an operation that
    takes bodies of several shapes has a list of named ones (`summary`, `value`)."""
    return yaml.safe_load((Path(__file__).with_name("examples.yaml")).read_text())


def exemplified(schema: dict[str, Any]) -> dict[str, Any]:
    """Puts each operation's example on its JSON request body, so /docs' "Try it out" starts from a valid request
    (several named ones as `examples`, which Swagger offers in a menu; OpenAPI allows `example` or `examples`)."""
    bodies = examples()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            body = bodies.get(f"{method.upper()} {path}")
            content = operation.get("requestBody", {}).get("content", {})
            if body is None or "application/json" not in content:
                continue
            if isinstance(body, list):
                content["application/json"]["examples"] = {
                    f"example-{number}": named for number, named in enumerate(body, start=1)}
            else:
                content["application/json"]["example"] = body
    return schema


def with_models(schema: dict[str, Any], models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    """Adds request bodies that routes read themselves (a spec completed from the library, an upload that may be
    JSON or multipart) to the components their `openapi_extra` refers to."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(generated.pop("$defs", {}))
        components[model.__name__] = generated
    return schema


def install(app: FastAPI, body_models: tuple[type[BaseModel], ...] = ()) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = exemplified(described(document(with_models(get_openapi(
                title=app.title, version=app.version, summary=app.summary, description=app.description,
                routes=app.routes), body_models))))
        return app.openapi_schema

    app.openapi = openapi
