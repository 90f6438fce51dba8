"""Following an incident up: new versions, sightings and notes, all stored as STIX.

A follow-up is stored in the incident's collection through ingest, marked
like the incident (its TLP and recipients), so whoever may see the incident
may see what was added to it.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.domain.errors import ForbiddenError
from federation.domain.incidents import INCIDENT_EXTENSION_ID
from federation.domain.tlp import Tlp
from federation.domain.visibility import RECIPIENTS_PROPERTY, Viewer, reporter_hidden
from federation.services.access.collections import CollectionAccess, access_for
from federation.services.incidents.reads import find_incident
from federation.services.incidents.reports import Incident, readable_collections, store
from federation.services.incidents.stix import (
    Reporter,
    follow_up,
    indicator_objects,
    next_version,
    now,
    reporter_identities,
    stix_time,
)
from federation.services.indexing.incidents import LAST_SEEN_PROPERTY
from federation.storage.models import Collection, ObjectVersion, Organisation


def update_incident(
    session: Session, viewer: Viewer, stix_id: str, changes: dict[str, Any], secret_key: str
) -> None:
    """Store a new version of the incident with ``changes`` (the reporting organisation only)."""
    incident = _visible_incident(session, viewer, stix_id, secret_key)
    if incident.row.owner_organisation_id != viewer.organisation_id:
        raise ForbiddenError("only the reporting organisation may update an incident")
    access = _access(session, viewer, incident)
    # The stored document, not the presented one: the owner's own identity
    # stays in it whether or not the report is unattributed.
    document = copy.deepcopy(_stored_document(session, incident))
    moment = next_version(document)
    document["modified"] = stix_time(moment)
    extension = document.setdefault("extensions", {}).setdefault(
        INCIDENT_EXTENSION_ID, {"extension_type": "property-extension"}
    )
    if "title" in changes:
        document["name"] = changes["title"]
    if "description" in changes:
        document["description"] = changes["description"]
    for key in ("determination", "investigation_status", "criticality"):
        if key in changes:
            extension[key] = changes[key]
    if "last_seen" in changes:
        document[LAST_SEEN_PROPERTY] = stix_time(changes["last_seen"])
    reporter = _reporter(session, viewer, incident, document)
    objects = [document]
    if changes.get("add_indicators"):
        first_seen = incident.row.created
        objects += indicator_objects(
            changes["add_indicators"], stix_id, first_seen, moment, reporter
        )
    store(session, viewer, access, objects, unattributed=incident.row.unattributed)


def add_sighting(
    session: Session, viewer: Viewer, stix_id: str, data: dict[str, Any], secret_key: str
) -> None:
    """Record a STIX sighting of the incident by the viewer's organisation."""
    incident = _visible_incident(session, viewer, stix_id, secret_key)
    access = _access(session, viewer, incident)
    reporter = _reporter(session, viewer, incident, _stored_document(session, incident))
    properties: dict[str, Any] = {
        "sighting_of_ref": stix_id,
        "count": data["count"],
        "where_sighted_refs": [reporter.identity_id],
    }
    for key in ("first_seen", "last_seen"):
        if data.get(key) is not None:
            properties[key] = stix_time(data[key])
    if data.get("description"):
        properties["description"] = data["description"]
    sighting = follow_up("sighting", now(), reporter, properties)
    hidden = data["unattributed"] or _own_unattributed(viewer, incident)
    store(
        session,
        viewer,
        access,
        [*reporter_identities(reporter, secret_key, unattributed=hidden), sighting],
        unattributed=hidden,
    )


def add_note(
    session: Session, viewer: Viewer, stix_id: str, data: dict[str, Any], secret_key: str
) -> None:
    """Add a STIX note about the incident by the viewer's organisation."""
    incident = _visible_incident(session, viewer, stix_id, secret_key)
    access = _access(session, viewer, incident)
    reporter = _reporter(session, viewer, incident, _stored_document(session, incident))
    properties: dict[str, Any] = {"content": data["content"], "object_refs": [stix_id]}
    if data.get("abstract"):
        properties["abstract"] = data["abstract"]
    note = follow_up("note", now(), reporter, properties)
    hidden = data["unattributed"] or _own_unattributed(viewer, incident)
    store(
        session,
        viewer,
        access,
        [*reporter_identities(reporter, secret_key, unattributed=hidden), note],
        unattributed=hidden,
    )


def _own_unattributed(viewer: Viewer, incident: Incident) -> bool:
    """Whether the viewer follows up its own organisation's unattributed incident.

    Such a follow-up is unattributed too: an attributed sighting or note of
    the reporter on it would name the reporter to everyone who sees it.
    """
    row = incident.row
    return row.unattributed and not reporter_hidden(
        viewer, row.unattributed, row.owner_organisation_id
    )


def _visible_incident(session: Session, viewer: Viewer, stix_id: str, secret_key: str) -> Incident:
    readable = readable_collections(session, viewer)
    return find_incident(session, viewer, readable, stix_id, secret_key)


def _stored_document(session: Session, incident: Incident) -> dict[str, Any]:
    version = session.get(ObjectVersion, incident.row.pk)
    assert version is not None
    return version.document


def _access(session: Session, viewer: Viewer, incident: Incident) -> CollectionAccess:
    collection = session.get(Collection, incident.row.collection_id)
    assert collection is not None
    access = access_for(viewer, collection)
    if not access.can_write:
        raise ForbiddenError("this account may not add objects to the incident's collection")
    return access


def _reporter(
    session: Session, viewer: Viewer, incident: Incident, document: dict[str, Any]
) -> Reporter:
    """The viewer's organisation, marking like the incident.

    The recipients are the incident's plus, for an attributed incident, its
    reporter, so an AMBER+STRICT or RED follow-up reaches the reporting
    organisation; for an unattributed one the reporter's identity must not be
    written into someone else's object.
    """
    organisation = session.get(Organisation, viewer.organisation_id)
    assert organisation is not None
    recipients = (
        {r for r in document.get(RECIPIENTS_PROPERTY, []) if isinstance(r, str)}
        if isinstance(document.get(RECIPIENTS_PROPERTY), list)
        else set()
    )
    owner = incident.row.owner_organisation_id
    if owner is not None and not incident.row.unattributed and owner != viewer.organisation_id:
        identity = session.scalar(select(Organisation.identity_id).where(Organisation.id == owner))
        if identity is not None:
            recipients.add(identity)
    recipients.discard(organisation.identity_id)
    return Reporter(
        identity_id=organisation.identity_id,
        name=organisation.name,
        created=organisation.created_at,
        tlp=incident.tlp,
        recipients=tuple(sorted(recipients)) if incident.tlp >= Tlp.AMBER_STRICT else (),
    )
