"""Incident follow-ups (PATCH, sightings, notes) take one path: the incident is
looked up once per request, and the answer is built for the incident found."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from federation.web.db import database
from tests.api.incident_helpers import post_incident, report
from tests.conftest import Factory


@contextmanager
def readable_lookups(app: Flask) -> Iterator[list[str]]:
    """The statements that work out which collections the viewer may read
    (the start of every incident visibility lookup), as they run."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        text = " ".join(statement.split()).lower()
        if "from collections left outer join collection_grants" in text:
            seen.append(text)

    engine = database(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("method", "suffix", "body", "status"),
    [
        ("patch", "", {"investigation_status": "closed"}, 200),
        ("post", "/sightings", {"count": 3}, 201),
        ("post", "/notes", {"content": "seen from our resolvers too"}, 201),
    ],
)
def test_a_follow_up_looks_the_incident_up_once(
    app: Flask,
    client: FlaskClient,
    factory: Factory,
    method: str,
    suffix: str,
    body: dict[str, Any],
    status: int,
) -> None:
    collection = factory.collection()
    analyst = factory.member("Example ISP")
    incident = post_incident(client, analyst, report(collection))
    url = f"/api/v1/incidents/{incident['id']}{suffix}"
    with readable_lookups(app) as lookups:
        response = getattr(client, method)(url, json=body, headers=analyst.auth)
    assert response.status_code == status, response.get_data(as_text=True)
    assert len(lookups) == 1
    # The answer is the incident as it now stands.
    answer = response.get_json()
    assert answer["id"] == incident["id"]
    if suffix == "":
        assert answer["investigation_status"] == "closed"
        assert answer["modified"] > incident["modified"]
    elif suffix == "/sightings":
        assert answer["sightings"] == 1
    else:
        assert [n["content"] for n in answer["notes"]] == ["seen from our resolvers too"]


def test_a_hidden_incident_is_a_404_before_its_body_is_judged(
    client: FlaskClient, factory: Factory
) -> None:
    collection = factory.collection()
    owner = factory.member("Example ISP")
    other = factory.member("Other ISP")
    incident = post_incident(client, owner, report(collection, tlp="red", recipients=[]))
    for method, suffix in (("patch", ""), ("post", "/sightings"), ("post", "/notes")):
        url = f"/api/v1/incidents/{incident['id']}{suffix}"
        response = getattr(client, method)(url, json={"no": "such field"}, headers=other.auth)
        assert response.status_code == 404, (method, suffix)
