"""Member organisations as the REST API manages them, and their access receipts.

Hub admins admit organisations and see them all; everyone else sees only their
own. Each function that changes something owns one transaction: the change and
its audit event commit together, or neither does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from federation.domain.errors import ForbiddenError, NotFoundError
from federation.domain.roles import Role, Sector
from federation.domain.stewardship import (
    ADMIN_ROLES,
    check_choice,
    check_not_reserved,
    require_hub_admin,
)
from federation.domain.text import checked_name
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.services.access.accounts import OPERATOR_ORGANISATION, organisation_by_id
from federation.services.transactions import flush_unique
from federation.storage.database import begin_write
from federation.storage.models import Organisation

RECEIPT_ROLES = frozenset({Role.HUB_ADMIN, Role.ORG_ADMIN, Role.ANALYST})


@dataclass(frozen=True, slots=True)
class OrganisationInfo:
    id: int
    name: str
    sector: str
    identity_id: str
    contact_email: str
    contact_phone: str
    unattributed_default: bool
    groups: tuple[str, ...]
    created_at: datetime

    @classmethod
    def of(cls, org: Organisation) -> OrganisationInfo:
        return cls(
            id=org.id,
            name=org.name,
            sector=org.sector,
            identity_id=org.identity_id,
            contact_email=org.contact_email,
            contact_phone=org.contact_phone,
            unattributed_default=org.unattributed_default,
            groups=tuple(sorted(group.name for group in org.groups)),
            created_at=org.created_at,
        )


@dataclass(frozen=True, slots=True)
class OrganisationChanges:
    """A partial update of an organisation; ``None`` leaves a field as it is."""

    contact_email: str | None = None
    contact_phone: str | None = None
    unattributed_default: bool | None = None


def list_organisations(session: Session, viewer: Viewer) -> list[OrganisationInfo]:
    """Every organisation for hub admins; the caller's own for everyone else."""
    stmt = select(Organisation).options(selectinload(Organisation.groups)).order_by(Organisation.id)
    if viewer.role != Role.HUB_ADMIN:
        stmt = stmt.where(Organisation.id == viewer.organisation_id)
    return [OrganisationInfo.of(org) for org in session.scalars(stmt)]


def get_organisation(session: Session, viewer: Viewer, org_id: int) -> OrganisationInfo:
    """One organisation, to hub admins and its own members."""
    return OrganisationInfo.of(_visible_organisation(session, viewer, org_id))


def create_organisation(
    session: Session,
    viewer: Viewer,
    *,
    name: str,
    sector: str,
    contact_email: str = "",
    contact_phone: str = "",
    unattributed_default: bool = False,
    meta: audit.RequestMeta | None = None,
) -> OrganisationInfo:
    """Admit a member organisation (hub admins only); the hub makes its STIX identity."""
    require_hub_admin(viewer, "admit organisations")
    name = checked_name(name)
    check_choice("sector", sector, [s.value for s in Sector])
    check_not_reserved(name, OPERATOR_ORGANISATION)
    begin_write(session)
    org = Organisation(
        name=name,
        sector=sector,
        identity_id=f"identity--{uuid4()}",
        contact_email=contact_email,
        contact_phone=contact_phone,
        unattributed_default=unattributed_default,
    )
    session.add(org)
    flush_unique(session, f"an organisation named {name!r} already exists")
    audit.record(
        session, viewer, "admin.org.create", meta=meta, detail=f"organisation {name!r} ({sector})"
    )
    return OrganisationInfo.of(org)


def update_organisation(
    session: Session,
    viewer: Viewer,
    org_id: int,
    changes: OrganisationChanges,
    meta: audit.RequestMeta | None = None,
) -> OrganisationInfo:
    """Change contact details and the unattributed default (hub admins, the org's admins)."""
    begin_write(session)
    org = _visible_organisation(session, viewer, org_id)
    if viewer.role not in ADMIN_ROLES:
        raise ForbiddenError("only org admins and hub admins change an organisation")
    changed = []
    for field in ("contact_email", "contact_phone", "unattributed_default"):
        value = getattr(changes, field)
        if value is not None:
            setattr(org, field, value)
            changed.append(field)
    audit.record(
        session,
        viewer,
        "admin.org.update",
        meta=meta,
        detail=f"organisation {org.name!r}: {', '.join(changed) or 'nothing'} changed",
    )
    return OrganisationInfo.of(org)


def receipts(
    session: Session, viewer: Viewer, organisation_id: int | None = None
) -> tuple[int, list[audit.SectorReceipt]]:
    """Which sectors pulled an organisation's objects: for its analysts and
    admins (hub admins may name any organisation). Never the readers' names."""
    if viewer.role not in RECEIPT_ROLES:
        raise ForbiddenError("access receipts are for analysts and admins")
    if organisation_id is None or organisation_id == viewer.organisation_id:
        org_id = viewer.organisation_id
    elif viewer.role == Role.HUB_ADMIN:
        org_id = organisation_by_id(session, organisation_id).id
    else:
        raise ForbiddenError("you see only your own organisation's receipts")
    return org_id, audit.receipts(session, org_id)


def _visible_organisation(session: Session, viewer: Viewer, org_id: int) -> Organisation:
    if viewer.role != Role.HUB_ADMIN and org_id != viewer.organisation_id:
        raise NotFoundError(f"no organisation with id {org_id}")
    return organisation_by_id(session, org_id)
