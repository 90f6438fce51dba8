"""One incident in detail: its objects, sightings, notes and correlations.

Correlations are the other incidents that share an indicator value with this
one ("also seen by 3 ISPs"), whoever reported them, the same organisation
included: leaving a reporter's own incidents out would show which unattributed
reports are its own. They are found with an equality join on the values' keys
of the versions the viewer may see, so a RED incident, or a hidden version's
indicator, never shows up for someone who may not see it.

For a reader outside the reporting organisation, nothing listed with an
unattributed incident names that organisation: its identity objects and its
attributed objects are left out of the related objects (DESIGN.md invariant 6).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from federation.domain.errors import NotFoundError
from federation.domain.incidents import is_incident_id
from federation.domain.visibility import Viewer
from federation.domain.vocabulary import AFFECTED_ROLE
from federation.services.incidents.reports import (
    Incident,
    count_links,
    presented_document,
    readable_collections,
    shown_incidents,
)
from federation.services.objects.present import present
from federation.storage.incidents import (
    IncidentFilter,
    Readable,
    has_visible_value,
    latest_visible,
    select_incidents,
    select_visible_related,
    visible,
)
from federation.storage.models import (
    IncidentLink,
    IncidentValue,
    IncidentVersion,
    ObjectVersion,
    Organisation,
)

CORRELATION_LIMIT = 50
NOTE_LIMIT = 50


def get_incident(session: Session, viewer: Viewer, stix_id: str, secret_key: str) -> Incident:
    """The latest visible version of one incident with its objects, sightings,
    notes and correlations. Hidden and absent incidents are the same 404."""
    readable = readable_collections(session, viewer)
    incident = find_incident(session, viewer, readable, stix_id, secret_key)
    return with_details(session, viewer, readable, incident, secret_key)


def with_details(
    session: Session, viewer: Viewer, readable: Readable, incident: Incident, secret_key: str
) -> Incident:
    """``incident``, already found visible to ``viewer``, with its objects,
    sightings, notes and correlations (a follow-up's answer reuses its lookup)."""
    stix_id = incident.row.stix_id
    incident.document = presented_document(session, viewer, incident, secret_key)
    incident.objects = _related_objects(session, viewer, readable, incident, secret_key)
    incident.sightings = count_links(session, viewer, readable, stix_id, "sighting")
    incident.notes = _notes(session, viewer, readable, stix_id, secret_key)
    incident.correlations, incident.shared = _correlations(
        session, viewer, readable, incident, secret_key
    )
    return incident


def find_incident(
    session: Session, viewer: Viewer, readable: Readable, stix_id: str, secret_key: str
) -> Incident:
    """The latest visible version of one incident, or :class:`NotFoundError`."""
    if not is_incident_id(stix_id):
        # Whatever a path may hold (NUL characters included) never reaches SQL.
        raise NotFoundError("no such incident")
    stmt = select_incidents(viewer, readable, IncidentFilter(stix_ids=(stix_id,))).limit(1)
    rows = list(session.scalars(stmt))
    if not rows:
        raise NotFoundError("no such incident")
    return shown_incidents(session, viewer, readable, rows, secret_key)[0]


def incident_bundle(
    session: Session, viewer: Viewer, stix_id: str, secret_key: str
) -> tuple[Incident, dict[str, Any]]:
    """The incident and its related objects as a STIX 2.1 bundle."""
    readable = readable_collections(session, viewer)
    incident = find_incident(session, viewer, readable, stix_id, secret_key)
    incident.document = presented_document(session, viewer, incident, secret_key)
    incident.objects = _related_objects(session, viewer, readable, incident, secret_key)
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": [incident.document, *incident.objects],
    }
    return incident, bundle


