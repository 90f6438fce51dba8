"""Peer accounts are for TAXII federation only: no REST incident writes (issue 10, finding 11)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from federation.storage.models import IncidentVersion, ObjectVersion
from federation.web.db import database
from tests.api.incident_helpers import post_incident, report
from tests.api.test_rest_orgs import assert_problem
from tests.conftest import Factory
from tests.helpers import indicator, objects_url

PEER_ONLY = "TAXII only"


def stored(app: Flask) -> tuple[int, int]:
    with database(app).session() as session:
        versions = session.scalar(select(func.count()).select_from(ObjectVersion)) or 0
        incidents = session.scalar(select(func.count()).select_from(IncidentVersion)) or 0
    return versions, incidents


def test_a_peer_account_cannot_report_an_incident_over_rest(
    client: FlaskClient, factory: Factory, app: Flask
) -> None:
    link = factory.member("Hub B", sector="hub", role="peer")
    collection = factory.collection()
    response = client.post("/api/v1/incidents", json=report(collection), headers=link.auth)
    assert PEER_ONLY in assert_problem(response, 403)["detail"]
    assert stored(app) == (0, 0)
    # The same body is refused before it is read: an invalid one is a 403 too.
    bad = client.post("/api/v1/incidents", json={"title": ""}, headers=link.auth)
    assert_problem(bad, 403)


def test_a_peer_account_cannot_update_sight_or_annotate_an_incident_over_rest(
    client: FlaskClient, factory: Factory, app: Flask
) -> None:
    analyst = factory.member("Hub B")
    link = factory.member("Hub B", role="peer")
    collection = factory.collection()
    created = post_incident(client, analyst, report(collection))
    url = f"/api/v1/incidents/{created['id']}"
    before = stored(app)

    patched = client.patch(url, json={"investigation_status": "closed"}, headers=link.auth)
    sighting = client.post(f"{url}/sightings", json={"count": 3}, headers=link.auth)
    note = client.post(f"{url}/notes", json={"content": "seen here"}, headers=link.auth)
    for response in (patched, sighting, note):
        assert PEER_ONLY in assert_problem(response, 403)["detail"]
    assert stored(app) == before
    detail = client.get(url, headers=analyst.auth).get_json()
    assert detail["investigation_status"] == "open"
    assert (detail["sightings"], detail["notes"]) == (0, [])


def test_a_peer_account_still_pushes_stix_over_taxii(
    client: FlaskClient, factory: Factory, app: Flask
) -> None:
    link = factory.member("Hub B", sector="hub", role="peer")
    collection = factory.collection()
    pushed = client.post(
        objects_url(collection),
        json={"objects": [indicator()]},
        headers=link.post_headers,
    )
    assert pushed.status_code == 202, pushed.get_data(as_text=True)
    assert pushed.get_json()["success_count"] == 1
    assert stored(app)[0] == 1
