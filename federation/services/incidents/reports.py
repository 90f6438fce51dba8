"""Incident reports: post one without writing STIX, and list what a viewer may see.

Reports are stored through ``ingest.add_objects``, like any TAXII post, and
read back through the incident index with the one visibility rule in SQL
(details, bundles and correlations are in ``reads``). The values an incident
shows a viewer come from the versions of it that viewer may see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from federation.domain.errors import UnprocessableError
from federation.domain.incident_stix import Reporter, build_report
from federation.domain.incidents import UNATTRIBUTED_SECTOR
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer, reporter_hidden
from federation.domain.vocabulary import AFFECTED_ROLE
from federation.services.access.collections import CollectionAccess, access_for
from federation.services.objects import ingest
from federation.services.objects.present import present, pseudonym
from federation.storage.incidents import (
    IncidentFilter,
    Readable,
    select_incidents,
    select_visible_values,
    visible,
)
from federation.storage.models import (
    Collection,
    IncidentLink,
    IncidentValue,
    IncidentVersion,
    ObjectVersion,
    Organisation,
    Status,
)


@dataclass(slots=True)
class Incident:
    """One incident as a viewer may see it: its index row and, in the detail
    view, its presented document."""

    row: IncidentVersion
    tlp: Tlp
    reporter_sector: str
    reporter_identity: str | None
    # Unattributed and outside the viewer's organisation: the viewer must not
    # learn the reporting organisation from anything shown with it.
    hidden_reporter: bool = False
    values: list[IncidentValue] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict)
    stored: ObjectVersion | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    sightings: int = 0
    notes: list[dict[str, Any]] = field(default_factory=list)
    correlations: list[Incident] = field(default_factory=list)
    shared: dict[str, list[IncidentValue]] = field(default_factory=dict)

    @property
    def indicators(self) -> list[IncidentValue]:
        return [v for v in self.values if v.role != AFFECTED_ROLE]

    @property
    def affected(self) -> list[IncidentValue]:
        return [v for v in self.values if v.role == AFFECTED_ROLE]


@dataclass(frozen=True, slots=True)
class IncidentPage:
    """Incidents newest first; ``next`` is the cursor of the following page."""

    incidents: list[Incident]
    more: bool
    next: tuple[datetime, str] | None


def readable_collections(session: Session, viewer: Viewer) -> Readable:
    """The collections ``viewer`` may read, grouped by default TLP."""
    # One round trip (a join) rather than two: every incident read starts here.
    stmt = select(Collection).options(joinedload(Collection.grants))
    grouped: dict[Tlp, list[uuid.UUID]] = {}
    for collection in session.scalars(stmt).unique():
        access = access_for(viewer, collection)
        if access.can_read:
            grouped.setdefault(access.default_tlp, []).append(collection.id)
    return grouped


def create_incident(
    session: Session,
    viewer: Viewer,
    report: dict[str, Any],
    secret_key: str,
    *,
    audit_as: ingest.AuditAs | None = None,
) -> str:
    """Store ``report`` (as loaded by the REST schema) as STIX; return the incident id.

    Everything is checked before anything is stored, so a bad report stores
    nothing.
    """
    access = _writable_collection(session, viewer, report["collection"])
    reporter = reporter_of(session, viewer, report)
    objects = build_report(report, reporter, secret_key, unattributed=report["unattributed"])
    incident_id = next(str(o["id"]) for o in objects if o["type"] == "incident")
    if audit_as is not None:
        audit_as = replace(audit_as, detail=incident_id)
    store(session, viewer, access, objects, unattributed=report["unattributed"], audit_as=audit_as)
    return incident_id


def reporter_of(session: Session, viewer: Viewer, report: dict[str, Any]) -> Reporter:
    """Who reports ``report``: the viewer's organisation, marked as the report asks."""
    organisation = session.get(Organisation, viewer.organisation_id)
    assert organisation is not None
    return Reporter(
        identity_id=organisation.identity_id,
        name=organisation.name,
        created=organisation.created_at,
        tlp=Tlp.parse(report["tlp"]),
        recipients=recipient_identities(session, report.get("recipients", [])),
    )


def store(
    session: Session,
    viewer: Viewer,
    access: CollectionAccess,
    objects: list[dict[str, Any]],
    *,
    unattributed: bool,
    audit_as: ingest.AuditAs | None = None,
) -> None:
    """Store ``objects`` through ingest, all of them or none, with the audit
    event ``audit_as`` in the same transaction.

    Ingest validates each object once and stores each valid one on its own;
    refusing the transaction before it commits when any object failed keeps a
    report all-or-nothing. The schemas already refuse what could fail
    validation, so an indicator pattern is the one thing left to blame.
    """

    def all_or_nothing(_: Session, status: Status) -> None:
        if not status.failure_count:
            return
        failure = status.failures[0]
        message = str(failure.get("message", ""))
        if str(failure.get("id", "")).startswith("indicator--"):
            raise UnprocessableError(
                "the report does not make valid STIX", details={"indicators": [message]}
            )
        raise UnprocessableError(f"an object was refused: {message}")

    try:
        ingest.add_objects(
            session,
            viewer,
            access,
            objects,
            unattributed=unattributed,
            audit_as=audit_as,
            in_same_transaction=all_or_nothing,
        )
    except UnprocessableError:
        session.rollback()
        raise


