"""Auditing requests that read or write objects, with the request's origin."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from flask import g, request

from federation.services.access import audit
from federation.storage.models import ObjectVersion
from federation.web.auth import current_viewer
from federation.web.db import db_session


def request_meta() -> audit.RequestMeta:
    """The request id and client address of the current request."""
    return audit.RequestMeta(
        request_id=g.get("request_id", ""), client_address=request.remote_addr or ""
    )


def audit_read(action: str, collection_id: uuid.UUID, rows: Sequence[ObjectVersion]) -> None:
    """Record a read of ``rows`` (and count it in the owners' access receipts)."""
    audit.record_read(
        db_session(), current_viewer(), action, collection_id, rows, meta=request_meta()
    )


def audit_write(action: str, collection_id: uuid.UUID | None, count: int, detail: str = "") -> None:
    """Record a write of ``count`` objects."""
    audit.record(
        db_session(),
        current_viewer(),
        action,
        collection_id=collection_id,
        object_count=count,
        meta=request_meta(),
        detail=detail,
    )
