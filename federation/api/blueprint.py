"""The REST API blueprint and what every request shares: authentication, JSON
bodies and query strings shaped by marshmallow, JSON replies.

Hostile input is refused here, once, for every endpoint (DESIGN.md invariant 7):
text no database can store (NUL characters, unpaired surrogates), ids beyond
what a column holds, JSON nested past any real request, duplicated keys and
parameters. Errors are raised as domain exceptions and rendered once, as problem
JSON, by ``federation.web.problems``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from federation.api.schemas import INT32_MAX, NoParameters
from federation.domain.errors import (
    BadRequestError,
    FederationError,
    NotFoundError,
    UnprocessableError,
)
from federation.domain.text import storable_text
from federation.web.auth import current_viewer
from federation.web.media import media_type

JSON_MEDIA_TYPE = "application/json"
View = TypeVar("View", bound=Callable[..., Response])
# Our request bodies nest two levels; anything far deeper is an attack on the
# parser or the encoder, not a request.
MAX_BODY_DEPTH = 32
_UNSTORABLE = "Must not contain NUL characters or unpaired surrogates."

api = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")
# Views that answer without credentials: only the descriptions of the API.
_public_views: set[str] = set()


class UnsupportedMediaTypeError(FederationError):
    status = 415
    title = "Unsupported media type"


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def public(view: View) -> View:
    """Serve ``view`` without authentication (put it under the route decorator)."""
    _public_views.add(f"{api.name}.{view.__name__}")
    return view


def is_public(endpoint: str) -> bool:
    """Whether the view registered as ``endpoint`` answers without credentials."""
    return endpoint in _public_views


@api.before_request
def _authenticate() -> None:
    # Authentication first: an anonymous caller learns nothing about the body rules.
    if not is_public(request.endpoint or ""):
        current_viewer()
    _check_path()
    if request.method in ("POST", "PUT", "PATCH"):
        if media_type(request.headers.get("Content-Type")).essence != JSON_MEDIA_TYPE:
            raise UnsupportedMediaTypeError(f"send the body as {JSON_MEDIA_TYPE}")
        # Before any view looks the resource up: an oversized body is refused
        # for its size, whatever it is sent to.
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None and (request.content_length or 0) > limit:
            raise RequestEntityTooLarge()


def _check_path() -> None:
    # No resource is named by a NUL or by an id no key column holds; both would
    # fail deep in a query (PostgreSQL refuses NUL in text and casts ids to
    # 32-bit INTEGER), so they are absent here.
    if not storable_text(request.path):
        raise NotFoundError("no such resource")
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and value > INT32_MAX:
            raise NotFoundError("no such resource")
        if isinstance(value, str) and not storable_text(value):
            raise NotFoundError("no such resource")


def load_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON body, shaped by ``schema``: 400 if it is not JSON or
    nests too deep, 422 if it does not fit (``errors`` names each field).

    An operation with a body takes all its input there, so any query
    parameter is unknown: ignoring it would let a typo pass unnoticed.
    """
    load_query(NoParameters())
    try:
        data = json.loads(
            request.get_data(cache=False) or b"",
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constant,
        )
    except _DuplicateKeyError as error:
        raise UnprocessableError(
            "the body gives a field more than once",
            details={_field_name(error.key): ["Given more than once."]},
        ) from None
    except (ValueError, RecursionError):
        raise BadRequestError("the body is not valid JSON") from None
    _check_body_text(data)
    return _load(schema, data, "body")


def load_query(schema: Schema) -> dict[str, Any]:
    """The query string, shaped by ``schema`` (422 naming unknown, repeated or bad parameters)."""
    problems: dict[str, list[str]] = {}
    for key, values in request.args.lists():
        if len(values) > 1:
            problems.setdefault(_field_name(key), []).append("Give this parameter once.")
        if not storable_text(key) or not all(storable_text(value) for value in values):
            problems.setdefault(_field_name(key), []).append(_UNSTORABLE)
    if problems:
        raise UnprocessableError("the query string is invalid", details=dict(problems))
    return _load(schema, request.args.to_dict(), "query string")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Which of two values for one key counts differs between parsers; refuse
    # the ambiguity rather than pick one silently.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_body_text(data: object) -> None:
    """422 naming the top-level field that holds unstorable text; 400 past
    :data:`MAX_BODY_DEPTH`. Iterative, so no nesting can exhaust the stack."""
    stack: list[tuple[object, str, int]] = [(data, "_schema", 0)]
    while stack:
        value, field, depth = stack.pop()
        if depth > MAX_BODY_DEPTH:
            raise BadRequestError(f"the body nests deeper than {MAX_BODY_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                name = _field_name(key) if depth == 0 else field
                if not storable_text(key):
                    _unstorable(name)
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, field, depth + 1) for item in value)
        elif isinstance(value, str) and not storable_text(value):
            _unstorable(field)


def _unstorable(field: str) -> None:
    raise UnprocessableError(
        "the body holds text that cannot be stored", details={field: [_UNSTORABLE]}
    )


def _field_name(key: str) -> str:
    # A name that is itself unstorable cannot be echoed back faithfully.
    return key if storable_text(key) else "_schema"


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