def recipient_identities(session: Session, names: list[str]) -> tuple[str, ...]:
    """The STIX identities of organisations named as recipients (422 for an unknown name)."""
    if not names:
        return ()
    stmt = select(Organisation.name, Organisation.identity_id).where(Organisation.name.in_(names))
    found = {name: identity for name, identity in session.execute(stmt)}
    unknown = [n for n in names if n not in found]
    if unknown:
        raise UnprocessableError(
            "unknown recipient",
            details={"recipients": [f"no organisation named {unknown[0][:100]!r}"]},
        )
    return tuple(sorted({found[n] for n in names}))


def _writable_collection(session: Session, viewer: Viewer, key: str) -> CollectionAccess:
    stmt = select(Collection).options(selectinload(Collection.grants))
    try:
        stmt = stmt.where(Collection.id == uuid.UUID(key))
    except ValueError:
        stmt = stmt.where(Collection.alias == key)
    for collection in session.scalars(stmt):
        access = access_for(viewer, collection)
        if access.can_write:
            return access
    raise UnprocessableError(
        "no such collection",
        details={"collection": ["No collection you may write has this id or alias."]},
    )


def list_incidents(
    session: Session, viewer: Viewer, wanted: IncidentFilter, limit: int, secret_key: str
) -> IncidentPage:
    """A page of the incidents ``viewer`` may see, newest first."""
    readable = readable_collections(session, viewer)
    stmt = select_incidents(viewer, readable, wanted).limit(limit + 1)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    incidents = shown_incidents(session, viewer, readable, rows, secret_key)
    cursor = (rows[-1].created, rows[-1].stix_id) if more else None
    return IncidentPage(incidents, more, cursor)


def shown_incidents(
    session: Session,
    viewer: Viewer,
    readable: Readable,
    rows: list[IncidentVersion],
    secret_key: str,
) -> list[Incident]:
    """``rows`` as ``viewer`` may see them: the reporter of an unattributed
    incident is the sector "unattributed" and a pseudonymous identity."""
    defaults = {c: tlp for tlp, ids in readable.items() for c in ids}
    values = _visible_values(session, viewer, readable, [r.stix_id for r in rows])
    shown = []
    for row in rows:
        hidden = reporter_hidden(viewer, row.unattributed, row.owner_organisation_id)
        shown.append(
            Incident(
                row=row,
                tlp=Tlp(row.tlp) if row.tlp is not None else defaults[row.collection_id],
                reporter_sector=UNATTRIBUTED_SECTOR
                if hidden
                else (row.reporter_sector or "unknown"),
                reporter_identity=pseudonym(secret_key, row.stix_id) if hidden else row.creator,
                hidden_reporter=hidden,
                values=values.get(row.stix_id, []),
            )
        )
    return shown


def _visible_values(
    session: Session, viewer: Viewer, readable: Readable, stix_ids: list[str]
) -> dict[str, list[IncidentValue]]:
    """Each incident's values over the versions ``viewer`` may see, each value once."""
    found: dict[str, dict[tuple[str, str, str | None], IncidentValue]] = {}
    if stix_ids:
        stmt = select_visible_values(viewer, readable, sorted(set(stix_ids)))
        for stix_id, value in session.execute(stmt):
            found.setdefault(stix_id, {}).setdefault((value.kind, value.value, value.role), value)
    return {stix_id: list(values.values()) for stix_id, values in found.items()}


def presented_document(
    session: Session, viewer: Viewer, incident: Incident, secret_key: str
) -> dict[str, Any]:
    """The incident's STIX document as ``viewer`` may see it (its stored
    version is kept on ``incident`` for the audit log)."""
    version = session.get(ObjectVersion, incident.row.pk)
    assert version is not None
    incident.stored = version
    return present(session, viewer, [version], secret_key)[0]


def count_links(
    session: Session, viewer: Viewer, readable: Readable, stix_id: str, kind: str
) -> int:
    """How many distinct visible sightings (or notes) refer to the incident."""
    stmt = (
        select(func.count(func.distinct(IncidentLink.stix_id)))
        .join(ObjectVersion, ObjectVersion.pk == IncidentLink.version_pk)
        .where(
            IncidentLink.incident_id == stix_id,
            IncidentLink.kind == kind,
            visible(viewer, readable, ObjectVersion.collection_id, ObjectVersion),
        )
    )
    return int(session.scalar(stmt) or 0)
