"""Trust groups: named sets of organisations that collection grants can name
as ``group:NAME``. Any account may list them; only hub admins change them.

Each function that changes something owns one transaction: the change and its
audit event commit together, or neither does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from federation.domain.errors import ConflictError, NotFoundError
from federation.domain.stewardship import require_hub_admin
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.services.access.accounts import organisation_named
from federation.services.transactions import flush_unique
from federation.storage.database import begin_write
from federation.storage.models import TrustGroup


@dataclass(frozen=True, slots=True)
class GroupInfo:
    id: int
    name: str
    description: str
    members: tuple[str, ...]
    created_at: datetime

    @classmethod
    def of(cls, group: TrustGroup) -> GroupInfo:
        return cls(
            id=group.id,
            name=group.name,
            description=group.description,
            members=tuple(sorted(org.name for org in group.members)),
            created_at=group.created_at,
        )


def list_groups(session: Session) -> list[GroupInfo]:
    """Every trust group with its members' names; any account may see them."""
    stmt = select(TrustGroup).options(selectinload(TrustGroup.members)).order_by(TrustGroup.id)
    return [GroupInfo.of(group) for group in session.scalars(stmt)]


def create_group(
    session: Session,
    viewer: Viewer,
    *,
    name: str,
    description: str = "",
    meta: audit.RequestMeta | None = None,
) -> GroupInfo:
    """Create a trust group that collection grants can name as ``group:NAME`` (hub admins)."""
    require_hub_admin(viewer, "create trust groups")
    begin_write(session)
    group = TrustGroup(name=name, description=description)
    session.add(group)
    flush_unique(session, f"a trust group named {name!r} already exists")
    audit.record(session, viewer, "admin.group.create", meta=meta, detail=f"group {name!r}")
    return GroupInfo.of(group)


def add_group_member(
    session: Session,
    viewer: Viewer,
    group_id: int,
    organisation: str,
    meta: audit.RequestMeta | None = None,
) -> GroupInfo:
    """Put an organisation into a trust group (hub admins)."""
    require_hub_admin(viewer, "change trust groups")
    begin_write(session)
    group = _group(session, group_id)
    org = organisation_named(session, organisation)
    if org in group.members:
        raise ConflictError(f"{org.name!r} is already a member of {group.name!r}")
    group.members.append(org)
    flush_unique(session, f"{org.name!r} is already a member of {group.name!r}")
    audit.record(
        session,
        viewer,
        "admin.group.member.add",
        meta=meta,
        detail=f"organisation {org.name!r} into group {group.name!r}",
    )
    return GroupInfo.of(group)


def remove_group_member(
    session: Session,
    viewer: Viewer,
    group_id: int,
    organisation_id: int,
    meta: audit.RequestMeta | None = None,
) -> None:
    """Take an organisation out of a trust group (hub admins)."""
    require_hub_admin(viewer, "change trust groups")
    begin_write(session)
    group = _group(session, group_id)
    org = next((m for m in group.members if m.id == organisation_id), None)
    if org is None:
        raise NotFoundError(f"organisation {organisation_id} is not a member of {group.name!r}")
    group.members.remove(org)
    audit.record(
        session,
        viewer,
        "admin.group.member.remove",
        meta=meta,
        detail=f"organisation {org.name!r} out of group {group.name!r}",
    )


def _group(session: Session, group_id: int) -> TrustGroup:
    group = session.get(TrustGroup, group_id)
    if group is None:
        raise NotFoundError(f"no trust group with id {group_id}")
    return group
