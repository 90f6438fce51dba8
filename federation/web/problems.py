"""Problem details (RFC 9457): the error shape of everything outside TAXII."""

from __future__ import annotations

import logging

from flask import Response, current_app, json
from werkzeug.exceptions import HTTPException

from federation.domain.errors import FederationError

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("federation.api")


def render_problem(error: Exception) -> Response:
    """A problem+json body for any exception, 500 included."""
    body: dict[str, object]
    if isinstance(error, FederationError):
        body = {"title": error.title, "status": error.status, "detail": error.description}
        if error.details:
            body["errors"] = error.details
    elif isinstance(error, HTTPException):
        code = error.code or 500
        body = {"title": error.name, "status": code, "detail": error.description or error.name}
    else:
        log.exception("unhandled error")
        body = {"title": "Internal error", "status": 500, "detail": "the server failed"}
    status = int(str(body["status"]))
    response = current_app.response_class(
        json.dumps({"type": "about:blank", **body}), status=status, content_type=PROBLEM_MEDIA_TYPE
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="federation"'
    if isinstance(error, HTTPException):
        # Keep what the client needs to recover, such as Allow on a 405
        # (RFC 9110 section 15.5.6), but not the HTML error page's type.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response
