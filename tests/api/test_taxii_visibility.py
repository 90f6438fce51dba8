"""TLP markings decide which versions another organisation sees on every TAXII
read path; a hidden object is indistinguishable from an absent one
(DESIGN.md invariants 4 and 5)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url

RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
RED_TLP1 = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
WHITE_TLP1 = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
FIRST = "X-TAXII-Date-Added-First"
LAST = "X-TAXII-Date-Added-Last"


def manifest_url(collection: str) -> str:
    return f"/taxii2/{ROOT}/collections/{collection}/manifest/"


def post(client: FlaskClient, member: Member, collection: str, *objects: Any) -> None:
    response = client.post(
        objects_url(collection), json={"objects": list(objects)}, headers=member.post_headers
    )
    assert response.status_code == 202
    assert response.json["success_count"] == len(objects), response.json


def ids(response: TestResponse) -> list[str]:
    assert response.status_code == 200, response.json
    return [o["id"] for o in response.json.get("objects", [])]


def marked(*markings: str, **extra: Any) -> dict[str, Any]:
    return indicator(object_marking_refs=list(markings), **extra)


class Orgs:
    def __init__(self, factory: Factory) -> None:
        self.a = factory.member("Org A", sector="isp")
        self.a_reader = factory.member("Org A", sector="isp", role="reader")
        self.b = factory.member("Org B", sector="isp")
        self.c = factory.member("Org C", sector="law-enforcement")


@pytest.fixture
def orgs(factory: Factory) -> Orgs:
    return Orgs(factory)


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection(read="*", write="*")


def assert_hidden_from(client: FlaskClient, member: Member, collection: str, stix_id: str) -> None:
    """``stix_id`` is invisible to ``member`` on every read path, like an absent id."""
    absent = f"indicator--{uuid.uuid4()}"
    everything = {"match[version]": "all"}
    for url in (objects_url(collection), manifest_url(collection)):
        listing = client.get(url, headers=member.headers, query_string=everything)
        assert stix_id not in ids(listing)
        by_id = client.get(url, headers=member.headers, query_string={"match[id]": stix_id})
        assert by_id.json == {"more": False}
    for suffix in ("", "versions/"):
        hidden = client.get(f"{objects_url(collection)}{stix_id}/{suffix}", headers=member.headers)
        missing = client.get(f"{objects_url(collection)}{absent}/{suffix}", headers=member.headers)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json["title"] == missing.json["title"]
        assert hidden.headers.get("Content-Type") == missing.headers.get("Content-Type")


def assert_visible_to(client: FlaskClient, member: Member, collection: str, stix_id: str) -> None:
    assert stix_id in ids(client.get(objects_url(collection), headers=member.headers))
    assert stix_id in ids(client.get(manifest_url(collection), headers=member.headers))
    one = client.get(f"{objects_url(collection)}{stix_id}/", headers=member.headers)
    assert ids(one) == [stix_id]
    versions = client.get(f"{objects_url(collection)}{stix_id}/versions/", headers=member.headers)
    assert versions.status_code == 200
    assert versions.json["versions"]


@pytest.mark.parametrize("marking", [RED, RED_TLP1, AMBER_STRICT], ids=["red", "red-1.0", "strict"])
def test_restricted_object_is_invisible_to_another_organisation(
    client: FlaskClient, orgs: Orgs, collection: str, marking: str
) -> None:
    secret = marked(marking)
    post(client, orgs.a, collection, secret)
    assert_hidden_from(client, orgs.b, collection, secret["id"])
    assert_hidden_from(client, orgs.c, collection, secret["id"])


@pytest.mark.parametrize("marking", [RED, RED_TLP1, AMBER_STRICT], ids=["red", "red-1.0", "strict"])
def test_restricted_object_is_visible_to_the_posting_organisation(
    client: FlaskClient, orgs: Orgs, collection: str, marking: str
) -> None:
    secret = marked(marking)
    post(client, orgs.a, collection, secret)
    assert_visible_to(client, orgs.a, collection, secret["id"])
    assert_visible_to(client, orgs.a_reader, collection, secret["id"])


@pytest.mark.parametrize("marking", [GREEN, WHITE_TLP1, AMBER], ids=["green", "white-1.0", "amber"])
def test_shareable_object_is_visible_to_every_reader(
    client: FlaskClient, orgs: Orgs, collection: str, marking: str
) -> None:
    shared = marked(marking)
    post(client, orgs.a, collection, shared)
    for member in (orgs.b, orgs.c):
        assert_visible_to(client, member, collection, shared["id"])


def test_granular_red_marking_hides_the_whole_object(
    client: FlaskClient, orgs: Orgs, collection: str
) -> None:
    partly = indicator(granular_markings=[{"marking_ref": RED, "selectors": ["description"]}])
    partly["description"] = "the customer's name"
    post(client, orgs.a, collection, partly)
    assert_hidden_from(client, orgs.b, collection, partly["id"])


def test_named_recipient_sees_a_red_object(
    client: FlaskClient, orgs: Orgs, collection: str
) -> None:
    secret = marked(RED, x_federation_recipients=[orgs.b.identity_id])
    post(client, orgs.a, collection, secret)
    assert_visible_to(client, orgs.b, collection, secret["id"])
    assert_hidden_from(client, orgs.c, collection, secret["id"])


def test_naming_an_unknown_recipient_fails_that_object(
    client: FlaskClient, orgs: Orgs, collection: str
) -> None:
    secret = marked(RED, x_federation_recipients=[f"identity--{uuid.uuid4()}"])
    response = client.post(
        objects_url(collection), json={"objects": [secret]}, headers=orgs.a.post_headers
    )
    assert response.json["failure_count"] == 1
    assert "x_federation_recipients" in response.json["failures"][0]["message"]
    assert ids(client.get(objects_url(collection), headers=orgs.a.headers)) == []


def test_hidden_objects_leave_no_trace_in_date_headers_or_more(
    client: FlaskClient, orgs: Orgs, collection: str
) -> None:
    first, second = marked(GREEN), marked(GREEN)
    post(client, orgs.a, collection, marked(RED), first, marked(RED))
    post(client, orgs.a, collection, second, marked(RED_TLP1))
    everything = client.get(manifest_url(collection), headers=orgs.a.headers).json["objects"]
    added = {r["id"]: r["date_added"] for r in everything}
    for url in (objects_url(collection), manifest_url(collection)):
        page = client.get(url, headers=orgs.b.headers, query_string={"limit": "2"})
        assert ids(page) == [first["id"], second["id"]]
        assert page.json["more"] is False
        assert "next" not in page.json
        assert page.headers[FIRST] == added[first["id"]]
        assert page.headers[LAST] == added[second["id"]]
        single = client.get(url, headers=orgs.b.headers, query_string={"limit": "1"})
        assert single.json["more"] is True
        rest = client.get(
            url, headers=orgs.b.headers, query_string={"limit": "1", "next": single.json["next"]}
        )
        assert ids(rest) == [second["id"]]
        assert rest.json["more"] is False


def test_a_collection_of_only_hidden_objects_looks_empty(
    client: FlaskClient, orgs: Orgs, collection: str
) -> None:
    post(client, orgs.a, collection, marked(RED), marked(AMBER_STRICT))
    for url in (objects_url(collection), manifest_url(collection)):
        page = client.get(url, headers=orgs.b.headers)
        assert page.json == {"more": False}
        assert FIRST not in page.headers
        assert LAST not in page.headers


def test_a_hidden_newer_version_neither_hides_nor_betrays_the_older_one(
    client: FlaskClient, orgs: Orgs, collection: str
) -> None:
    shared = marked(GREEN, modified="2024-01-01T00:00:00.000Z")
    restricted = {**shared, "object_marking_refs": [RED], "modified": "2024-02-01T00:00:00.000Z"}
    post(client, orgs.a, collection, shared, restricted)
    url = f"{objects_url(collection)}{shared['id']}/"
    for member, latest in ((orgs.b, shared), (orgs.a, restricted)):
        assert client.get(objects_url(collection), headers=member.headers).json["objects"] == [
            latest
        ]
        assert client.get(url, headers=member.headers).json["objects"] == [latest]
    versions = client.get(f"{url}versions/", headers=orgs.b.headers)
    assert versions.json["versions"] == [shared["modified"]]
    last_only = client.get(
        url, headers=orgs.b.headers, query_string={"match[version]": restricted["modified"]}
    )
    assert "objects" not in last_only.json


@pytest.mark.parametrize(("default_tlp", "visible"), [("red", False), ("green", True)])
def test_unmarked_objects_take_the_collection_default(
    client: FlaskClient, factory: Factory, orgs: Orgs, default_tlp: str, visible: bool
) -> None:
    collection = factory.collection(read="*", write="*", default_tlp=default_tlp)
    unmarked = indicator()
    post(client, orgs.a, collection, unmarked)
    assert_visible_to(client, orgs.a, collection, unmarked["id"])
    if visible:
        assert_visible_to(client, orgs.b, collection, unmarked["id"])
    else:
        assert_hidden_from(client, orgs.b, collection, unmarked["id"])


def test_unmarked_objects_are_amber_by_default_and_shared_inside_the_hub(
    client: FlaskClient, orgs: Orgs, collection: str
) -> None:
    unmarked = indicator()
    post(client, orgs.a, collection, unmarked)
    assert_visible_to(client, orgs.c, collection, unmarked["id"])


def test_reposting_a_hidden_version_tells_the_other_organisation_nothing_new(
    client: FlaskClient, orgs: Orgs, collection: str
) -> None:
    secret = marked(RED)
    post(client, orgs.a, collection, secret)
    # Org B posting the very same id and version is told it succeeded, and
    # still does not see Org A's version.
    response = client.post(
        objects_url(collection), json={"objects": [secret]}, headers=orgs.b.post_headers
    )
    assert response.status_code == 202
    assert_hidden_from(client, orgs.b, collection, secret["id"])
