"""What the FreeTAXII conformance checks ask of every TAXII endpoint: an empty
``Accept`` is a 406 (TAXII 2.1 section 1.6.8), a path without its trailing slash
names no resource (404, never a redirect), and a body the hub refuses unread does
not break the client's keep-alive connection."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: str
    body: bytes | None = None


@pytest.fixture
def member(factory: Factory) -> Member:
    return factory.member()


@pytest.fixture
def endpoints(client: FlaskClient, member: Member, factory: Factory) -> list[Endpoint]:
    """Each TAXII 2.1 endpoint, at a URL where it answers 200 (or 202)."""
    collection = factory.collection()
    obj = indicator()
    envelope = json.dumps({"objects": [obj]}).encode()
    posted = client.post(objects_url(collection), data=envelope, headers=member.post_headers)
    assert posted.status_code == 202
    status = posted.json["id"]
    base = f"/taxii2/{ROOT}/collections/{collection}/"
    one = f"{base}objects/{obj['id']}/"
    return [
        Endpoint("GET", "/taxii2/"),
        Endpoint("GET", f"/taxii2/{ROOT}/"),
        Endpoint("GET", f"/taxii2/{ROOT}/collections/"),
        Endpoint("GET", base),
        Endpoint("GET", f"{base}manifest/"),
        Endpoint("GET", f"{base}objects/"),
        Endpoint("POST", f"{base}objects/", envelope),
        Endpoint("GET", one),
        Endpoint("GET", f"{one}versions/"),
        Endpoint("DELETE", one),
        Endpoint("GET", f"/taxii2/{ROOT}/status/{status}/"),
    ]


def _assert_taxii_error(status: int, got: int, content_type: str, case: Endpoint) -> None:
    assert got == status, case
    assert content_type == TAXII_MEDIA_TYPE, case


def test_an_empty_accept_header_is_406_on_every_endpoint(
    client: FlaskClient, member: Member, endpoints: list[Endpoint]
) -> None:
    for endpoint in endpoints:
        headers = {**member.post_headers, "Accept": ""}
        response = client.open(
            endpoint.url, method=endpoint.method, data=endpoint.body, headers=headers
        )
        _assert_taxii_error(406, response.status_code, response.headers["Content-Type"], endpoint)
        assert response.json["http_status"] == "406"


def test_every_endpoint_still_answers_a_request_without_accept(
    client: FlaskClient, member: Member, endpoints: list[Endpoint]
) -> None:
    # No Accept header at all accepts anything (RFC 9110 section 12.5.1).
    headers = {**member.auth, "Content-Type": TAXII_MEDIA_TYPE}
    for endpoint in endpoints:
        response = client.open(
            endpoint.url, method=endpoint.method, data=endpoint.body, headers=headers
        )
        assert response.status_code in (200, 202), endpoint
        assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE


def test_a_path_without_its_trailing_slash_is_404_not_a_redirect(
    client: FlaskClient, member: Member, endpoints: list[Endpoint]
) -> None:
    for endpoint in endpoints:
        url = endpoint.url.rstrip("/")
        response = client.open(
            url, method=endpoint.method, data=endpoint.body, headers=member.post_headers
        )
        _assert_taxii_error(404, response.status_code, response.headers["Content-Type"], endpoint)
        assert "Location" not in response.headers, endpoint
        assert response.json["http_status"] == "404"


def test_a_doubled_slash_is_404_not_a_redirect(client: FlaskClient, member: Member) -> None:
    response = client.get(f"/taxii2//{ROOT}/", headers=member.headers)
    assert response.status_code == 404
    assert "Location" not in response.headers


def test_a_refused_body_within_reach_is_skipped_and_the_connection_kept(
    client: FlaskClient, member: Member, factory: Factory
) -> None:
    collection = factory.collection()
    body = io.BytesIO(b'{"objects": []}' + b" " * (256 * 1024))
    headers = {**member.post_headers, "Content-Type": "application/json"}
    response = _post_stream(client, objects_url(collection), body, headers)
    assert response.status_code == 415
    assert response.headers.get("Connection") is None
    # Read to its end: the next request on the connection starts where it should.
    assert body.tell() == len(body.getvalue())


def test_a_body_far_over_the_limit_closes_the_connection(
    app: Flask, client: FlaskClient, member: Member, factory: Factory
) -> None:
    collection = factory.collection()
    body = b" " * (2 * app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(objects_url(collection), data=body, headers=member.post_headers)
    assert response.status_code == 413
    assert response.headers["Connection"] == "close"


def test_a_body_a_little_over_the_limit_is_skipped_and_the_connection_kept(
    app: Flask, client: FlaskClient, member: Member, factory: Factory
) -> None:
    collection = factory.collection()
    body = io.BytesIO(b" " * (app.config["MAX_CONTENT_LENGTH"] + 1))
    response = _post_stream(client, objects_url(collection), body, member.post_headers)
    assert response.status_code == 413
    assert response.headers.get("Connection") is None
    assert body.tell() == len(body.getvalue())


def _post_stream(
    client: FlaskClient, url: str, body: io.BytesIO, headers: dict[str, str]
) -> TestResponse:
    length = len(body.getvalue())
    return client.post(url, input_stream=body, content_length=length, headers=headers)
