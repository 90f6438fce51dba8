"""Revealing who posted an unattributed object: the audited disclosure path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.domain.errors import ForbiddenError, NotFoundError, UnprocessableError
from federation.domain.roles import Role
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.storage.models import ObjectVersion, Organisation


@dataclass(frozen=True, slots=True)
class Disclosure:
    stix_id: str
    organisation: str
    sector: str
    identity_id: str


def disclose(
    session: Session, viewer: Viewer, collection_id: uuid.UUID, stix_id: str, reason: str
) -> Disclosure:
    """The real poster of an unattributed object, for a hub admin with a stated reason.

    The disclosure itself is written to the audit log before it is returned.
    """
    if viewer.role != Role.HUB_ADMIN:
        raise ForbiddenError("only hub admins may disclose a reporter")
    if len(reason.strip()) < 10:
        raise UnprocessableError("state the legal basis of the disclosure (10 characters or more)")
    stmt = (
        select(Organisation)
        .join(ObjectVersion, ObjectVersion.owner_organisation_id == Organisation.id)
        .where(
            ObjectVersion.collection_id == collection_id,
            ObjectVersion.stix_id == stix_id,
            ObjectVersion.unattributed.is_(True),
        )
        .limit(1)
    )
    org = session.scalar(stmt)
    if org is None:
        raise NotFoundError(f"no unattributed object {stix_id[:100]!r} in that collection")
    audit.record(
        session,
        viewer,
        "disclosure",
        collection_id=collection_id,
        object_count=1,
        detail=f"{stix_id[:300]} -> {org.name}; reason: {reason.strip()[:500]}",
    )
    return Disclosure(stix_id, org.name, org.sector, org.identity_id)
