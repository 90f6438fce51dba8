"""Bad incident input: each invalid field is a 422 naming it, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from federation.storage.models import IncidentVersion, ObjectVersion
from federation.web.db import database
from tests.api.incident_helpers import post_incident, report
from tests.conftest import Factory

PROBLEM = "application/problem+json"
ABSENT = object()

# (field, invalid value, where the error is reported); ABSENT removes the field.
BAD_FIELDS: list[tuple[str, Any, str]] = [
    ("title", ABSENT, "title"),
    ("title", "", "title"),
    ("title", "   ", "title"),
    ("title", "x" * 301, "title"),
    ("title", "bell\x07", "title"),
    ("title", 42, "title"),
    ("description", ["not", "text"], "description"),
    ("description", "x" * 10_001, "description"),
    ("category", ABSENT, "category"),
    ("category", "earthquake", "category"),
    ("determination", "maybe", "determination"),
    ("investigation_status", "pending", "investigation_status"),
    ("criticality", 101, "criticality"),
    ("criticality", -1, "criticality"),
    ("criticality", "50", "criticality"),
    ("criticality", 5.5, "criticality"),
    ("first_seen", ABSENT, "first_seen"),
    ("first_seen", "yesterday", "first_seen"),
    ("first_seen", "2026-02-30T00:00:00Z", "first_seen"),
    ("last_seen", "2026-11-29T00:00:00Z", "last_seen"),
    ("affected_asns", [4_294_967_296], "affected_asns"),
    ("affected_asns", ["AS64500"], "affected_asns"),
    ("affected_asns", 64500, "affected_asns"),
    ("affected_prefixes", ["203.0.113.0/33"], "affected_prefixes"),
    ("affected_prefixes", ["not-a-network"], "affected_prefixes"),
    ("affected_services", [""], "affected_services"),
    ("indicators", [{"type": "ipv4-addr", "value": "999.1.1.1", "role": "source"}], "indicators"),
    ("indicators", [{"type": "ipv4-addr", "value": "2001:db8::1", "role": "source"}], "indicators"),
    ("indicators", [{"type": "ipv6-addr", "value": "192.0.2.1", "role": "source"}], "indicators"),
    (
        "indicators",
        [{"type": "domain-name", "value": "no spaces.example", "role": "c2"}],
        "indicators",
    ),
    ("indicators", [{"type": "url", "value": "not a url", "role": "c2"}], "indicators"),
    ("indicators", [{"type": "email-addr", "value": "nobody", "role": "source"}], "indicators"),
    ("indicators", [{"type": "sha256", "value": "abc", "role": "infrastructure"}], "indicators"),
    ("indicators", [{"type": "md5", "value": "z" * 32, "role": "infrastructure"}], "indicators"),
    ("indicators", [{"type": "mutex", "value": "x", "role": "source"}], "indicators"),
    ("indicators", [{"type": "ipv4-addr", "value": "192.0.2.1", "role": "victim"}], "indicators"),
    ("indicators", [{"type": "ipv4-addr", "value": "192.0.2.1"}], "indicators"),
    (
        "indicators",
        [{"type": "ipv4-addr", "value": "192.0.2.1", "role": "c2", "x": 1}],
        "indicators",
    ),
    ("indicators", "198.51.100.7", "indicators"),
    ("tlp", "purple", "tlp"),
    ("collection", ABSENT, "collection"),
    ("collection", "no-such-collection", "collection"),
    ("recipients", ["No Such Organisation"], "recipients"),
    ("recipients", "Example ISP", "recipients"),
    ("unattributed", "yes", "unattributed"),
    ("external_references", [{"url": "https://example.org/"}], "external_references"),
    ("external_references", [{"source_name": "x", "url": "nope"}], "external_references"),
    ("surprise", 1, "surprise"),
]


def _stored(app: Flask) -> tuple[int, int]:
    with database(app).session() as session:
        return (
            session.scalar(select(func.count()).select_from(ObjectVersion)) or 0,
            session.scalar(select(func.count()).select_from(IncidentVersion)) or 0,
        )


@pytest.mark.parametrize(("field", "value", "named"), BAD_FIELDS)
def test_invalid_field_is_a_422_naming_it_and_stores_nothing(
    client: FlaskClient, factory: Factory, app: Flask, field: str, value: Any, named: str
) -> None:
    analyst = factory.member("Example ISP")
    collection = factory.collection()
    body = report(collection)
    if value is ABSENT:
        del body[field]
    else:
        body[field] = value
    response = client.post("/api/v1/incidents", json=body, headers=analyst.auth)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == PROBLEM
    assert named in response.get_json()["errors"]
    assert _stored(app) == (0, 0)


def test_indicator_errors_name_the_entry_and_its_field(
    client: FlaskClient, factory: Factory
) -> None:
    analyst = factory.member()
    collection = factory.collection()
    body = report(
        collection,
        indicators=[
            {"type": "ipv4-addr", "value": "192.0.2.1", "role": "source"},
            {"type": "url", "value": "not a url", "role": "c2"},
        ],
    )
    errors = client.post("/api/v1/incidents", json=body, headers=analyst.auth).get_json()["errors"]
    assert list(errors["indicators"]) == ["1"]
    assert "value" in errors["indicators"]["1"]


def test_readers_may_not_report_and_nothing_is_stored(
    client: FlaskClient, factory: Factory, app: Flask
) -> None:
    reader = factory.member(role="reader")
    collection = factory.collection()
    response = client.post("/api/v1/incidents", json=report(collection), headers=reader.auth)
    assert response.status_code == 422
    assert "collection" in response.get_json()["errors"]
    assert _stored(app) == (0, 0)


def test_collection_without_write_access_is_refused(
    client: FlaskClient, factory: Factory, app: Flask
) -> None:
    analyst = factory.member("Example ISP")
    read_only = factory.collection(write="")
    response = client.post("/api/v1/incidents", json=report(read_only), headers=analyst.auth)
    assert response.status_code == 422
    assert _stored(app) == (0, 0)


@pytest.mark.parametrize(
    "params",
    [
        {"category": "earthquake"},
        {"tlp": "purple"},
        {"ip": "10.0.0.0/33"},
        {"ip": "example.org"},
        {"asn": "AS1"},
        {"asn": "-1"},
        {"since": "yesterday"},
        {"limit": "0"},
        {"limit": "201"},
        {"sector": "aliens"},
        {"q": ""},
        {"unknown": "1"},
    ],
)
def test_invalid_list_parameters_are_a_422_naming_them(
    client: FlaskClient, factory: Factory, params: dict[str, str]
) -> None:
    reader = factory.member(role="reader")
    response = client.get("/api/v1/incidents", query_string=params, headers=reader.auth)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    assert set(response.get_json()["errors"]) == set(params)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "_schema"),
        ({"investigation_status": "done"}, "investigation_status"),
        ({"criticality": 1000}, "criticality"),
        ({"add_indicators": []}, "add_indicators"),
        ({"add_indicators": [{"type": "url", "value": "x", "role": "c2"}]}, "add_indicators"),
        ({"category": "spam"}, "category"),
    ],
)
def test_invalid_updates_are_a_422_and_add_no_version(
    client: FlaskClient, factory: Factory, app: Flask, body: dict[str, Any], named: str
) -> None:
    analyst = factory.member()
    collection = factory.collection()
    created = post_incident(client, analyst, report(collection))
    before = _stored(app)
    response = client.patch(f"/api/v1/incidents/{created['id']}", json=body, headers=analyst.auth)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert named in response.get_json()["errors"]
    assert _stored(app) == before


def test_follow_ups_on_an_unknown_incident_are_404(client: FlaskClient, factory: Factory) -> None:
    analyst = factory.member()
    absent = "incident--00000000-0000-4000-8000-000000000000"
    for method, suffix, body in (
        ("patch", "", {"investigation_status": "closed"}),
        ("post", "/sightings", {}),
        ("post", "/notes", {"content": "x"}),
    ):
        response = getattr(client, method)(
            f"/api/v1/incidents/{absent}{suffix}", json=body, headers=analyst.auth
        )
        assert response.status_code == 404
        assert response.headers["Content-Type"] == PROBLEM
