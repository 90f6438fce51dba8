"""A malformed cursor is a clear 400 in the endpoint's wire format: a TAXII
error message for TAXII's ``next``, problem JSON for the REST incident list's
``cursor`` (one codec, ``federation.domain.cursors``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from federation.domain.cursors import encode_cursor
from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import ROOT, objects_url

MALFORMED = ["not-a-cursor", "eyJhIjotMX0", "x" * 5000]
# A real TAXII cursor has no incident id: the incident list refuses it too.
TAXII_CURSOR = encode_cursor(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("cursor", MALFORMED)
@pytest.mark.parametrize("endpoint", ["objects", "manifest"])
def test_a_malformed_taxii_next_is_a_400_taxii_error(
    client: FlaskClient, factory: Factory, cursor: str, endpoint: str
) -> None:
    member = factory.member()
    collection = factory.collection()
    url = (
        objects_url(collection)
        if endpoint == "objects"
        else f"/taxii2/{ROOT}/collections/{collection}/manifest/"
    )
    response = client.get(url, query_string={"next": cursor}, headers=member.headers)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    body = response.get_json(force=True)
    assert body["http_status"] == "400"
    assert "'next' parameter is not a value this server handed out" in body["description"]
    assert set(body["details"]) == {"next"}


@pytest.mark.parametrize("cursor", [*MALFORMED, TAXII_CURSOR])
def test_a_malformed_incident_cursor_is_a_400_problem_naming_it(
    client: FlaskClient, factory: Factory, cursor: str
) -> None:
    reader = factory.member(role="reader")
    response = client.get("/api/v1/incidents", query_string={"cursor": cursor}, headers=reader.auth)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 400
    assert "'cursor' parameter is not a value this server handed out" in body["detail"]
    assert set(body["errors"]) == {"cursor"}
