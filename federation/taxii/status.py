"""Status resources (TAXII 2.1 section 4.3)."""

from __future__ import annotations

from typing import Any

from flask import Response

from federation.domain.filters import format_date_added
from federation.services.access.collections import api_root_named
from federation.services.objects import query
from federation.storage.models import Status
from federation.taxii.blueprint import taxii, taxii_response
from federation.web.auth import current_viewer
from federation.web.db import db_session


@taxii.get("/<root>/status/<status_id>/")
def get_status(root: str, status_id: str) -> Response:
    """The outcome of one add-objects request, for the organisation that posted."""
    session = db_session()
    api_root = api_root_named(session, root)
    status = query.get_status(session, current_viewer(), api_root.id, status_id)
    return taxii_response(status_resource(status))


def status_resource(status: Status) -> dict[str, Any]:
    """The status resource body (section 4.3.1)."""
    body: dict[str, Any] = {
        "id": str(status.id),
        "status": status.status,
        "request_timestamp": format_date_added(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": status.success_count,
        "failure_count": status.failure_count,
        "pending_count": status.pending_count,
    }
    if status.successes:
        body["successes"] = status.successes
    if status.failures:
        body["failures"] = status.failures
    return body
