"""One incident in detail: its objects, sightings, notes and correlations.

Correlations are other incidents, reported by other organisations, that share
an indicator value with this one ("also seen by 3 ISPs"). They are found with
an equality join on the values' keys and go through the same visibility rule
as every list, so a RED incident never shows up for someone who may not see it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

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
    latest_visible,
    select_incidents,
    visible,
)
from federation.storage.models import IncidentLink, IncidentValue, IncidentVersion, ObjectVersion

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
    """The newest visible version of each object of the report, in its collection."""
    wanted = [i for i in incident.row.related if isinstance(i, str)]
    if not wanted:
        return []
    stmt = (
        select(ObjectVersion)
        .where(
            ObjectVersion.collection_id == incident.row.collection_id,
            ObjectVersion.stix_id.in_(wanted),
            visible(viewer, readable, ObjectVersion.collection_id, ObjectVersion),
        )
        .order_by(ObjectVersion.stix_id, ObjectVersion.version.desc())
    )
    newest: dict[str, ObjectVersion] = {}
    for row in session.scalars(stmt):
        newest.setdefault(row.stix_id, row)
    return present(session, viewer, list(newest.values()), secret_key)


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
    """Visible incidents of other organisations sharing an indicator value."""
    mine = aliased(IncidentValue)
    theirs = aliased(IncidentValue)
    shared = (
        select(theirs.incident_pk)
        .join(
            mine, and_(mine.value_key == theirs.value_key, mine.incident_pk != theirs.incident_pk)
        )
        .where(
            mine.incident_pk == incident.row.pk,
            mine.role.is_distinct_from(AFFECTED_ROLE),
            theirs.role.is_distinct_from(AFFECTED_ROLE),
        )
    )
    owner = incident.row.owner_organisation_id
    stmt = (
        select(IncidentVersion)
        .where(
            IncidentVersion.pk.in_(shared),
            IncidentVersion.stix_id != incident.row.stix_id,
            IncidentVersion.owner_organisation_id.is_distinct_from(owner),
            visible(viewer, readable, IncidentVersion.collection_id),
            latest_visible(viewer, readable),
            ~IncidentVersion.revoked,
        )
        .order_by(IncidentVersion.created.desc(), IncidentVersion.stix_id.desc())
        .limit(CORRELATION_LIMIT)
    )
    rows = list(session.scalars(stmt))
    others = shown_incidents(session, viewer, readable, rows, secret_key)
    keys = {v.value_key for v in incident.indicators}
    shared_values = {
        other.row.stix_id: [v for v in other.indicators if v.value_key in keys] for other in others
    }
    return others, shared_values


def seen_by(incident: Incident) -> int:
    """How many other organisations reported a correlated incident.

    Unattributed reports count one each: counting them by organisation would
    tell the reader that two of them came from one reporter.
    """
    attributed = {
        c.row.owner_organisation_id for c in incident.correlations if not c.row.unattributed
    }
    return len(attributed) + sum(1 for c in incident.correlations if c.row.unattributed)
