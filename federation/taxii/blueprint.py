"""The TAXII blueprint and what every TAXII request shares: auth and negotiation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, json, request

from federation.domain.errors import BadRequestError, NotFoundError
from federation.taxii.media import TAXII_MEDIA_TYPE, check_accept, check_content_type
from federation.web.auth import current_viewer

taxii = Blueprint("taxii", __name__, url_prefix="/taxii2")


@taxii.before_request
def _authenticate_and_negotiate() -> None:
    # Authentication first: an anonymous caller learns nothing, not even which
    # media types are served (TAXII 2.1 section 1.6.9).
    current_viewer()
    # No TAXII name, id or filter value holds a NUL, and PostgreSQL text cannot:
    # refuse it here rather than fail deep in a query.
    if "\x00" in request.path:
        raise NotFoundError("no such TAXII resource")
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        raise BadRequestError("query parameters may not contain NUL characters")
    check_accept(request.accept_mimetypes)
    if request.method in ("POST", "PUT", "PATCH"):
        check_content_type(request.headers.get("Content-Type"))


def taxii_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A TAXII JSON response."""
    response = current_app.response_class(
        json.dumps(body), status=status, content_type=TAXII_MEDIA_TYPE
    )
    response.headers.update(headers or {})
    return response
