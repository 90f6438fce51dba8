"""The one write path for object versions (DESIGN.md invariants 1 and 2).

Every version the hub stores, posted to a collection or copied into a member's
inbox by routing, goes through :func:`append_versions`: it takes the
collection's write lock, hands out ``date_added`` ticks after the collection's
last one, inserts the versions with their recipients and moves the
collection's ``last_date_added``, all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from federation.storage.base import utcnow
from federation.storage.models import Collection, ObjectRecipient, ObjectVersion

# date_added has microsecond precision; consecutive versions are one tick apart.
TICK = timedelta(microseconds=1)


@dataclass(slots=True)
class NewVersion:
    """A version about to be stored: its ``object_versions`` columns and its recipients.

    ``date_added`` and ``pk`` are filled in by :func:`append_versions`.
    """

    collection_id: uuid.UUID
    stix_id: str
    type: str
    spec_version: str
    created: datetime | None
    modified: datetime | None
    version: datetime
    document: dict[str, Any]
    source_account_id: int | None
    owner_organisation_id: int | None
    source_peer: str | None
    tlp: int | None
    unattributed: bool
    withheld: bool = False
    recipients: list[int] = field(default_factory=list)
    date_added: datetime | None = None
    pk: int | None = None

    def copy_to(self, collection_id: uuid.UUID, recipient: int) -> NewVersion:
        """The same version for another collection, with ``recipient`` added."""
        return replace(
            self,
            collection_id=collection_id,
            recipients=sorted(set(self.recipients) | {recipient}),
            date_added=None,
            pk=None,
        )

    def _columns(self) -> dict[str, Any]:
        return {
            "collection_id": self.collection_id,
            "stix_id": self.stix_id,
            "type": self.type,
            "spec_version": self.spec_version,
            "created": self.created,
            "modified": self.modified,
            "version": self.version,
            "date_added": self.date_added,
            "document": self.document,
            "source_account_id": self.source_account_id,
            "owner_organisation_id": self.owner_organisation_id,
            "source_peer": self.source_peer,
            "tlp": self.tlp,
            "unattributed": self.unattributed,
            "withheld": self.withheld,
        }


def lock_collection(session: Session, collection_id: uuid.UUID) -> datetime | None:
    """Take the collection's write lock and return its last date_added.

    Writers to one collection queue here, so date_added follows commit order.
    On SQLite the BEGIN IMMEDIATE of ``begin_write`` already holds the lock.
    Taking it again in the same transaction is a no-op.
    """
    stmt = select(Collection.last_date_added).where(Collection.id == collection_id)
    return session.execute(stmt.with_for_update()).scalar_one()


def next_tick(last_added: datetime | None) -> datetime:
    """The first date_added a writer holding the lock may hand out."""
    now = utcnow()
    return max(now, last_added + TICK) if last_added else now


def append_versions(
    session: Session,
    collection_id: uuid.UUID,
    versions: Sequence[NewVersion],
    *,
    first: datetime | None = None,
) -> list[int]:
    """Store ``versions`` in ``collection_id`` in order; return their keys (pks).

    Under the collection's lock each version gets a date_added one tick after
    the previous one, strictly after the collection's last, and the
    collection's ``last_date_added`` moves to the newest. Sets ``date_added``
    and ``pk`` on each version. The caller commits.

    ``first`` is the first date_added, for a caller that already took the
    lock and read :func:`next_tick` (ingest, whose SCO versions are their
    date_added).
    """
    if not versions:
        return []
    if any(v.collection_id != collection_id for v in versions):
        raise ValueError("every version must belong to the collection it is appended to")
    last_added = lock_collection(session, collection_id)
    date_added = next_tick(last_added) if first is None else first
    if last_added is not None and date_added <= last_added:
        raise ValueError("date_added must move past the collection's last one")
    for version in versions:
        version.date_added = date_added
        date_added += TICK
    stmt = insert(ObjectVersion).returning(ObjectVersion.pk, sort_by_parameter_order=True)
    pks = list(session.scalars(stmt, [v._columns() for v in versions]))
    recipients = [
        {"version_pk": pk, "organisation_id": org}
        for pk, version in zip(pks, versions, strict=True)
        for org in sorted(set(version.recipients))
    ]
    if recipients:
        session.execute(insert(ObjectRecipient), recipients)
    for pk, version in zip(pks, versions, strict=True):
        version.pk = pk
    session.execute(
        update(Collection)
        .where(Collection.id == collection_id)
        .values(last_date_added=versions[-1].date_added)
    )
    return pks
