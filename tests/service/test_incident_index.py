"""The incident index written by ingest: once per new version, whatever the source."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from federation.domain.vocabulary import INCIDENT_EXTENSION_ID
from federation.services.access.accounts import authenticate
from federation.services.access.collections import access_for, find_collection
from federation.services.incidents.reads import get_incident
from federation.services.objects import ingest
from federation.storage.database import Database
from federation.storage.models import IncidentValue, IncidentVersion
from tests.conftest import Factory


def _incident(stix_id: str, modified: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "incident",
        "spec_version": "2.1",
        "id": stix_id,
        "created": "2026-10-01T00:00:00.000Z",
        "modified": modified,
        "name": "Scanning from a cloud range",
        "extensions": {
            INCIDENT_EXTENSION_ID: {
                "extension_type": "property-extension",
                "determination": "suspected",
                "investigation_status": "new",
                "incident_types": ["network-scanning"],
            }
        },
        **extra,
    }


def _indicator_for(incident_id: str, address: str) -> list[dict[str, Any]]:
    indicator_id = f"indicator--{uuid.uuid4()}"
    return [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": indicator_id,
            "created": "2026-10-01T00:00:00.000Z",
            "modified": "2026-10-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '{address}']",
            "pattern_type": "stix",
            "valid_from": "2026-10-01T00:00:00Z",
        },
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": f"relationship--{uuid.uuid4()}",
            "created": "2026-10-01T00:00:00.000Z",
            "modified": "2026-10-01T00:00:00.000Z",
            "relationship_type": "related-to",
            "source_ref": indicator_id,
            "target_ref": incident_id,
            "x_federation_role": "source",
        },
    ]


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(IncidentVersion)) or 0,
            session.scalar(select(func.count()).select_from(IncidentValue)) or 0,
        )


def test_versions_are_indexed_once_and_a_reader_of_both_keeps_earlier_indicators(
    db: Database, factory: Factory
) -> None:
    member = factory.member()
    collection_id = factory.collection()
    incident_id = f"incident--{uuid.uuid4()}"
    first = [
        _incident(incident_id, "2026-10-01T00:00:00.000Z"),
        *_indicator_for(incident_id, "192.0.2.1"),
    ]
    second = [
        _incident(incident_id, "2026-10-02T00:00:00.000Z"),
        *_indicator_for(incident_id, "192.0.2.2"),
    ]
    with db.session() as session:
        viewer = authenticate(session, "test-secret-key", member.token)
        access = access_for(viewer, find_collection(session, collection_id))
        ingest.add_objects(session, viewer, access, first)
        ingest.add_objects(session, viewer, access, first)  # already held: no new rows
        assert _counts(db) == (1, 1)
        ingest.add_objects(session, viewer, access, second)
    # Each version holds its own post's values; readers get the union over
    # the versions they may see.
    assert _counts(db) == (2, 2)
    with db.session() as session:
        newest = session.scalar(select(IncidentVersion).order_by(IncidentVersion.version.desc()))
        assert newest is not None
        assert newest.category == "scanning"
        shown = get_incident(session, viewer, incident_id, "test-secret-key")
        assert shown.row.pk == newest.pk
        assert sorted(v.value for v in shown.indicators) == ["192.0.2.1", "192.0.2.2"]


def test_revoked_incident_leaves_the_list(db: Database, factory: Factory) -> None:
    member = factory.member()
    collection_id = factory.collection()
    incident_id = f"incident--{uuid.uuid4()}"
    app: Flask = factory.app
    client = app.test_client()
    with db.session() as session:
        viewer = authenticate(session, "test-secret-key", member.token)
        access = access_for(viewer, find_collection(session, collection_id))
        ingest.add_objects(
            session, viewer, access, [_incident(incident_id, "2026-10-01T00:00:00.000Z")]
        )
        listed = client.get("/api/v1/incidents", headers=member.auth).get_json()["incidents"]
        assert [i["id"] for i in listed] == [incident_id]
        revoked = _incident(incident_id, "2026-10-03T00:00:00.000Z", revoked=True)
        ingest.add_objects(session, viewer, access, [revoked])
    assert client.get("/api/v1/incidents", headers=member.auth).get_json()["incidents"] == []
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=member.auth).status_code == 404
