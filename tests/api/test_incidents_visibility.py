"""Incident lists, details, correlations and statistics respect the one visibility rule."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from tests.api.incident_helpers import listed, post_incident, report
from tests.conftest import Factory
from tests.helpers import Member, objects_url


def _stats(client: FlaskClient, member: Member) -> dict[str, Any]:
    response = client.get("/api/v1/stats", headers=member.auth)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_red_incident_is_absent_for_other_organisations_everywhere(
    client: FlaskClient, factory: Factory
) -> None:
    owner = factory.member("Example ISP")
    other = factory.member("Other ISP")
    collection = factory.collection()
    red = post_incident(client, owner, report(collection, tlp="red"))["id"]
    green = post_incident(client, owner, report(collection, tlp="green"))["id"]

    assert listed(client, other) == [green]
    assert listed(client, other, tlp="red") == []
    assert listed(client, owner) == [green, red]
    absent = "incident--00000000-0000-4000-8000-000000000000"
    for suffix in ("", "/stix"):
        hidden = client.get(f"/api/v1/incidents/{red}{suffix}", headers=other.auth)
        missing = client.get(f"/api/v1/incidents/{absent}{suffix}", headers=other.auth)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_json() == missing.get_json()
    sighting = client.post(f"/api/v1/incidents/{red}/sightings", json={}, headers=other.auth)
    assert sighting.status_code == 404
    assert _stats(client, other)["total"] == 1
    assert _stats(client, owner)["total"] == 2


def test_red_incident_is_visible_to_named_recipients(client: FlaskClient, factory: Factory) -> None:
    owner = factory.member("Example ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    other = factory.member("Other ISP")
    collection = factory.collection()
    red = post_incident(
        client, owner, report(collection, tlp="red", recipients=["Regional Police"])
    )["id"]
    assert listed(client, police) == [red]
    assert listed(client, other) == []
    detail = client.get(f"/api/v1/incidents/{red}", headers=police.auth).get_json()
    assert detail["tlp"] == "red"
    assert {o["type"] for o in detail["objects"]} >= {"indicator", "relationship"}


def test_correlations_name_every_organisations_incidents_sharing_an_indicator_but_hidden_ones(
    client: FlaskClient, factory: Factory
) -> None:
    first = factory.member("First ISP")
    second = factory.member("Second ISP")
    third = factory.member("Third ISP")
    reader = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    shared = [{"type": "ipv4-addr", "value": "198.51.100.7", "role": "source"}]
    mine = post_incident(client, first, report(collection, indicators=shared))["id"]
    theirs = post_incident(client, second, report(collection, indicators=shared, tlp="clear"))
    red = post_incident(client, third, report(collection, indicators=shared, tlp="red"))
    own_again = post_incident(client, first, report(collection, indicators=shared))["id"]
    unrelated = post_incident(
        client,
        second,
        report(collection, indicators=[{"type": "ipv4-addr", "value": "192.0.2.1", "role": "c2"}]),
    )

    detail = client.get(f"/api/v1/incidents/{mine}", headers=reader.auth).get_json()
    found = {c["id"] for c in detail["correlations"]["incidents"]}
    # The reporter's own other incident correlates too (leaving it out would
    # unmask its unattributed reports), but adds no other organisation.
    assert found == {theirs["id"], own_again}
    assert red["id"] not in json.dumps(detail)
    assert unrelated["id"] not in found
    assert detail["correlations"]["organisations"] == 1
    correlated = next(c for c in detail["correlations"]["incidents"] if c["id"] == theirs["id"])
    assert correlated["shared"] == [
        {"type": "ipv4-addr", "value": "198.51.100.7", "role": "source"}
    ]
    assert correlated["reporter"]["sector"] == "isp"

    seen_by_third = client.get(f"/api/v1/incidents/{mine}", headers=third.auth).get_json()
    assert {c["id"] for c in seen_by_third["correlations"]["incidents"]} == {
        theirs["id"],
        red["id"],
        own_again,
    }
    assert seen_by_third["correlations"]["organisations"] == 2


def test_unattributed_incident_shows_no_sector_or_identity_to_outsiders(
    client: FlaskClient, factory: Factory
) -> None:
    poster = factory.member("Quiet ISP")
    colleague = factory.member("Quiet ISP", role="reader")
    other = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    created = post_incident(client, poster, report(collection, unattributed=True))["id"]

    outside = client.get("/api/v1/incidents", headers=other.auth).get_json()["incidents"][0]
    assert outside["reporter"]["sector"] == "unattributed"
    assert outside["reporter"]["identity"] != poster.identity_id
    assert outside["reporter"]["identity"].startswith("identity--")
    assert listed(client, other, sector="isp") == []
    assert listed(client, other, sector="unattributed") == [created]
    detail = client.get(f"/api/v1/incidents/{created}", headers=other.auth)
    stix = client.get(f"/api/v1/incidents/{created}/stix", headers=other.auth)
    for response in (detail, stix):
        assert poster.identity_id not in response.get_data(as_text=True)
        assert "Quiet ISP" not in response.get_data(as_text=True)
    stats = _stats(client, other)
    assert stats["per_sector"] == [{"sector": "unattributed", "incidents": 1}]
    assert stats["unattributed_incidents"] == 1
    assert sum(stats["reporting_frequency"].values()) == 0

    inside = client.get("/api/v1/incidents", headers=colleague.auth).get_json()["incidents"][0]
    assert inside["reporter"] == {"sector": "isp", "identity": poster.identity_id}
    assert _stats(client, colleague)["per_sector"] == [{"sector": "isp", "incidents": 1}]


def test_an_incident_stored_in_two_collections_is_listed_once_at_its_latest_version(
    client: FlaskClient, factory: Factory
) -> None:
    poster = factory.member("Example ISP")
    reader = factory.member("Other ISP", role="reader")
    shared = factory.collection(title="Shared")
    inbox = factory.collection(title="Inbox")
    created = post_incident(client, poster, report(shared))
    bundle = client.get(f"/api/v1/incidents/{created['id']}/stix", headers=poster.auth).get_json()
    incident = dict(bundle["objects"][0])
    incident["modified"] = "2030-01-01T00:00:00.000Z"
    incident["extensions"] = json.loads(json.dumps(incident["extensions"]))
    next(iter(incident["extensions"].values()))["investigation_status"] = "closed"
    response = client.post(
        objects_url(inbox),
        data=json.dumps({"objects": [*bundle["objects"][1:], incident]}),
        headers=poster.post_headers,
    )
    assert response.get_json()["failure_count"] == 0

    page = client.get("/api/v1/incidents", headers=reader.auth).get_json()["incidents"]
    assert [(i["id"], i["investigation_status"]) for i in page] == [(created["id"], "closed")]
    assert listed(client, reader, investigation_status="open") == []


def test_stats_count_per_category_and_week_and_how_often_organisations_report(
    client: FlaskClient, factory: Factory
) -> None:
    busy = factory.member("Busy ISP")
    csirt = factory.member("National CSIRT", sector="csirt")
    reader = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    for _ in range(3):
        post_incident(client, busy, report(collection))
    post_incident(client, csirt, report(collection, category="phishing"))

    stats = client.get("/api/v1/stats", query_string={"days": 3}, headers=reader.auth).get_json()
    assert stats["days"] == 3
    assert stats["total"] == 4
    weeks = {(w["category"], w["incidents"]) for w in stats["per_category_week"]}
    assert weeks == {("ddos", 3), ("phishing", 1)}
    assert all(len(w["week"]) == 10 for w in stats["per_category_week"])
    assert stats["per_sector"] == [
        {"sector": "csirt", "incidents": 1},
        {"sector": "isp", "incidents": 3},
    ]
    assert stats["reporting_frequency"] == {"daily": 1, "weekly": 1, "monthly": 0, "rarely": 0}


def test_a_red_incident_naming_a_members_network_reaches_its_rest_list_through_the_inbox(
    client: FlaskClient, factory: Factory
) -> None:
    poster = factory.member("Example ISP")
    routed_admin = factory.member("Routed ISP", role="org-admin")
    bystander = factory.member("Other ISP")
    # The routed ISP may not read the collection the incident is posted to.
    collection = factory.collection(read="Example ISP,Other ISP", write="Example ISP")
    org = client.get("/api/v1/orgs", headers=routed_admin.auth).get_json()["organisations"][0]
    declared = client.post(
        f"/api/v1/orgs/{org['id']}/networks",
        json={"network": "198.51.100.0/24"},
        headers=routed_admin.auth,
    )
    assert declared.status_code == 201, declared.get_json()

    created = post_incident(client, poster, report(collection, tlp="red"))

    assert listed(client, routed_admin) == [created["id"]]
    detail = client.get(f"/api/v1/incidents/{created['id']}", headers=routed_admin.auth)
    assert detail.status_code == 200
    assert listed(client, bystander) == []
