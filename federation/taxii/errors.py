"""TAXII error messages (TAXII 2.1 section 3.6.1), the one wire shape for TAXII errors."""

from __future__ import annotations

import logging

from flask import Response, current_app, json
from werkzeug.exceptions import HTTPException

from federation.domain.errors import FederationError
from federation.taxii.media import TAXII_MEDIA_TYPE

log = logging.getLogger("federation.taxii")


def render_error(error: Exception) -> Response:
    """A TAXII error message for any exception, 500 included."""
    if isinstance(error, FederationError):
        status, title, description = error.status, error.title, error.description
        details = error.details
    elif isinstance(error, HTTPException):
        status = error.code or 500
        title = error.name
        description = error.description or error.name
        details = {}
    else:
        log.exception("unhandled error")
        status, title = 500, "Internal error"
        description = "the server failed; the request id in X-Request-ID identifies it in the logs"
        details = {}
    body: dict[str, object] = {
        "title": title,
        "description": description,
        "http_status": str(status),
    }
    if details:
        body["details"] = details
    response = current_app.response_class(
        json.dumps(body), status=status, content_type=TAXII_MEDIA_TYPE
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="federation", charset="UTF-8"'
    if status == 405 and isinstance(error, HTTPException):
        allowed = error.get_headers()
        for key, value in allowed:
            if key.lower() == "allow":
                response.headers["Allow"] = value
    return response
