"""Content negotiation and malformed requests: every error is a TAXII error message
(TAXII 2.1 sections 1.6.8, 3.1, 3.4 and 3.6)."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url


def assert_taxii_error(response: TestResponse, status: int, case: object = "") -> dict[str, object]:
    text = response.get_data(as_text=True)[:300]
    assert response.status_code == status, f"{case!r}: {response.status_code} {text}"
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE, case
    body = response.get_json()
    assert body["http_status"] == str(status), case
    assert body["title"], case
    assert isinstance(body["description"], str), case
    return body


@pytest.fixture
def member(factory: Factory) -> Member:
    return factory.member()


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


@pytest.fixture
def stored(client: FlaskClient, member: Member, collection: str) -> str:
    """The id of one indicator stored in ``collection``."""
    obj = indicator()
    response = client.post(
        objects_url(collection), json={"objects": [obj]}, headers=member.post_headers
    )
    assert response.status_code == 202
    return str(obj["id"])


def post_raw(
    client: FlaskClient, member: Member, url: str, body: bytes | str, **headers: str
) -> TestResponse:
    return client.post(url, data=body, headers={**member.post_headers, **headers})


# -- Accept ----------------------------------------------------------------


def test_unacceptable_accept_is_406(client: FlaskClient, member: Member, collection: str) -> None:
    for accept in (
        "application/json",
        "application/taxii+json;version=2.0",
        "application/stix+json;version=2.1",
        "text/html",
        "application/taxii+json;version=2.1;q=0",
    ):
        headers = {**member.auth, "Accept": accept}
        for url in (f"/taxii2/{ROOT}/", objects_url(collection)):
            assert_taxii_error(client.get(url, headers=headers), 406, case=(accept, url))


def test_acceptable_accept_gets_taxii_json(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for accept in (
        TAXII_MEDIA_TYPE,
        "application/taxii+json",
        "application/taxii+json; version=2.1",
        "*/*",
        "application/*",
        "application/json;q=0.5, application/taxii+json;version=2.1",
    ):
        headers = {**member.auth, "Accept": accept}
        for url in (f"/taxii2/{ROOT}/", objects_url(collection)):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (accept, url)
            assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE


def test_missing_accept_gets_taxii_json(
    client: FlaskClient, member: Member, collection: str
) -> None:
    response = client.get(objects_url(collection), headers=member.auth)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE


# -- Content-Type ------------------------------------------------------------


def test_posting_another_content_type_is_415(
    client: FlaskClient, member: Member, collection: str
) -> None:
    body = json.dumps({"objects": [indicator()]})
    for content_type in (
        "application/json",
        "application/taxii+json;version=2.0",
        "application/stix+json;version=2.1",
        "text/plain",
        "",
    ):
        headers = {**member.headers, "Content-Type": content_type}
        response = client.post(objects_url(collection), data=body, headers=headers)
        assert_taxii_error(response, 415, case=content_type)
    assert "objects" not in client.get(objects_url(collection), headers=member.headers).json


def test_posting_taxii_json_without_version_is_accepted(
    client: FlaskClient, member: Member, collection: str
) -> None:
    body = json.dumps({"objects": [indicator()]})
    response = post_raw(
        client, member, objects_url(collection), body, **{"Content-Type": "application/taxii+json"}
    )
    assert response.status_code == 202
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE


# -- Methods -------------------------------------------------------------------


def test_unsupported_method_is_405_with_allow(
    client: FlaskClient, member: Member, collection: str
) -> None:
    one = "objects/indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c8/"
    for method, suffix, allowed in (
        ("PUT", "objects/", {"GET", "POST"}),
        ("PATCH", "objects/", {"GET", "POST"}),
        ("DELETE", "objects/", {"GET", "POST"}),
        ("POST", "", {"GET"}),
        ("DELETE", "", {"GET"}),
        ("POST", "manifest/", {"GET"}),
        ("PUT", one, {"GET", "DELETE"}),
        ("POST", f"{one}versions/", {"GET"}),
    ):
        url = f"/taxii2/{ROOT}/collections/{collection}/{suffix}"
        response = client.open(url, method=method, headers=member.post_headers, data="{}")
        assert_taxii_error(response, 405, case=(method, suffix))
        allow = {m.strip() for m in response.headers["Allow"].split(",")}
        assert allowed <= allow, (method, suffix)
        assert method not in allow, (method, suffix)


def test_posting_to_the_collections_list_is_405(client: FlaskClient, member: Member) -> None:
    response = client.post(f"/taxii2/{ROOT}/collections/", headers=member.post_headers, data="{}")
    assert_taxii_error(response, 405)
    assert "GET" in response.headers["Allow"]


# -- Bodies ------------------------------------------------------------------------


def test_body_over_max_content_length_is_413(
    client: FlaskClient, member: Member, collection: str
) -> None:
    padding = "x" * (2 * 1024 * 1024)
    body = json.dumps({"objects": [indicator(description=padding)]})
    response = post_raw(client, member, objects_url(collection), body)
    assert_taxii_error(response, 413)
    assert "objects" not in client.get(objects_url(collection), headers=member.headers).json


def test_body_just_under_max_content_length_is_accepted(
    client: FlaskClient, member: Member, collection: str
) -> None:
    envelope = json.dumps({"objects": [indicator(description="")]})
    padding = "x" * (2 * 1024 * 1024 - len(envelope) - 1024)
    body = json.dumps({"objects": [indicator(description=padding)]})
    response = post_raw(client, member, objects_url(collection), body)
    assert response.status_code == 202
    assert response.json["success_count"] == 1


def test_malformed_json_is_400(client: FlaskClient, member: Member, collection: str) -> None:
    for body in (
        b"",
        b"{",
        b"not json",
        b'{"objects": [}',
        b'{"objects": [NaN]}',
        b'{"objects": [Infinity]}',
        b"\xff\xfe\x00garbage",
    ):
        assert_taxii_error(post_raw(client, member, objects_url(collection), body), 400, case=body)


def test_json_that_is_no_envelope_is_422(
    client: FlaskClient, member: Member, collection: str
) -> None:
    bodies: list[object] = [
        [indicator()],
        {},
        {"object": [indicator()]},
        {"objects": indicator()},
        {"objects": "indicator"},
        {"objects": None},
        {"objects": []},
        "objects",
        42,
        None,
    ]
    for body in bodies:
        response = post_raw(client, member, objects_url(collection), json.dumps(body))
        assert_taxii_error(response, 422, case=body)
    assert "objects" not in client.get(objects_url(collection), headers=member.headers).json


# -- Query parameters -----------------------------------------------------------


def _urls(collection: str, stored: str) -> dict[str, str]:
    base = f"/taxii2/{ROOT}/collections/{collection}/"
    return {
        "objects": f"{base}objects/",
        "manifest": f"{base}manifest/",
        "object": f"{base}objects/{stored}/",
        "versions": f"{base}objects/{stored}/versions/",
    }


BAD_QUERIES = (
    "foo=bar",
    "match[name]=x",
    "match[id",
    "limit=0",
    "limit=-1",
    "limit=abc",
    "limit=1.5",
    "limit=",
    "limit=%C2%B2",
    "limit=1e3",
    "added_after=yesterday",
    "added_after=2024-01-01",
    "added_after=2024-01-01T00:00:00%2B01:00",
    "added_after=2024-13-01T00:00:00Z",
    "added_after=",
    "next=garbage!",
    "next=eyJhIjoiYiJ9",
    "next=W10",
    "next=",
    "limit=1&limit=2",
)


@pytest.mark.parametrize("endpoint", ["objects", "manifest", "object", "versions"])
def test_bad_query_parameter_is_400(
    client: FlaskClient, member: Member, collection: str, stored: str, endpoint: str
) -> None:
    for query in BAD_QUERIES:
        url = f"{_urls(collection, stored)[endpoint]}?{query}"
        assert_taxii_error(client.get(url, headers=member.headers), 400, case=query)


def test_bad_version_filter_is_400(
    client: FlaskClient, member: Member, collection: str, stored: str
) -> None:
    for endpoint in ("objects", "manifest", "object"):
        for query in ("match[version]=latest", "match[version]=first,", "match[version]=2024"):
            url = f"{_urls(collection, stored)[endpoint]}?{query}"
            assert_taxii_error(client.get(url, headers=member.headers), 400, case=url)


def test_filters_an_endpoint_does_not_take_are_400(
    client: FlaskClient, member: Member, collection: str, stored: str
) -> None:
    # The versions endpoint takes neither id, type nor version filters (section 5.7);
    # a single object takes no id or type filter (section 5.5).
    urls = _urls(collection, stored)
    for query in ("match[id]=x", "match[type]=indicator", "match[version]=all"):
        response = client.get(f"{urls['versions']}?{query}", headers=member.headers)
        assert_taxii_error(response, 400, case=query)
    for query in ("match[id]=x", "match[type]=indicator"):
        response = client.get(f"{urls['object']}?{query}", headers=member.headers)
        assert_taxii_error(response, 400, case=query)


def test_paging_parameters_on_delete_are_400(
    client: FlaskClient, member: Member, collection: str, stored: str
) -> None:
    url = _urls(collection, stored)["object"]
    for query in ("limit=1", "added_after=2024-01-01T00:00:00Z", "next=x", "match[id]=x"):
        response = client.delete(f"{url}?{query}", headers=member.headers)
        assert_taxii_error(response, 400, case=query)
    assert client.get(url, headers=member.headers).status_code == 200


def test_query_parameters_on_post_are_400(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for query in ("limit=1", "match[type]=indicator", "foo=bar"):
        response = client.post(
            f"{objects_url(collection)}?{query}",
            json={"objects": [indicator()]},
            headers=member.post_headers,
        )
        assert_taxii_error(response, 400, case=query)
    assert "objects" not in client.get(objects_url(collection), headers=member.headers).json


def test_limit_above_the_hub_maximum_is_capped_not_refused(
    client: FlaskClient, member: Member, collection: str, stored: str
) -> None:
    response = client.get(
        f"{objects_url(collection)}?limit=99999999999999999999", headers=member.headers
    )
    assert response.status_code == 200
    assert [o["id"] for o in response.json["objects"]] == [stored]
    assert response.json["more"] is False
