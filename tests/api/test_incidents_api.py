"""The incident API: reporting, listing with filters and pages, detail, follow-ups."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.storage.models import AccessReceipt, AuditEvent
from federation.web.db import database
from tests.api.incident_helpers import listed, post_incident, report
from tests.conftest import Factory


def test_posting_a_report_answers_with_the_incident_and_where_it_lives(
    client: FlaskClient, factory: Factory
) -> None:
    analyst = factory.member("Example ISP")
    collection = factory.collection()
    response = client.post("/api/v1/incidents", json=report(collection), headers=analyst.auth)
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/incidents/{body['id']}")
    assert body["id"].startswith("incident--")
    assert body["title"] == "DDoS on a customer's resolver"
    assert body["category"] == "ddos"
    assert body["determination"] == "confirmed"
    assert body["investigation_status"] == "open"
    assert body["criticality"] == 70
    assert body["tlp"] == "green"
    assert body["reporter"] == {"sector": "isp", "identity": analyst.identity_id}
    assert body["first_seen"].startswith("2026-11-30T10:00:00")
    assert body["last_seen"].startswith("2026-11-30T12:30:00")
    assert body["affected_asns"] == [64500]
    assert body["affected_prefixes"] == ["203.0.113.0/24"]
    assert body["affected_services"] == ["dns"]
    assert body["external_references"] == [{"source_name": "ticket", "external_id": "INC-42"}]
    assert sorted((i["type"], i["value"], i["role"]) for i in body["indicators"]) == [
        ("domain-name", "c2.example.net", "c2"),
        ("ipv4-addr", "198.51.100.7", "source"),
    ]
    assert body["sightings"] == 0
    assert body["correlations"] == {"organisations": 0, "incidents": []}
    assert {o["type"] for o in body["objects"]} >= {"indicator", "relationship", "identity"}
    assert client.get(f"/api/v1/incidents/{body['id']}", headers=analyst.auth).get_json() == body


def test_list_filters_by_category_status_tlp_sector_asn_text_and_time(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member("Example ISP")
    csirt = factory.member("National CSIRT", sector="csirt")
    reader = factory.member("Reader Org", role="reader")
    collection = factory.collection()
    ddos = post_incident(client, isp, report(collection))["id"]
    phishing = post_incident(
        client,
        csirt,
        report(
            collection,
            title="Phishing kit on a hosted site",
            category="phishing",
            investigation_status="closed",
            tlp="clear",
            affected_asns=[64511],
        ),
    )["id"]

    assert listed(client, reader) == [phishing, ddos]
    assert listed(client, reader, category="ddos") == [ddos]
    assert listed(client, reader, investigation_status="closed") == [phishing]
    assert listed(client, reader, tlp="clear") == [phishing]
    assert listed(client, reader, tlp="red") == []
    assert listed(client, reader, sector="csirt") == [phishing]
    assert listed(client, reader, asn=64500) == [ddos]
    assert listed(client, reader, q="PHISHING kit") == [phishing]
    assert listed(client, reader, q="100%_") == []
    assert listed(client, reader, since="2000-01-01T00:00:00Z") == [phishing, ddos]
    assert listed(client, reader, until="2000-01-01T00:00:00Z") == []


def test_ip_and_cidr_filters_find_incidents_whose_indicators_fall_in_them(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member()
    collection = factory.collection()
    v4 = post_incident(client, isp, report(collection))["id"]
    v6 = post_incident(
        client,
        isp,
        report(
            collection,
            indicators=[{"type": "ipv6-addr", "value": "2001:db8:5::/48", "role": "source"}],
            affected_prefixes=[],
        ),
    )["id"]
    assert listed(client, isp, ip="198.51.100.7") == [v4]
    assert listed(client, isp, ip="198.51.100.0/24") == [v4]
    assert listed(client, isp, ip="198.51.0.0/16") == [v4]
    assert listed(client, isp, ip="198.51.101.0/24") == []
    # The affected prefix counts too: ISPs look for incidents in their network.
    assert listed(client, isp, ip="203.0.113.0/24") == [v4]
    assert listed(client, isp, ip="2001:db8::/32") == [v6]
    assert listed(client, isp, ip="2001:db8:5:1::/64") == []
    assert listed(client, isp, ip="::/0") == [v6]
    assert listed(client, isp, ip="0.0.0.0/0") == [v4]


def test_pages_follow_the_cursor_newest_first_without_repeats(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member()
    collection = factory.collection()
    posted = [
        post_incident(client, isp, report(collection, title=f"Incident {n}"))["id"]
        for n in range(5)
    ]
    seen: list[str] = []
    params: dict[str, object] = {"limit": 2}
    while True:
        page = client.get("/api/v1/incidents", query_string=params, headers=isp.auth).get_json()
        seen += [i["id"] for i in page["incidents"]]
        if not page["more"]:
            assert page["next"] is None
            break
        params["cursor"] = page["next"]
    assert seen == list(reversed(posted))


def test_owner_updates_make_a_new_version_that_keeps_and_adds_indicators(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member("Example ISP")
    collection = factory.collection()
    created = post_incident(client, isp, report(collection))
    response = client.patch(
        f"/api/v1/incidents/{created['id']}",
        json={
            "investigation_status": "closed",
            "determination": "blocked",
            "criticality": 10,
            "title": "DDoS mitigated",
            "add_indicators": [{"type": "url", "value": "http://bad.example/x", "role": "c2"}],
        },
        headers=isp.auth,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["investigation_status"] == "closed"
    assert body["determination"] == "blocked"
    assert body["criticality"] == 10
    assert body["title"] == "DDoS mitigated"
    assert body["modified"] > created["modified"]
    assert {i["value"] for i in body["indicators"]} == {
        "198.51.100.7",
        "c2.example.net",
        "http://bad.example/x",
    }
    assert listed(client, isp, investigation_status="open") == []
    assert listed(client, isp, investigation_status="closed") == [created["id"]]
    versions = client.get(
        f"/taxii2/hub/collections/{collection}/objects/{created['id']}/versions/",
        headers=isp.headers,
    ).get_json()["versions"]
    assert len(versions) == 2


def test_only_the_reporting_organisation_may_update_an_incident(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member("Example ISP")
    other = factory.member("Other ISP")
    collection = factory.collection()
    created = post_incident(client, isp, report(collection))
    response = client.patch(
        f"/api/v1/incidents/{created['id']}",
        json={"investigation_status": "closed"},
        headers=other.auth,
    )
    assert response.status_code == 403
    assert listed(client, isp, investigation_status="closed") == []


def test_sightings_and_notes_are_stix_objects_counted_on_the_incident(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member("Example ISP")
    other = factory.member("Other ISP")
    collection = factory.collection()
    created = post_incident(client, isp, report(collection))
    url = f"/api/v1/incidents/{created['id']}"
    response = client.post(
        f"{url}/sightings",
        json={"count": 12, "first_seen": "2026-11-30T11:00:00Z"},
        headers=other.auth,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["sightings"] == 1
    client.post(f"{url}/sightings", json={}, headers=isp.auth)
    response = client.post(
        f"{url}/notes",
        json={"content": "Upstream filters in place", "abstract": "Mitigation"},
        headers=other.auth,
    )
    assert response.status_code == 201
    detail = client.get(url, headers=isp.auth).get_json()
    assert detail["sightings"] == 2
    assert [n["content"] for n in detail["notes"]] == ["Upstream filters in place"]
    objects = client.get(
        f"/taxii2/hub/collections/{collection}/objects/",
        query_string={"match[type]": "sighting"},
        headers=isp.headers,
    ).get_json()["objects"]
    mine = next(o for o in objects if o["count"] == 12)
    assert mine["sighting_of_ref"] == created["id"]
    assert mine["where_sighted_refs"] == [other.identity_id]
    assert mine["object_marking_refs"] == created_marking(client, isp, created["id"])


def created_marking(client: FlaskClient, member: object, stix_id: str) -> list[str]:
    bundle = client.get(f"/api/v1/incidents/{stix_id}/stix", headers=member.auth).get_json()  # type: ignore[attr-defined]
    marking: list[str] = bundle["objects"][0]["object_marking_refs"]
    return marking


def test_unattributed_sighting_shows_a_pseudonym_to_other_organisations(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member("Example ISP")
    quiet = factory.member("Quiet ISP")
    collection = factory.collection()
    created = post_incident(client, isp, report(collection))
    url = f"/api/v1/incidents/{created['id']}/sightings"
    assert client.post(url, json={"unattributed": True}, headers=quiet.auth).status_code == 201
    text = client.get(
        f"/taxii2/hub/collections/{collection}/objects/", headers=isp.headers
    ).get_data(as_text=True)
    assert quiet.identity_id not in text
    assert "Quiet ISP" not in text


def test_reporting_and_reading_incidents_is_audited_with_receipts_for_the_reporter(
    client: FlaskClient, factory: Factory, app: Flask
) -> None:
    isp = factory.member("Example ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    created = post_incident(client, isp, report(collection))
    listed(client, police)
    client.get(f"/api/v1/incidents/{created['id']}", headers=police.auth)
    client.get(f"/api/v1/incidents/{created['id']}/stix", headers=police.auth)
    with database(app).session() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        receipts = list(session.scalars(select(AccessReceipt)))
    assert actions[-4:] == [
        "api.create_incident",
        "api.list_incidents",
        "api.get_incident",
        "api.get_incident_stix",
    ]
    assert [(r.reader_sector, r.object_count) for r in receipts] == [("law-enforcement", 2)]
