"""Incident reports: ``/api/v1/incidents`` and ``/api/v1/stats``.

Analysts post and follow incidents in plain JSON; every incident is STIX 2.1
underneath (``/incidents/{id}/stix``) and TAXII readers see the same objects.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, url_for

from federation.api.blueprint import api, load_body, load_query, reply
from federation.api.incident_schemas import (
    BundleSchema,
    IncidentCreateSchema,
    IncidentDetailSchema,
    IncidentPageSchema,
    IncidentPatchSchema,
    IncidentQuerySchema,
    NoteCreateSchema,
    SightingCreateSchema,
    StatsQuerySchema,
    StatsSchema,
)
from federation.api.openapi import operation
from federation.api.schemas import NoParameters
from federation.domain.cursors import decode_keyed_cursor, encode_cursor
from federation.domain.errors import ForbiddenError
from federation.domain.incidents import ip_range, is_incident_id
from federation.domain.roles import is_taxii_only
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer
from federation.domain.vocabulary import SERVICES_PROPERTY
from federation.services.incidents import followup, reads, reports, stats
from federation.services.incidents.reports import Incident
from federation.services.objects.ingest import AuditAs
from federation.storage.incidents import IncidentFilter
from federation.web.audit import audit_read, audit_write, request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session


def _secret() -> str:
    secret: str = current_app.config["SECRET_KEY"]
    return secret


def _reporter() -> Viewer:
    """The caller, unless it is a peer account: those get 403 (TAXII only).

    Checked before the body or the incident is looked at, so a peer account
    learns nothing about either. Readers are refused later, as for any
    collection they may not write.
    """
    viewer = current_viewer()
    if is_taxii_only(viewer.role):
        raise ForbiddenError(
            "a peer account exchanges STIX over TAXII only; "
            "it cannot write incidents, sightings or notes over the REST API"
        )
    return viewer


# An incident id as STIX writes it; any other string names no incident (404).
INCIDENT_PATH: dict[str, dict[str, Any]] = {
    "incident_id": {
        "type": "string",
        "pattern": "^incident--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    }
}


@api.post("/incidents")
@operation(
    "Report an incident; the hub stores it as STIX 2.1 (analysts)",
    body=IncidentCreateSchema,
    response=IncidentDetailSchema,
    status=201,
)
def create_incident() -> Response:
    viewer = _reporter()
    report = load_body(IncidentCreateSchema())
    session = db_session()
    stix_id = reports.create_incident(
        session, viewer, report, _secret(), audit_as=_audited("api.create_incident")
    )
    incident = reads.get_incident(session, viewer, stix_id, _secret())
    location = url_for(".get_incident", incident_id=stix_id)
    return reply(IncidentDetailSchema(), detail(incident), 201, location)


@api.get("/incidents")
@operation(
    "Incidents you may see, newest first, with filters",
    query=IncidentQuerySchema,
    response=IncidentPageSchema,
)
def list_incidents() -> Response:
    query = load_query(IncidentQuerySchema())
    wanted = incident_filter(query)
    page = reports.list_incidents(db_session(), current_viewer(), wanted, query["limit"], _secret())
    # A list spans collections and shows summaries, not STIX objects: one
    # event for the request, without access receipts.
    audit_write("api.list_incidents", None, len(page.incidents))
    body = {
        "incidents": [summary(i) for i in page.incidents],
        "more": page.more,
        "next": encode_cursor(*page.next) if page.next else None,
    }
    return reply(IncidentPageSchema(), body)


@api.get("/incidents/<incident_id>")
@operation(
    "One incident with its objects, sightings, notes and correlations",
    path=INCIDENT_PATH,
    query=NoParameters,
    response=IncidentDetailSchema,
)
def get_incident(incident_id: str) -> Response:
    load_query(NoParameters())
    incident = reads.get_incident(db_session(), current_viewer(), incident_id, _secret())
    _audit_read("api.get_incident", incident)
    return reply(IncidentDetailSchema(), detail(incident))


@api.get("/incidents/<incident_id>/stix")
@operation(
    "The incident as a STIX 2.1 bundle",
    query=NoParameters,
    response=BundleSchema,
    path=INCIDENT_PATH,
)
def get_incident_stix(incident_id: str) -> Response:
    load_query(NoParameters())
    incident, bundle = reads.incident_bundle(db_session(), current_viewer(), incident_id, _secret())
    _audit_read("api.get_incident_stix", incident)
    return reply(BundleSchema(), bundle)


@api.patch("/incidents/<incident_id>")
@operation(
    "Update an incident: a new STIX version (the reporting organisation)",
    path=INCIDENT_PATH,
    body=IncidentPatchSchema,
    response=IncidentDetailSchema,
)
def update_incident(incident_id: str) -> Response:
    session, viewer = db_session(), _reporter()
    # An incident the caller cannot see is a 404 whatever the body says.
    target = followup.find_target(session, viewer, incident_id, _secret())
    changes = load_body(IncidentPatchSchema())
    incident = followup.update_incident(
        session, viewer, target, changes, _secret(), audit_as=_audited("api.update_incident")
    )
    return reply(IncidentDetailSchema(), detail(incident))


@api.post("/incidents/<incident_id>/sightings")
@operation(
    "Record that your organisation saw this incident (a STIX sighting)",
    path=INCIDENT_PATH,
    body=SightingCreateSchema,
    response=IncidentDetailSchema,
    status=201,
)
def create_sighting(incident_id: str) -> Response:
    session, viewer = db_session(), _reporter()
    target = followup.find_target(session, viewer, incident_id, _secret())
    data = load_body(SightingCreateSchema())
    incident = followup.add_sighting(
        session, viewer, target, data, _secret(), audit_as=_audited("api.add_sighting")
    )
    return reply(IncidentDetailSchema(), detail(incident), 201)


@api.post("/incidents/<incident_id>/notes")
@operation(
    "Add a note to an incident (a STIX note)",
    path=INCIDENT_PATH,
    body=NoteCreateSchema,
    response=IncidentDetailSchema,
    status=201,
)
def create_note(incident_id: str) -> Response:
    session, viewer = db_session(), _reporter()
    target = followup.find_target(session, viewer, incident_id, _secret())
    data = load_body(NoteCreateSchema())
    incident = followup.add_note(
        session, viewer, target, data, _secret(), audit_as=_audited("api.add_note")
    )
    return reply(IncidentDetailSchema(), detail(incident), 201)


@api.get("/stats")
@operation(
    "Incidents per category and week, per reporting sector, and how often members report",
    query=StatsQuerySchema,
    response=StatsSchema,
)
def get_stats() -> Response:
    query = load_query(StatsQuerySchema())
    counts = stats.incident_stats(db_session(), current_viewer(), query["days"])
    return reply(StatsSchema(), counts)


def _audit_read(action: str, incident: Incident) -> None:
    """Audit reading the incident's objects and count it in the owner's receipts."""
    rows = [incident.stored] if incident.stored is not None else []
    audit_read(action, incident.row.collection_id, rows)


def incident_filter(query: dict[str, Any]) -> IncidentFilter:
    """The list filter that a query loaded by ``IncidentQuerySchema`` asks for
    (the console's incident list uses it too, so both filter alike)."""
    return IncidentFilter(
        category=query.get("category"),
        investigation_status=query.get("investigation_status"),
        tlp=Tlp.parse(query["tlp"]) if "tlp" in query else None,
        sector=query.get("sector"),
        asn=query.get("asn"),
        network=ip_range(query["ip"]) if "ip" in query else None,
        text=query.get("q"),
        since=query.get("since"),
        until=query.get("until"),
        after=decode_keyed_cursor(query["cursor"], "cursor", is_incident_id)
        if "cursor" in query
        else None,
    )


def _audited(action: str) -> AuditAs:
    """The audit event a write records in its own transaction (DESIGN.md invariant 8)."""
    return AuditAs(action, request_meta())


def summary(incident: Incident) -> dict[str, Any]:
    """The listed fields of an incident."""
    row = incident.row
    return {
        "id": row.stix_id,
        "title": row.title,
        "category": row.category,
        "determination": row.determination,
        "investigation_status": row.investigation_status,
        "criticality": row.criticality,
        "tlp": incident.tlp.label,
        "reporter": {"sector": incident.reporter_sector, "identity": incident.reporter_identity},
        "collection_id": row.collection_id,
        "created": row.created,
        "modified": row.version,
        "first_seen": row.first_seen,
        "last_seen": row.last_seen,
        "indicators": incident.indicators,
    }


def detail(incident: Incident) -> dict[str, Any]:
    """Everything the detail view shows."""
    document = incident.document
    affected = incident.affected
    services = document.get(SERVICES_PROPERTY)
    references = document.get("external_references")
    return {
        **summary(incident),
        "description": document.get("description")
        if isinstance(document.get("description"), str)
        else "",
        "affected_asns": [int(v.value) for v in affected if v.kind == "autonomous-system"],
        "affected_prefixes": [v.value for v in affected if v.kind != "autonomous-system"],
        "affected_services": [s for s in services if isinstance(s, str)]
        if isinstance(services, list)
        else [],
        "external_references": [r for r in references if isinstance(r, dict)]
        if isinstance(references, list)
        else [],
        "sightings": incident.sightings,
        "notes": incident.notes,
        "objects": incident.objects,
        "correlations": {
            "organisations": reads.seen_by(incident),
            "incidents": [
                {
                    **summary(other),
                    "shared": incident.shared.get(other.row.stix_id, []),
                }
                for other in incident.correlations
            ],
        },
    }
