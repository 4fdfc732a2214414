"""One reader of a measurements request body (`POST /api/calibrate`, `POST /api/validate`): a text/csv body whose
settings come as query parameters, or a JSON body; errors are the 4xx a person can act on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

Body = TypeVar("Body", bound=BaseModel)


async def measurements_body(request: Request, model: type[Body], from_csv: Callable[[str], dict[str, Any]]) -> Body:
    """The request's body as `model`: `from_csv(text)` turns a CSV body and the query's settings into its fields."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "text/csv":
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the CSV is not UTF-8 text") from None
        data: Any = from_csv(text)
    elif content_type in ("application/json", ""):
        try:
            data = await request.json()
        except ValueError:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the body is not valid JSON") from None
    else:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            "send the measurements as text/csv or as JSON (Content-Type: application/json)")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from None
