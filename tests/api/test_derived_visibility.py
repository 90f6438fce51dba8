"""Derived data obeys the visibility of its sources, seen by a hostile member (issue 10).

The incident index, ``?ip=``/``?asn=`` filters, related objects, correlations
and the hub's own identity objects, read over REST and TAXII by another
organisation and by the police, after the acts of a member who posts crafted
STIX, guesses ids and compares answers.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.domain.vocabulary import INCIDENT_EXTENSION_ID
from tests.api.incident_helpers import listed, post_incident, report
from tests.conftest import Factory
from tests.helpers import Member, indicator, objects_url

HIDDEN = "203.0.113.99"
SHARED = [{"type": "ipv4-addr", "value": "198.51.100.7", "role": "source"}]


def _detail(client: FlaskClient, member: Member, stix_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/incidents/{stix_id}", headers=member.auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _taxii_post(client: FlaskClient, member: Member, collection: str, *objects: Any) -> Any:
    response = client.post(
        objects_url(collection),
        data=json.dumps({"objects": list(objects)}),
        headers=member.post_headers,
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def _new_version(client: FlaskClient, member: Member, stix_id: str, **changes: Any) -> Any:
    """The stored incident document (as ``member`` sees it), a day later, with ``changes``."""
    bundle = client.get(f"/api/v1/incidents/{stix_id}/stix", headers=member.auth).get_json()
    incident = dict(bundle["objects"][0])
    incident["modified"] = "2030-01-01T00:00:00.000Z"
    incident.pop("x_federation_recipients", None)
    incident.update(changes)
    return incident


def _own_indicator(incident_id: str, address: str, tlp: Tlp) -> list[dict[str, Any]]:
    ind = indicator(
        pattern=f"[ipv4-addr:value = '{address}']",
        object_marking_refs=[TLP2_MARKING_IDS[tlp]],
    )
    link = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": f"relationship--{uuid.uuid4()}",
        "created": "2030-01-01T00:00:00.000Z",
        "modified": "2030-01-01T00:00:00.000Z",
        "relationship_type": "related-to",
        "source_ref": ind["id"],
        "target_ref": incident_id,
        "x_federation_role": "source",
        "object_marking_refs": [TLP2_MARKING_IDS[tlp]],
    }
    return [ind, link]


def test_a_hostile_new_version_of_a_hidden_incident_reveals_none_of_its_indicators(
    client: FlaskClient, factory: Factory
) -> None:
    """Finding 2: A "versions" B's RED incident, whose id it learnt elsewhere."""
    owner = factory.member("Victim ISP")
    hostile = factory.member("Hostile ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    hidden = [{"type": "ipv4-addr", "value": HIDDEN, "role": "c2"}]
    red = post_incident(client, owner, report(collection, tlp="red", indicators=hidden))["id"]
    incident = {
        "type": "incident",
        "spec_version": "2.1",
        "id": red,
        "created": "2026-11-30T10:00:00.000Z",
        "modified": "2030-01-01T00:00:00.000Z",
        "name": "Nothing to see",
        "object_marking_refs": [TLP2_MARKING_IDS[Tlp.GREEN]],
        "extensions": {
            INCIDENT_EXTENSION_ID: {
                "extension_type": "property-extension",
                "incident_types": ["ddos"],
            }
        },
    }
    # Accepted today, refused once only creators may version an object: the
    # answers below must hold either way.
    _taxii_post(client, hostile, collection, incident, *_own_indicator(red, "192.0.2.5", Tlp.GREEN))

    for reader in (hostile, police):
        assert listed(client, reader, ip=HIDDEN) == []
        assert listed(client, reader, ip="203.0.113.0/24") == []
        for suffix in ("", "/stix"):
            response = client.get(f"/api/v1/incidents/{red}{suffix}", headers=reader.auth)
            assert HIDDEN not in response.get_data(as_text=True)
    # The reporter still finds its own incident by its own indicator.
    assert listed(client, owner, ip=HIDDEN) == [red]
    assert HIDDEN in {v["value"] for v in _detail(client, owner, red)["indicators"]}


def test_a_downgraded_incident_keeps_the_red_versions_indicators_from_other_readers(
    client: FlaskClient, factory: Factory
) -> None:
    """Finding 2 without a hostile poster: the values of a version come only to
    those who may see that version."""
    owner = factory.member("Victim ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    hidden = [{"type": "ipv4-addr", "value": HIDDEN, "role": "c2"}]
    red = post_incident(client, owner, report(collection, tlp="red", indicators=hidden))["id"]
    green = _new_version(
        client, owner, red, object_marking_refs=[TLP2_MARKING_IDS[Tlp.GREEN]], name="Public now"
    )
    body = _taxii_post(
        client, owner, collection, green, *_own_indicator(red, "192.0.2.5", Tlp.GREEN)
    )
    assert body["failure_count"] == 0, body

    assert listed(client, police) == [red]
    assert listed(client, police, ip=HIDDEN) == []
    assert listed(client, police, ip="192.0.2.5") == [red]
    assert listed(client, police, asn=64500) == []
    seen = _detail(client, police, red)
    assert seen["title"] == "Public now"
    assert [v["value"] for v in seen["indicators"]] == ["192.0.2.5"]
    assert seen["affected_prefixes"] == []
    assert seen["affected_asns"] == []
    assert HIDDEN not in json.dumps(seen)
    own = _detail(client, owner, red)
    assert {v["value"] for v in own["indicators"]} == {HIDDEN, "192.0.2.5"}
    assert listed(client, owner, ip=HIDDEN) == [red]


@pytest.mark.parametrize("earlier", ["report", "sighting", "note"])
def test_an_unattributed_report_never_lists_its_posters_identity(
    client: FlaskClient, factory: Factory, earlier: str
) -> None:
    """Finding 3: an attributed object of A already sits in the collection."""
    poster = factory.member("Quiet ISP")
    other = factory.member("Other ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    attributed = None
    if earlier == "report":
        attributed = post_incident(client, poster, report(collection))["id"]
    else:
        elsewhere = post_incident(client, other, report(collection))["id"]
        body = {"count": 1} if earlier == "sighting" else {"content": "seen it too"}
        response = client.post(
            f"/api/v1/incidents/{elsewhere}/{earlier}s", json=body, headers=poster.auth
        )
        assert response.status_code == 201, response.get_json()
    quiet = post_incident(client, poster, report(collection, unattributed=True))["id"]

    for reader in (other, police):
        bundle = client.get(f"/api/v1/incidents/{quiet}/stix", headers=reader.auth)
        assert bundle.status_code == 200
        # Correlations list the poster's attributed report as they list
        # everyone's; the report itself names no one.
        own_fields = {
            k: v for k, v in _detail(client, reader, quiet).items() if k != "correlations"
        }
        for text in (bundle.get_data(as_text=True), json.dumps(own_fields)):
            assert poster.identity_id not in text
            assert "Quiet ISP" not in text
        if attributed is not None:
            # The attributed report still names its reporter.
            objects = _detail(client, reader, attributed)["objects"]
            assert poster.identity_id in json.dumps(objects)
    own = _detail(client, poster, quiet)
    assert own["reporter"]["identity"] == poster.identity_id


def test_correlations_include_every_organisations_reports_so_they_unmask_no_one(
    client: FlaskClient, factory: Factory
) -> None:
    """Finding 4: the police compare which reports correlate with which."""
    quiet = factory.member("Quiet ISP")
    other = factory.member("Other ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    named = post_incident(client, quiet, report(collection, indicators=SHARED))["id"]
    hidden = [
        post_incident(client, quiet, report(collection, indicators=SHARED, unattributed=True))["id"]
        for _ in range(2)
    ]
    theirs = post_incident(client, other, report(collection, indicators=SHARED))["id"]
    everyone = {named, theirs, *hidden}

    counts = set()
    for stix_id in everyone:
        seen = _detail(client, police, stix_id)["correlations"]
        assert {c["id"] for c in seen["incidents"]} == everyone - {stix_id}
        counts.add(seen["organisations"])
        for correlated in seen["incidents"]:
            assert correlated["shared"] == SHARED
            if correlated["id"] in hidden:
                assert correlated["reporter"]["sector"] == "unattributed"
                assert correlated["reporter"]["identity"] != quiet.identity_id
    # Every report is "also seen by" the same number: none stands out as the
    # one whose reporter was left out of its own correlations.
    assert counts == {3}
    for stix_id in hidden:
        seen = _detail(client, police, stix_id)
        named_in = [c for c in seen["correlations"]["incidents"] if c["id"] == named]
        text = json.dumps({**seen, "correlations": None}) + json.dumps(
            [c for c in seen["correlations"]["incidents"] if c["id"] != named]
        )
        assert quiet.identity_id not in text
        assert "Quiet ISP" not in text
        assert named_in[0]["reporter"]["identity"] == quiet.identity_id
    # The reporter sees its own reports among the correlations, named.
    own = _detail(client, quiet, named)["correlations"]
    assert {c["id"] for c in own["incidents"]} == everyone - {named}
    assert own["organisations"] == 1


def _manifest(client: FlaskClient, member: Member, collection: str) -> tuple[Any, ...]:
    response = client.get(
        objects_url(collection).replace("objects/", "manifest/"), headers=member.headers
    )
    assert response.status_code == 200
    headers = {k: v for k, v in response.headers.items() if k.startswith("X-TAXII-Date-Added")}
    return response.get_json(), headers


def test_a_hidden_first_report_moves_no_other_readers_manifest(
    client: FlaskClient, factory: Factory
) -> None:
    """Finding 10: B's first report is RED; B's identity comes with its TLP."""
    bystander = factory.member("Other ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    newcomer = factory.member("New ISP")
    collection = factory.collection()
    post_incident(client, bystander, report(collection))
    before = _manifest(client, bystander, collection)
    objects_before = client.get(objects_url(collection), headers=bystander.headers).get_json()
    stats_before = client.get("/api/v1/stats", headers=bystander.auth).get_json()

    post_incident(client, newcomer, report(collection, tlp="red", recipients=["Regional Police"]))

    assert _manifest(client, bystander, collection) == before
    assert client.get(objects_url(collection), headers=bystander.headers).get_json() == (
        objects_before
    )
    assert client.get("/api/v1/stats", headers=bystander.auth).get_json() == stats_before
    identity = client.get(
        objects_url(collection) + f"{newcomer.identity_id}/", headers=bystander.headers
    )
    assert identity.status_code == 404
    # The recipient resolves the reporter of what it may read.
    shown = client.get(objects_url(collection) + f"{newcomer.identity_id}/", headers=police.headers)
    assert shown.status_code == 200
    assert shown.get_json()["objects"][0]["object_marking_refs"] == [TLP2_MARKING_IDS[Tlp.RED]]

    # A GREEN report brings the identity to everyone, marked like the report.
    post_incident(client, newcomer, report(collection, tlp="green"))
    seen = client.get(
        objects_url(collection) + f"{newcomer.identity_id}/", headers=bystander.headers
    )
    assert seen.status_code == 200
    assert [o["object_marking_refs"] for o in seen.get_json()["objects"]] == [
        [TLP2_MARKING_IDS[Tlp.GREEN]]
    ]


@pytest.mark.parametrize("kind", ["sightings", "notes"])
def test_the_reporters_follow_up_on_its_unattributed_incident_stays_unattributed(
    client: FlaskClient, factory: Factory, kind: str
) -> None:
    poster = factory.member("Quiet ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    quiet = post_incident(client, poster, report(collection, unattributed=True))["id"]
    body = {"count": 2} if kind == "sightings" else {"content": "blocked at the edge"}
    response = client.post(f"/api/v1/incidents/{quiet}/{kind}", json=body, headers=poster.auth)
    assert response.status_code == 201, response.get_json()

    detail = client.get(f"/api/v1/incidents/{quiet}", headers=police.auth)
    objects = client.get(objects_url(collection), headers=police.headers)
    for text in (detail.get_data(as_text=True), objects.get_data(as_text=True)):
        assert poster.identity_id not in text
        assert "Quiet ISP" not in text
    follow_ups = [o for o in objects.get_json()["objects"] if o["type"] in ("sighting", "note")]
    assert len(follow_ups) == 1
    assert detail.get_json()["sightings" if kind == "sightings" else "notes"]
    own = client.get(objects_url(collection), headers=poster.headers).get_json()["objects"]
    assert poster.identity_id in json.dumps([o for o in own if o["type"] in ("sighting", "note")])


def test_an_indicator_marked_narrower_than_its_incident_is_not_derived_into_it(
    client: FlaskClient, factory: Factory
) -> None:
    """A GREEN incident posted with a RED indicator for the police only."""
    poster = factory.member("Example ISP")
    other = factory.member("Other ISP")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    collection = factory.collection()
    incident_id = f"incident--{uuid.uuid4()}"
    incident = {
        "type": "incident",
        "spec_version": "2.1",
        "id": incident_id,
        "created": "2030-01-01T00:00:00.000Z",
        "modified": "2030-01-01T00:00:00.000Z",
        "name": "Mixed markings",
        "object_marking_refs": [TLP2_MARKING_IDS[Tlp.GREEN]],
    }
    red = _own_indicator(incident_id, HIDDEN, Tlp.RED)
    for obj in red:
        obj["x_federation_recipients"] = [police.identity_id]
    green = _own_indicator(incident_id, "192.0.2.5", Tlp.GREEN)
    body = _taxii_post(client, poster, collection, incident, *red, *green)
    assert body["failure_count"] == 0, body

    assert listed(client, other, ip=HIDDEN) == []
    assert listed(client, other, ip="192.0.2.5") == [incident_id]
    seen = _detail(client, other, incident_id)
    assert [v["value"] for v in seen["indicators"]] == ["192.0.2.5"]
    assert HIDDEN not in json.dumps(seen)
    # The police, a recipient, still get the RED indicator itself over TAXII.
    shown = client.get(objects_url(collection) + f"{red[0]['id']}/", headers=police.headers)
    assert shown.status_code == 200
