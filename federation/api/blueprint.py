"""The REST API blueprint and what every request shares: authentication, JSON
bodies and query strings shaped by marshmallow, JSON replies.

Errors are raised as domain exceptions and rendered once, as problem JSON, by
``federation.web.problems``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, ValidationError
from werkzeug.http import parse_options_header

from federation.domain.errors import BadRequestError, FederationError, UnprocessableError
from federation.web.auth import current_viewer

JSON_MEDIA_TYPE = "application/json"

api = Blueprint("api", __name__, url_prefix="/api/v1")


class UnsupportedMediaTypeError(FederationError):
    status = 415
    title = "Unsupported media type"


@api.before_request
def _authenticate() -> None:
    # Authentication first: an anonymous caller learns nothing about the body rules.
    current_viewer()
    if request.method in ("POST", "PUT", "PATCH"):
        mime, _ = parse_options_header(request.headers.get("Content-Type", ""))
        if mime.lower() != JSON_MEDIA_TYPE:
            raise UnsupportedMediaTypeError(f"send the body as {JSON_MEDIA_TYPE}")


def load_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON body, shaped by ``schema``: 400 if it is not JSON, 422 if
    it does not fit (``errors`` names each field)."""
    try:
        data = json.loads(request.get_data(cache=False) or b"")
    except (ValueError, RecursionError):
        raise BadRequestError("the body is not valid JSON") from None
    return _load(schema, data, "body")


def load_query(schema: Schema) -> dict[str, Any]:
    """The query string, shaped by ``schema`` (422 naming unknown or bad parameters)."""
    return _load(schema, request.args.to_dict(), "query string")


def _load(schema: Schema, data: object, where: str) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(data)  # type: ignore[arg-type]
    except ValidationError as error:
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        raise UnprocessableError(f"the {where} is invalid", details=messages) from None
    return loaded


def reply(schema: Schema, data: object, status: int = 200, location: str | None = None) -> Response:
    """``data`` dumped by ``schema`` as a JSON response."""
    response = current_app.response_class(
        json.dumps(schema.dump(data)), status=status, content_type=JSON_MEDIA_TYPE
    )
    if location:
        response.headers["Location"] = location
    return response


def no_content() -> Response:
    """An empty 204 response."""
    return current_app.response_class(status=204)
