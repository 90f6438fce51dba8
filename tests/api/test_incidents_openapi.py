"""The incident endpoints answer what the OpenAPI document declares, even for hostile input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from federation.storage.models import ObjectVersion
from federation.web.db import database
from tests.api.incident_helpers import post_incident, report
from tests.conftest import Factory
from tests.helpers import Member


def _check(doc: dict[str, Any], path: str, method: str, status: int, body: object) -> None:
    responses = doc["paths"][path][method]["responses"]
    declared = responses.get(str(status), responses["default"])
    content = declared["content"]
    media = "application/json" if "application/json" in content else "application/problem+json"
    schema = {**content[media]["schema"], "components": doc["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
    assert not errors, [e.message for e in errors]


def test_incident_responses_match_their_declared_schemas(
    client: FlaskClient, factory: Factory
) -> None:
    analyst = factory.member("Example ISP")
    other = factory.member("Other ISP")
    collection = factory.collection()
    doc = client.get("/api/v1/openapi.json", headers=analyst.auth).get_json()
    for path in ("/api/v1/incidents", "/api/v1/incidents/{incident_id}", "/api/v1/stats"):
        assert path in doc["paths"]
    created = post_incident(client, analyst, report(collection))
    _check(doc, "/api/v1/incidents", "post", 201, created)
    post_incident(client, other, report(collection, unattributed=True))
    item = f"/api/v1/incidents/{created['id']}"
    client.post(f"{item}/notes", json={"content": "seen"}, headers=other.auth)
    calls: list[tuple[str, str, str, Member, dict[str, Any] | None]] = [
        ("/api/v1/incidents", "get", "/api/v1/incidents?limit=1", other, None),
        ("/api/v1/incidents", "get", "/api/v1/incidents?ip=198.51.100.0/24", other, None),
        ("/api/v1/incidents/{incident_id}", "get", item, other, None),
        ("/api/v1/incidents/{incident_id}/stix", "get", f"{item}/stix", other, None),
        ("/api/v1/incidents/{incident_id}", "patch", item, analyst, {"criticality": 5}),
        ("/api/v1/incidents/{incident_id}/sightings", "post", f"{item}/sightings", other, {}),
        ("/api/v1/incidents/{incident_id}/notes", "post", f"{item}/notes", other, {"content": "x"}),
        ("/api/v1/stats", "get", "/api/v1/stats", other, None),
        ("/api/v1/incidents", "get", "/api/v1/incidents?limit=0", other, None),
        ("/api/v1/incidents/{incident_id}", "get", "/api/v1/incidents/nope", other, None),
    ]
    for path, method, url, member, body in calls:
        response = getattr(client, method)(url, json=body, headers=member.auth)
        assert response.status_code < 500
        _check(doc, path, method, response.status_code, response.get_json())


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/incidents/incident--%00",
        "/api/v1/incidents/" + "x" * 5000,
        "/api/v1/incidents/%F0%9F%92%A5/stix",
        "/api/v1/incidents?q=%00",
        "/api/v1/incidents?ip=%00",
        "/api/v1/incidents?cursor=eyJjIjoxLCJpIjoiXHUwMDAwIn0",
    ],
)
def test_hostile_paths_and_parameters_are_client_errors(
    client: FlaskClient, factory: Factory, url: str
) -> None:
    reader = factory.member(role="reader")
    response = client.get(url, headers=reader.auth)
    assert 400 <= response.status_code < 500
    assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "change",
    [
        {"description": "nul \x00 here"},
        {"title": "lone \ud800 surrogate"},
        {"recipients": ["\ud800"]},
        {"collection": "\x00"},
        {"external_references": [{"source_name": "x", "description": "\x00"}]},
    ],
)
def test_unstorable_text_is_a_422_and_stores_nothing(
    client: FlaskClient, factory: Factory, app: Flask, change: dict[str, Any]
) -> None:
    analyst = factory.member()
    collection = factory.collection()
    body = json.dumps({**report(collection), **change})
    response = client.post(
        "/api/v1/incidents",
        data=body,
        headers={**analyst.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    assert set(response.get_json()["errors"]) == set(change)
    with database(app).session() as session:
        assert session.scalar(select(func.count()).select_from(ObjectVersion)) == 0
