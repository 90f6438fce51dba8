"""The audit log and access receipts (DESIGN.md invariant 8)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.domain.errors import ForbiddenError
from federation.domain.roles import Role
from federation.domain.visibility import Viewer
from federation.storage.base import utcnow
from federation.storage.database import ensure_write
from federation.storage.models import AccessReceipt, AuditEvent, ObjectVersion


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """Where a request came from, for the audit log."""

    request_id: str = ""
    client_address: str = ""


def record(
    session: Session,
    viewer: Viewer,
    action: str,
    *,
    collection_id: uuid.UUID | None = None,
    object_count: int = 0,
    meta: RequestMeta | None = None,
    detail: str = "",
) -> None:
    """Append one event to the audit log, committing it with the current write transaction."""
    ensure_write(session)
    add_event(
        session,
        viewer,
        action,
        collection_id=collection_id,
        object_count=object_count,
        meta=meta,
        detail=detail,
    )
    session.commit()


def add_event(
    session: Session,
    viewer: Viewer,
    action: str,
    *,
    collection_id: uuid.UUID | None = None,
    object_count: int = 0,
    meta: RequestMeta | None = None,
    detail: str = "",
) -> None:
    """Add one event to the audit log in the caller's write transaction; the caller commits.

    A write and its audit event commit together or not at all (DESIGN.md
    invariant 8).
    """
    meta = meta or RequestMeta()
    session.add(
        AuditEvent(
            # 0 stands for no local account (a peer link without one).
            account_id=viewer.account_id or None,
            account_name=viewer.account_name,
            organisation_id=viewer.organisation_id,
            action=action,
            collection_id=collection_id,
            object_count=object_count,
            request_id=meta.request_id[:64],
            client_address=meta.client_address[:64],
            detail=detail[:1000],
        )
    )


def record_read(
    session: Session,
    viewer: Viewer,
    action: str,
    collection_id: uuid.UUID,
    rows: Sequence[ObjectVersion],
    meta: RequestMeta | None = None,
) -> None:
    """Audit a read and count it in the owners' access receipts."""
    owners = Counter(
        row.owner_organisation_id
        for row in rows
        if row.owner_organisation_id is not None
        and row.owner_organisation_id != viewer.organisation_id
    )
    for attempt in range(2):
        try:
            ensure_write(session)
            _count_receipts(session, viewer, owners)
            break
        except IntegrityError:
            # Another request created the same receipt row first; count again.
            session.rollback()
            if attempt:
                raise
    record(
        session,
        viewer,
        action,
        collection_id=collection_id,
        object_count=len(rows),
        meta=meta,
    )


def _count_receipts(session: Session, viewer: Viewer, owners: Counter[int]) -> None:
    if not owners:
        return
    now = utcnow()
    existing = {
        receipt.owner_organisation_id: receipt
        for receipt in session.scalars(
            select(AccessReceipt).where(
                AccessReceipt.reader_organisation_id == viewer.organisation_id,
                AccessReceipt.owner_organisation_id.in_(sorted(owners)),
            )
        )
    }
    for owner, count in owners.items():
        receipt = existing.get(owner)
        if receipt is None:
            session.add(
                AccessReceipt(
                    owner_organisation_id=owner,
                    reader_organisation_id=viewer.organisation_id,
                    reader_sector=viewer.sector,
                    object_count=count,
                    first_at=now,
                    last_at=now,
                )
            )
        else:
            receipt.object_count += count
            receipt.last_at = now
    session.flush()


@dataclass(frozen=True, slots=True)
class SectorReceipt:
    """How many organisations of one sector pulled an owner's objects, and how much."""

    sector: str
    organisations: int
    objects: int
    last_at: datetime


def receipts(session: Session, organisation_id: int) -> list[SectorReceipt]:
    """Which sectors pulled this organisation's objects, without naming the readers."""
    stmt = (
        select(
            AccessReceipt.reader_sector,
            func.count(AccessReceipt.reader_organisation_id),
            func.sum(AccessReceipt.object_count),
            func.max(AccessReceipt.last_at),
        )
        .where(AccessReceipt.owner_organisation_id == organisation_id)
        .group_by(AccessReceipt.reader_sector)
        .order_by(AccessReceipt.reader_sector)
    )
    return [
        SectorReceipt(sector, int(orgs), int(objects or 0), last)
        for sector, orgs, objects, last in session.execute(stmt)
    ]


def events(
    session: Session,
    viewer: Viewer,
    *,
    organisation_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Audit events, newest first: all for hub admins, their own organisation's for org admins."""
    if viewer.role == Role.HUB_ADMIN:
        scope = organisation_id
    elif viewer.role == Role.ORG_ADMIN:
        if organisation_id not in (None, viewer.organisation_id):
            raise ForbiddenError("org admins see only their own organisation's audit log")
        scope = viewer.organisation_id
    else:
        raise ForbiddenError("the audit log is for org admins and hub admins")
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if scope is not None:
        stmt = stmt.where(AuditEvent.organisation_id == scope)
    if before_id is not None:
        stmt = stmt.where(AuditEvent.id < before_id)
    return list(session.scalars(stmt))
