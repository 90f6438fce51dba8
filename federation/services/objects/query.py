"""Reading a collection: objects, one object, versions, manifest, delete, status.

Every function here reads through ``federation.storage.objects``, which applies
the one visibility rule in SQL (DESIGN.md invariant 4).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from federation.domain.cursors import encode_cursor
from federation.domain.errors import ForbiddenError, NotFoundError
from federation.domain.filters import ObjectQuery
from federation.domain.roles import Role
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.services.access.collections import CollectionAccess
from federation.stix.timestamps import format_timestamp
from federation.storage.database import ensure_write
from federation.storage.models import ObjectVersion, Status
from federation.storage.objects import any_visible, select_versions


@dataclass(frozen=True, slots=True)
class Page:
    """One page of versions, in date_added order."""

    rows: list[ObjectVersion]
    more: bool
    next: str | None

    @property
    def first_added(self) -> datetime | None:
        return self.rows[0].date_added if self.rows else None

    @property
    def last_added(self) -> datetime | None:
        return self.rows[-1].date_added if self.rows else None


def get_objects(
    session: Session, viewer: Viewer, access: CollectionAccess, query: ObjectQuery
) -> Page:
    """A page of the objects the viewer may see (TAXII 2.1 section 5.4)."""
    _require_read(access)
    return _page(session, viewer, access, query)


def get_object(
    session: Session, viewer: Viewer, access: CollectionAccess, stix_id: str, query: ObjectQuery
) -> Page:
    """A page of the versions of one object (TAXII 2.1 section 5.6).

    An object with no version the viewer may see is absent: 404, whether it was
    never here or is hidden.
    """
    _require_read(access)
    _require_visible(session, viewer, access, stix_id)
    return _page(session, viewer, access, query, stix_id=stix_id)


def get_versions(
    session: Session, viewer: Viewer, access: CollectionAccess, stix_id: str, query: ObjectQuery
) -> Page:
    """A page of the visible versions of one object (TAXII 2.1 section 5.8)."""
    return get_object(session, viewer, access, stix_id, query)


def get_manifest(
    session: Session, viewer: Viewer, access: CollectionAccess, query: ObjectQuery
) -> Page:
    """A page of manifest records (TAXII 2.1 section 5.3)."""
    _require_read(access)
    return _page(session, viewer, access, query)


def delete_object(
    session: Session,
    viewer: Viewer,
    access: CollectionAccess,
    stix_id: str,
    query: ObjectQuery,
    *,
    audit_as: str = "taxii.delete_object",
    meta: audit.RequestMeta | None = None,
) -> int:
    """Delete the matching versions of one object (TAXII 2.1 section 5.7).

    Only the organisation that added a version (or a hub admin) may delete it;
    the deletion stays on this hub. Of a shared SCO, a member deletes its own
    copy. The audit event commits with the deletion. Returns how many
    versions went.
    """
    _require_read(access)
    _require_visible(session, viewer, access, stix_id)
    if not access.can_write:
        raise ForbiddenError("this account may not delete objects from this collection")
    # Decide and delete in one write transaction, so the count audited is
    # the count deleted.
    ensure_write(session)
    stmt = select_versions(
        access.collection.id, viewer, access.default_tlp, query, stix_id=stix_id, one_copy=False
    )
    rows = list(session.scalars(stmt.limit(None)))
    if viewer.role != Role.HUB_ADMIN:
        own_copies = [
            r for r in rows if _shared(r) and r.owner_organisation_id == viewer.organisation_id
        ]
        if own_copies:
            rows = own_copies
    if not rows:
        raise NotFoundError(f"no version of {stix_id[:100]!r} matches the filters")
    if viewer.role != Role.HUB_ADMIN and any(
        r.owner_organisation_id != viewer.organisation_id for r in rows
    ):
        raise ForbiddenError("only the organisation that added an object may delete it")
    session.execute(delete(ObjectVersion).where(ObjectVersion.pk.in_([r.pk for r in rows])))
    audit.add_event(
        session,
        viewer,
        audit_as,
        collection_id=access.collection.id,
        object_count=len(rows),
        meta=meta,
        detail=stix_id[:300],
    )
    session.commit()
    return len(rows)


def _shared(row: ObjectVersion) -> bool:
    return row.created is None and row.modified is None


def get_status(session: Session, viewer: Viewer, root_id: int, status_id: str) -> Status:
    """A status resource, visible only to the organisation that posted (section 4.3)."""
    try:
        key = uuid.UUID(status_id)
    except ValueError:
        raise NotFoundError("no such status resource") from None
    status = session.get(Status, key)
    if status is None or status.organisation_id != viewer.organisation_id:
        raise NotFoundError("no such status resource")
    if status.collection.api_root_id != root_id:
        raise NotFoundError("no such status resource")
    return status


def version_label(row: ObjectVersion) -> str:
    """The version as the object states it (its own modified or created string)."""
    doc: dict[str, Any] = row.document
    own = doc.get("modified", doc.get("created"))
    return own if isinstance(own, str) else format_timestamp(row.version)


def _page(
    session: Session,
    viewer: Viewer,
    access: CollectionAccess,
    query: ObjectQuery,
    *,
    stix_id: str | None = None,
) -> Page:
    stmt = select_versions(access.collection.id, viewer, access.default_tlp, query, stix_id=stix_id)
    rows = list(session.scalars(stmt))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = encode_cursor(rows[-1].date_added) if more else None
    return Page(rows=rows, more=more, next=cursor)


def _require_read(access: CollectionAccess) -> None:
    if not access.can_read:
        raise ForbiddenError("this account may not read this collection")


def _require_visible(
    session: Session, viewer: Viewer, access: CollectionAccess, stix_id: str
) -> None:
    if not any_visible(session, access.collection.id, viewer, access.default_tlp, stix_id):
        raise NotFoundError("no such object in this collection")