def _related_objects(
    session: Session, viewer: Viewer, readable: Readable, incident: Incident, secret_key: str
) -> list[dict[str, Any]]:
    """The newest visible version of each object of the report, in its collection.

    The objects are those related to the versions of the incident the viewer
    may see; for an unattributed incident shown to an outsider, never one that
    names its reporter.
    """
    wanted: set[str] = set()
    for related in session.scalars(select_visible_related(viewer, readable, incident.row.stix_id)):
        wanted.update(i for i in related if isinstance(i, str))
    conditions = [
        ObjectVersion.collection_id == incident.row.collection_id,
        visible(viewer, readable, ObjectVersion.collection_id, ObjectVersion),
    ]
    if incident.hidden_reporter:
        wanted -= _reporter_identities(session, incident)
        # The reporter's attributed objects (its identity posted with an
        # earlier report, sighting or note among them) carry its name.
        conditions.append(
            or_(
                ObjectVersion.unattributed,
                ObjectVersion.owner_organisation_id.is_distinct_from(
                    incident.row.owner_organisation_id
                ),
            )
        )
    if not wanted:
        return []
    stmt = (
        select(ObjectVersion)
        .where(ObjectVersion.stix_id.in_(sorted(wanted)), *conditions)
        .order_by(ObjectVersion.stix_id, ObjectVersion.version.desc())
    )
    newest: dict[str, ObjectVersion] = {}
    for row in session.scalars(stmt):
        newest.setdefault(row.stix_id, row)
    return present(session, viewer, list(newest.values()), secret_key)


def _reporter_identities(session: Session, incident: Incident) -> set[str]:
    """The ids naming an incident's reporter: its creator and its organisation's identity.

    Left out by id as well, since an object under such an id may have been
    posted by someone else.
    """
    found = {incident.row.creator} if incident.row.creator else set()
    owner = incident.row.owner_organisation_id
    if owner is not None:
        identity = session.scalar(select(Organisation.identity_id).where(Organisation.id == owner))
        if identity is not None:
            found.add(identity)
    return found


def _notes(
    session: Session, viewer: Viewer, readable: Readable, stix_id: str, secret_key: str
) -> list[dict[str, Any]]:
    stmt = (
        select(ObjectVersion)
        .join(IncidentLink, IncidentLink.version_pk == ObjectVersion.pk)
        .where(
            IncidentLink.incident_id == stix_id,
            IncidentLink.kind == "note",
            visible(viewer, readable, ObjectVersion.collection_id, ObjectVersion),
        )
        .order_by(ObjectVersion.date_added.desc())
        .limit(NOTE_LIMIT)
    )
    return present(session, viewer, list(session.scalars(stmt)), secret_key)


def _correlations(
    session: Session, viewer: Viewer, readable: Readable, incident: Incident, secret_key: str
) -> tuple[list[Incident], dict[str, list[IncidentValue]]]:
    """Visible incidents of any organisation sharing a visible indicator value."""
    keys = {v.value_key for v in incident.indicators}
    if not keys:
        return [], {}
    stmt = (
        select(IncidentVersion)
        .where(
            has_visible_value(
                viewer,
                readable,
                IncidentValue.value_key.in_(sorted(keys)),
                IncidentValue.role.is_distinct_from(AFFECTED_ROLE),
            ),
            IncidentVersion.stix_id != incident.row.stix_id,
            visible(viewer, readable, IncidentVersion.collection_id),
            latest_visible(viewer, readable),
            ~IncidentVersion.revoked,
        )
        .order_by(IncidentVersion.created.desc(), IncidentVersion.stix_id.desc())
        .limit(CORRELATION_LIMIT)
    )
    rows = list(session.scalars(stmt))
    others = shown_incidents(session, viewer, readable, rows, secret_key)
    shared_values = {
        other.row.stix_id: [v for v in other.indicators if v.value_key in keys] for other in others
    }
    return others, shared_values


def seen_by(incident: Incident) -> int:
    """How many reporters, besides this incident's, the correlations come from.

    Attributed incidents count by organisation; unattributed ones the reader
    cannot attribute count one each, since counting them by organisation would
    tell the reader that two of them came from one reporter. The incident's
    own organisation is left out only when the reader knows it: leaving it out
    of an unattributed incident's count would tell which organisation it is.
    """
    known = {c.row.owner_organisation_id for c in incident.correlations if not c.hidden_reporter}
    if not incident.hidden_reporter:
        known.discard(incident.row.owner_organisation_id)
    return len(known) + sum(1 for c in incident.correlations if c.hidden_reporter)
