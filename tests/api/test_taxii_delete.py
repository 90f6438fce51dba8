"""Deleting an object or some of its versions (TAXII 2.1 section 5.6)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import Member, indicator, objects_url

V1, V2, V3 = (
    "2024-01-01T00:00:00.000Z",
    "2024-02-01T00:00:00.000Z",
    "2024-03-01T00:00:00.000Z",
)
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def assert_taxii_error(response: TestResponse, status: int) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    body = response.get_json()
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


def post(client: FlaskClient, member: Member, collection: str, *objects: Any) -> None:
    response = client.post(
        objects_url(collection), json={"objects": list(objects)}, headers=member.post_headers
    )
    assert response.json["success_count"] == len(objects)


def delete(
    client: FlaskClient, member: Member, collection: str, stix_id: str, **query: str
) -> TestResponse:
    url = f"{objects_url(collection)}{stix_id}/"
    return client.delete(url, headers=member.headers, query_string=query)


def versions(client: FlaskClient, member: Member, collection: str, stix_id: str) -> list[str]:
    response = client.get(f"{objects_url(collection)}{stix_id}/versions/", headers=member.headers)
    return list(response.json.get("versions", [])) if response.status_code == 200 else []


@pytest.fixture
def owner(factory: Factory) -> Member:
    return factory.member("Org A")


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


@pytest.fixture
def history(client: FlaskClient, owner: Member, collection: str) -> list[dict[str, Any]]:
    first = indicator(modified=V1)
    objects = [first, {**first, "modified": V2}, {**first, "modified": V3}]
    post(client, owner, collection, *objects)
    return objects


def test_deleting_an_object_removes_every_version(
    client: FlaskClient, owner: Member, collection: str, history: list[dict[str, Any]]
) -> None:
    bystander = indicator()
    post(client, owner, collection, bystander)
    stix_id = history[0]["id"]
    response = delete(client, owner, collection, stix_id)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    for suffix in ("", "versions/"):
        gone = client.get(f"{objects_url(collection)}{stix_id}/{suffix}", headers=owner.headers)
        assert_taxii_error(gone, 404)
    listing = client.get(
        objects_url(collection), headers=owner.headers, query_string={"match[version]": "all"}
    )
    assert listing.json["objects"] == [bystander]


def test_deleting_one_version_keeps_the_others(
    client: FlaskClient, owner: Member, collection: str, history: list[dict[str, Any]]
) -> None:
    stix_id = history[0]["id"]
    assert delete(client, owner, collection, stix_id, **{"match[version]": V2}).status_code == 200
    assert versions(client, owner, collection, stix_id) == [V1, V3]


def test_deleting_the_last_version_makes_the_previous_one_current(
    client: FlaskClient, owner: Member, collection: str, history: list[dict[str, Any]]
) -> None:
    stix_id = history[0]["id"]
    assert (
        delete(client, owner, collection, stix_id, **{"match[version]": "last"}).status_code == 200
    )
    latest = client.get(f"{objects_url(collection)}{stix_id}/", headers=owner.headers)
    assert latest.json["objects"] == [history[1]]


def test_deleting_first_and_last_keeps_the_middle(
    client: FlaskClient, owner: Member, collection: str, history: list[dict[str, Any]]
) -> None:
    stix_id = history[0]["id"]
    response = delete(client, owner, collection, stix_id, **{"match[version]": "first,last"})
    assert response.status_code == 200
    assert versions(client, owner, collection, stix_id) == [V2]


def test_deleting_a_version_that_does_not_exist_is_404(
    client: FlaskClient, owner: Member, collection: str, history: list[dict[str, Any]]
) -> None:
    stix_id = history[0]["id"]
    response = delete(
        client, owner, collection, stix_id, **{"match[version]": "2020-01-01T00:00:00Z"}
    )
    assert_taxii_error(response, 404)
    assert versions(client, owner, collection, stix_id) == [V1, V2, V3]


def test_deleting_with_spec_version_2_0_deletes_nothing(
    client: FlaskClient, owner: Member, collection: str, history: list[dict[str, Any]]
) -> None:
    stix_id = history[0]["id"]
    response = delete(client, owner, collection, stix_id, **{"match[spec_version]": "2.0"})
    assert_taxii_error(response, 404)
    assert versions(client, owner, collection, stix_id) == [V1, V2, V3]


def test_deleting_an_unknown_object_is_404(
    client: FlaskClient, owner: Member, collection: str
) -> None:
    assert_taxii_error(delete(client, owner, collection, f"indicator--{uuid.uuid4()}"), 404)


def test_a_reader_gets_403(
    client: FlaskClient,
    factory: Factory,
    owner: Member,
    collection: str,
    history: list[dict[str, Any]],
) -> None:
    reader = factory.member("Org A", role="reader")
    stix_id = history[0]["id"]
    assert_taxii_error(delete(client, reader, collection, stix_id), 403)
    assert versions(client, owner, collection, stix_id) == [V1, V2, V3]


def test_another_organisation_cannot_delete_what_it_did_not_add(
    client: FlaskClient,
    factory: Factory,
    owner: Member,
    collection: str,
    history: list[dict[str, Any]],
) -> None:
    other = factory.member("Org B")
    stix_id = history[0]["id"]
    assert versions(client, other, collection, stix_id) == [V1, V2, V3]
    assert_taxii_error(delete(client, other, collection, stix_id), 403)
    only_one = delete(client, other, collection, stix_id, **{"match[version]": V1})
    assert_taxii_error(only_one, 403)
    assert versions(client, owner, collection, stix_id) == [V1, V2, V3]


def test_a_colleague_of_the_poster_may_delete(
    client: FlaskClient,
    factory: Factory,
    owner: Member,
    collection: str,
    history: list[dict[str, Any]],
) -> None:
    colleague = factory.member("Org A", role="analyst")
    stix_id = history[0]["id"]
    assert delete(client, colleague, collection, stix_id).status_code == 200
    assert versions(client, owner, collection, stix_id) == []


def test_a_hub_admin_may_delete_any_object(
    client: FlaskClient,
    factory: Factory,
    owner: Member,
    collection: str,
    history: list[dict[str, Any]],
) -> None:
    admin = factory.member("Hub staff", sector="hub", role="hub-admin")
    stix_id = history[0]["id"]
    assert delete(client, admin, collection, stix_id).status_code == 200
    assert versions(client, owner, collection, stix_id) == []


def test_a_reader_of_the_collection_without_write_access_gets_403(
    client: FlaskClient, factory: Factory, owner: Member
) -> None:
    guarded = factory.collection(read="*", write="Org A")
    obj = indicator()
    post(client, owner, guarded, obj)
    outsider = factory.member("Org B")
    assert versions(client, outsider, guarded, obj["id"]) == [obj["modified"]]
    assert_taxii_error(delete(client, outsider, guarded, obj["id"]), 403)
    assert versions(client, owner, guarded, obj["id"]) == [obj["modified"]]


def test_deleting_a_hidden_object_is_404_not_403(
    client: FlaskClient, factory: Factory, owner: Member, collection: str
) -> None:
    secret = indicator(object_marking_refs=[RED])
    post(client, owner, collection, secret)
    other = factory.member("Org B")
    hidden = delete(client, other, collection, secret["id"])
    absent = delete(client, other, collection, f"indicator--{uuid.uuid4()}")
    assert assert_taxii_error(hidden, 404)["title"] == assert_taxii_error(absent, 404)["title"]
    assert versions(client, owner, collection, secret["id"]) == [secret["modified"]]


def test_a_deleted_version_can_be_added_again(
    client: FlaskClient, owner: Member, collection: str, history: list[dict[str, Any]]
) -> None:
    stix_id = history[0]["id"]
    delete(client, owner, collection, stix_id, **{"match[version]": V1})
    post(client, owner, collection, history[0])
    assert sorted(versions(client, owner, collection, stix_id)) == [V1, V2, V3]
