"""Following an incident up: new versions, sightings and notes, all stored as STIX.

A follow-up is stored in the incident's collection through ingest, marked
like the incident (its TLP and recipients), so whoever may see the incident
may see what was added to it.

Every follow-up takes one path: :func:`find_target` looks the incident up once
(the one visibility lookup of the request, made before the body is judged so
a hidden incident is the same 404 whatever the body says); the follow-up
builds its objects, which ingest validates once each and stores
all-or-nothing; the answer is the incident's detail, built for the target
already found.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.domain.errors import ForbiddenError
from federation.domain.incident_stix import (
    Reporter,
    follow_up,
    indicator_objects,
    next_version,
    now,
    reporter_identities,
    stix_time,
)
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer, reporter_hidden
from federation.domain.vocabulary import (
    INCIDENT_EXTENSION_ID,
    LAST_SEEN_PROPERTY,
    RECIPIENTS_PROPERTY,
)
from federation.services.access.collections import CollectionAccess, access_for
from federation.services.incidents.reads import find_incident, with_details
from federation.services.incidents.reports import (
    Incident,
    readable_collections,
    shown_incidents,
    store,
)
from federation.services.objects.ingest import AuditAs
from federation.storage.incidents import Readable
from federation.storage.models import Collection, IncidentVersion, ObjectVersion, Organisation

# Builds a follow-up's objects from its reporter and the incident's stored document.
Build = Callable[[Reporter, dict[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Target:
    """The incident a follow-up is about, as the viewer may see it."""

    incident: Incident
    readable: Readable


def find_target(session: Session, viewer: Viewer, stix_id: str, secret_key: str) -> Target:
    """The incident ``stix_id`` as ``viewer`` sees it; hidden and absent are the same 404."""
    readable = readable_collections(session, viewer)
    return Target(find_incident(session, viewer, readable, stix_id, secret_key), readable)


def update_incident(
    session: Session,
    viewer: Viewer,
    target: Target,
    changes: dict[str, Any],
    secret_key: str,
    *,
    audit_as: AuditAs | None = None,
) -> Incident:
    """Store a new version of the incident with ``changes`` (the reporting
    organisation only); return the incident as it now stands."""
    row = target.incident.row
    if row.owner_organisation_id != viewer.organisation_id:
        raise ForbiddenError("only the reporting organisation may update an incident")
    moment: datetime | None = None

    def build(reporter: Reporter, stored: dict[str, Any]) -> list[dict[str, Any]]:
        nonlocal moment
        # The stored document, not the presented one: the owner's own identity
        # stays in it whether or not the report is unattributed.
        document = copy.deepcopy(stored)
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
        added = changes.get("add_indicators") or []
        return [document, *indicator_objects(added, row.stix_id, row.created, moment, reporter)]

    _store(session, viewer, target, build, unattributed=row.unattributed, audit_as=audit_as)
    assert moment is not None
    updated = _version(session, viewer, target, moment, secret_key)
    return with_details(session, viewer, target.readable, updated, secret_key)


def add_sighting(
    session: Session,
    viewer: Viewer,
    target: Target,
    data: dict[str, Any],
    secret_key: str,
    *,
    audit_as: AuditAs | None = None,
) -> Incident:
    """Record a STIX sighting of the incident by the viewer's organisation."""
    properties: dict[str, Any] = {
        "sighting_of_ref": target.incident.row.stix_id,
        "count": data["count"],
    }
    for key in ("first_seen", "last_seen"):
        if data.get(key) is not None:
            properties[key] = stix_time(data[key])
    if data.get("description"):
        properties["description"] = data["description"]

    def build(reporter: Reporter, _: dict[str, Any]) -> list[dict[str, Any]]:
        sighted = {**properties, "where_sighted_refs": [reporter.identity_id]}
        sighting = follow_up("sighting", now(), reporter, sighted)
        return [*reporter_identities(reporter, secret_key, unattributed=hidden), sighting]

    hidden = data["unattributed"] or _own_unattributed(viewer, target.incident)
    _store(session, viewer, target, build, unattributed=hidden, audit_as=audit_as)
    return with_details(session, viewer, target.readable, target.incident, secret_key)


def add_note(
    session: Session,
    viewer: Viewer,
    target: Target,
    data: dict[str, Any],
    secret_key: str,
    *,
    audit_as: AuditAs | None = None,
) -> Incident:
    """Add a STIX note about the incident by the viewer's organisation."""
    properties: dict[str, Any] = {
        "content": data["content"],
        "object_refs": [target.incident.row.stix_id],
    }
    if data.get("abstract"):
        properties["abstract"] = data["abstract"]

    def build(reporter: Reporter, _: dict[str, Any]) -> list[dict[str, Any]]:
        note = follow_up("note", now(), reporter, properties)
        return [*reporter_identities(reporter, secret_key, unattributed=hidden), note]

    hidden = data["unattributed"] or _own_unattributed(viewer, target.incident)
    _store(session, viewer, target, build, unattributed=hidden, audit_as=audit_as)
    return with_details(session, viewer, target.readable, target.incident, secret_key)


def _own_unattributed(viewer: Viewer, incident: Incident) -> bool:
    """Whether the viewer follows up its own organisation's unattributed incident.

    Such a follow-up is unattributed too: an attributed sighting or note of
    the reporter on it would name the reporter to everyone who sees it.
    """
    row = incident.row
    return row.unattributed and not reporter_hidden(
        viewer, row.unattributed, row.owner_organisation_id
    )


def _store(
    session: Session,
    viewer: Viewer,
    target: Target,
    build: Build,
    *,
    unattributed: bool,
    audit_as: AuditAs | None,
) -> None:
    """The one write path of a follow-up: write access, reporter, objects, and
    the store with its audit event."""
    access = _access(session, viewer, target.incident)
    version = session.get(ObjectVersion, target.incident.row.pk)
    assert version is not None
    reporter = _reporter(session, viewer, target.incident, version.document)
    if audit_as is not None:
        audit_as = replace(audit_as, detail=target.incident.row.stix_id)
    objects = build(reporter, version.document)
    store(session, viewer, access, objects, unattributed=unattributed, audit_as=audit_as)


def _version(
    session: Session, viewer: Viewer, target: Target, moment: datetime, secret_key: str
) -> Incident:
    """The incident's version stored at ``moment`` (the viewer's own, so visible to it)."""
    row = target.incident.row
    stmt = select(IncidentVersion).where(
        IncidentVersion.stix_id == row.stix_id,
        IncidentVersion.version == moment,
        IncidentVersion.collection_id == row.collection_id,
    )
    new = session.scalars(stmt).one()
    return shown_incidents(session, viewer, target.readable, [new], secret_key)[0]


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
