"""Round trip: a REST report is STIX over TAXII, and raw STIX shows up in the REST list."""

from __future__ import annotations

import json
from typing import Any

import stix2
from flask.testing import FlaskClient
from stix2validator import ValidationOptions, validate_instance

from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.domain.vocabulary import INCIDENT_EXTENSION_ID
from tests.api.incident_helpers import listed, post_incident, report
from tests.conftest import Factory
from tests.helpers import objects_url


@stix2.v21.CustomExtension(
    INCIDENT_EXTENSION_ID,
    [
        ("determination", stix2.properties.StringProperty(required=True)),
        ("investigation_status", stix2.properties.StringProperty(required=True)),
        ("criticality", stix2.properties.IntegerProperty(min=0, max=100)),
        ("incident_types", stix2.properties.ListProperty(stix2.properties.StringProperty)),
    ],
)
class IncidentCoreExtension:
    extension_type = "property-extension"


def _taxii_objects(client: FlaskClient, member: Any, collection: str) -> list[dict[str, Any]]:
    response = client.get(objects_url(collection), headers=member.headers)
    assert response.status_code == 200
    objects: list[dict[str, Any]] = response.get_json()["objects"]
    return objects


def test_reported_incident_reads_back_through_taxii_as_valid_stix_for_another_organisation(
    client: FlaskClient, factory: Factory
) -> None:
    reporter = factory.member("Example ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    created = post_incident(client, reporter, report(collection, tlp="amber"))

    objects = _taxii_objects(client, police, collection)
    incident = next(o for o in objects if o["type"] == "incident")
    assert incident["id"] == created["id"]
    assert incident["object_marking_refs"] == [TLP2_MARKING_IDS[Tlp.AMBER]]
    extension = incident["extensions"][INCIDENT_EXTENSION_ID]
    assert extension["extension_type"] == "property-extension"
    assert extension["determination"] == "confirmed"
    assert extension["investigation_status"] == "open"
    assert extension["criticality"] == 70
    assert extension["incident_types"] == ["denial-of-service"]
    types = sorted(o["type"] for o in objects)
    assert types.count("indicator") == 2
    assert {"identity", "ipv4-addr", "domain-name", "autonomous-system", "relationship"} <= set(
        types
    )
    bundle = {
        "type": "bundle",
        "id": "bundle--0c5b4f8a-0b69-4c6f-8d1b-5b0f8c5e2a01",
        "objects": objects,
    }
    parsed = stix2.parse(json.dumps(bundle), allow_custom=True)
    parsed_incident = next(o for o in parsed.objects if o.type == "incident")
    assert isinstance(parsed_incident.extensions[INCIDENT_EXTENSION_ID], IncidentCoreExtension)
    results = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    for obj in objects:
        if obj["type"] != "identity":
            assert obj["object_marking_refs"] == [TLP2_MARKING_IDS[Tlp.AMBER]], obj["type"]


def test_stix_endpoint_returns_the_same_objects_as_a_bundle(
    client: FlaskClient, factory: Factory
) -> None:
    reporter = factory.member()
    collection = factory.collection()
    created = post_incident(client, reporter, report(collection))
    response = client.get(f"/api/v1/incidents/{created['id']}/stix", headers=reporter.auth)
    assert response.status_code == 200
    bundle = response.get_json()
    assert bundle["type"] == "bundle"
    assert bundle["objects"][0]["id"] == created["id"]
    taxii_ids = {o["id"] for o in _taxii_objects(client, reporter, collection)}
    assert {o["id"] for o in bundle["objects"]} == taxii_ids
    assert validate_instance(bundle, ValidationOptions(version="2.1")).is_valid


def test_incident_posted_as_raw_stix_over_taxii_is_listed_by_the_rest_api(
    client: FlaskClient, factory: Factory
) -> None:
    poster = factory.member("Feed ISP")
    reader = factory.member("Other ISP", role="reader")
    collection = factory.collection()
    incident = {
        "type": "incident",
        "spec_version": "2.1",
        "id": "incident--7b1e9a3c-4c1f-4f8e-9a55-0d1f2e3a4b5c",
        "created": "2026-11-01T08:00:00.000Z",
        "modified": "2026-11-01T08:00:00.000Z",
        "name": "Phishing wave against bank customers",
        "extensions": {
            INCIDENT_EXTENSION_ID: {
                "extension_type": "property-extension",
                "determination": "suspected",
                "investigation_status": "new",
                "incident_types": ["dissemination-phishing-emails"],
            }
        },
        "object_marking_refs": [TLP2_MARKING_IDS[Tlp.GREEN]],
    }
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "created": "2026-11-01T08:00:00.000Z",
        "modified": "2026-11-01T08:00:00.000Z",
        "pattern": "[ipv4-addr:value = '192.0.2.77']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T08:00:00Z",
        # Marked like the incident: an unmarked one would be the collection's
        # AMBER, which a reader of the GREEN incident (a peer capped at GREEN)
        # may not see, so its value would not be derived into the incident.
        "object_marking_refs": [TLP2_MARKING_IDS[Tlp.GREEN]],
    }
    link = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": "relationship--2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
        "created": "2026-11-01T08:00:00.000Z",
        "modified": "2026-11-01T08:00:00.000Z",
        "relationship_type": "related-to",
        "source_ref": indicator["id"],
        "target_ref": incident["id"],
        "object_marking_refs": [TLP2_MARKING_IDS[Tlp.GREEN]],
    }
    response = client.post(
        objects_url(collection),
        data=json.dumps({"objects": [incident, indicator, link]}),
        headers=poster.post_headers,
    )
    assert response.status_code == 202
    assert response.get_json()["failure_count"] == 0

    assert listed(client, reader) == [incident["id"]]
    assert listed(client, reader, category="phishing", ip="192.0.2.0/24") == [incident["id"]]
    assert listed(client, reader, ip="192.0.3.0/24") == []
    detail = client.get(f"/api/v1/incidents/{incident['id']}", headers=reader.auth).get_json()
    assert detail["title"] == "Phishing wave against bank customers"
    assert detail["tlp"] == "green"
    assert detail["indicators"] == [{"type": "ipv4-addr", "value": "192.0.2.77", "role": None}]
    assert {o["id"] for o in detail["objects"]} == {indicator["id"], link["id"]}
