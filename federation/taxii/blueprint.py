"""The TAXII blueprint and what every TAXII request shares: auth and negotiation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, json, request
from werkzeug.routing import RequestRedirect

from federation.domain.errors import BadRequestError, NotFoundError
from federation.taxii.media import TAXII_MEDIA_TYPE, check_accept, check_content_type
from federation.web.auth import current_viewer

PREFIX = "/taxii2"
taxii = Blueprint("taxii", __name__, url_prefix=PREFIX)


def is_taxii_path(path: str) -> bool:
    """Whether ``path`` is under the TAXII prefix (answered in TAXII's wire format)."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def refuse_redirects() -> None:
    """Answer 404 where the router would redirect a TAXII path.

    Every TAXII 2.1 URL ends in a slash (section 1.6.6 and each endpoint's
    URL template); a path without it names no resource. Redirecting it (308)
    is what the FreeTAXII conformance checks flag, and a client that follows
    redirects would otherwise send its credentials and body twice. Runs
    before the blueprint's own hooks, which a redirect never reaches.
    """
    if isinstance(request.routing_exception, RequestRedirect) and is_taxii_path(request.path):
        raise NotFoundError("no such TAXII resource; TAXII URLs end in '/'")


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
    check_accept(request.headers.get("Accept"))
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
