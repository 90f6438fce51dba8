"""Server discovery and API root information (TAXII 2.1 sections 4.1 and 4.2)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import ROOT


def assert_taxii_error(response: TestResponse, status: int) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    body = response.get_json()
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


def test_discovery_names_the_hub_and_every_api_root(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    member = factory.member()
    factory.root(ROOT)
    factory.root("second")
    response = client.get("/taxii2/", headers=member.headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    body = response.json
    assert body["title"] == app.config["TITLE"]
    assert body["api_roots"] == [
        f"http://localhost/taxii2/{ROOT}/",
        "http://localhost/taxii2/second/",
    ]


def test_discovery_default_is_one_of_the_api_roots(client: FlaskClient, factory: Factory) -> None:
    member = factory.member()
    factory.root(ROOT)
    factory.root("second")
    body = client.get("/taxii2/", headers=member.headers).json
    assert body["default"] in body["api_roots"]
    assert body["default"] == f"http://localhost/taxii2/{ROOT}/"


def test_discovery_urls_follow_the_host_the_client_used(
    client: FlaskClient, factory: Factory
) -> None:
    member = factory.member()
    factory.root(ROOT)
    body = client.get("/taxii2/", headers=member.headers, base_url="https://hub.example").json
    assert body["api_roots"] == [f"https://hub.example/taxii2/{ROOT}/"]


def test_discovery_requires_authentication(client: FlaskClient, factory: Factory) -> None:
    factory.root(ROOT)
    response = client.get("/taxii2/", headers={"Accept": TAXII_MEDIA_TYPE})
    assert_taxii_error(response, 401)
    assert "api_roots" not in response.get_data(as_text=True)


def test_api_root_reports_taxii_21_and_the_largest_accepted_body(
    client: FlaskClient, factory: Factory
) -> None:
    member = factory.member()
    factory.root(ROOT)
    response = client.get(f"/taxii2/{ROOT}/", headers=member.headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    body = response.json
    assert body["title"] == f"Test root {ROOT}"
    assert body["versions"] == [TAXII_MEDIA_TYPE]
    assert body["max_content_length"] == 2 * 1024 * 1024


def test_every_url_in_discovery_is_a_working_api_root(
    client: FlaskClient, factory: Factory
) -> None:
    member = factory.member()
    factory.root(ROOT)
    factory.root("second")
    for url in client.get("/taxii2/", headers=member.headers).json["api_roots"]:
        response = client.get(url, headers=member.headers)
        assert response.status_code == 200, url
        assert response.json["versions"] == [TAXII_MEDIA_TYPE]


def test_unknown_api_root_is_a_404_taxii_error(client: FlaskClient, factory: Factory) -> None:
    member = factory.member()
    factory.root(ROOT)
    for path in ("/taxii2/nowhere/", "/taxii2/nowhere/collections/"):
        assert_taxii_error(client.get(path, headers=member.headers), 404)


def test_unknown_path_under_taxii2_is_a_404_taxii_error(
    client: FlaskClient, factory: Factory
) -> None:
    member = factory.member()
    factory.root(ROOT)
    response = client.get(f"/taxii2/{ROOT}/no-such-resource/", headers=member.headers)
    assert_taxii_error(response, 404)
