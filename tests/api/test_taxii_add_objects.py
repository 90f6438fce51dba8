"""Adding objects and the status resource (TAXII 2.1 sections 4.3 and 5.4)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.stix.timestamps import parse_timestamp
from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url


def assert_taxii_error(response: TestResponse, status: int) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    body = response.get_json()
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


def status_url(status_id: str, root: str = ROOT) -> str:
    return f"/taxii2/{root}/status/{status_id}/"


def post(client: FlaskClient, member: Member, collection: str, *objects: Any) -> TestResponse:
    return client.post(
        objects_url(collection), json={"objects": list(objects)}, headers=member.post_headers
    )


def stored(client: FlaskClient, member: Member, collection: str, **query: str) -> list[Any]:
    response = client.get(objects_url(collection), headers=member.headers, query_string=query)
    assert response.status_code == 200
    return list(response.json.get("objects", []))


def versions(client: FlaskClient, member: Member, collection: str, stix_id: str) -> list[str]:
    response = client.get(f"{objects_url(collection)}{stix_id}/versions/", headers=member.headers)
    assert response.status_code == 200
    return list(response.json.get("versions", []))


@pytest.fixture
def member(factory: Factory) -> Member:
    return factory.member("Org A")


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


def test_adding_objects_answers_202_with_a_complete_status_resource(
    client: FlaskClient, member: Member, collection: str
) -> None:
    first, second = indicator(), indicator(modified="2024-02-01T00:00:00.000Z")
    response = post(client, member, collection, first, second)
    assert response.status_code == 202
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    status = response.json
    uuid.UUID(status["id"])
    parse_timestamp(status["request_timestamp"])
    assert status["status"] == "complete"
    assert (status["total_count"], status["success_count"]) == (2, 2)
    assert (status["failure_count"], status["pending_count"]) == (0, 0)
    assert status["successes"] == [
        {"id": first["id"], "version": first["modified"]},
        {"id": second["id"], "version": second["modified"]},
    ]
    assert "failures" not in status
    assert "pendings" not in status


def test_envelope_with_valid_and_invalid_objects_stores_only_the_valid_ones(
    client: FlaskClient, member: Member, collection: str
) -> None:
    good = indicator()
    no_pattern = {k: v for k, v in indicator().items() if k != "pattern"}
    bad_modified = indicator(modified="yesterday")
    response = post(client, member, collection, good, no_pattern, bad_modified, "not an object")
    assert response.status_code == 202
    status = response.json
    assert status["status"] == "complete"
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (4, 1, 3)
    assert [s["id"] for s in status["successes"]] == [good["id"]]
    failures = status["failures"]
    assert [f["id"] for f in failures] == [no_pattern["id"], bad_modified["id"], ""]
    assert failures[0]["version"] == no_pattern["modified"]
    assert "pattern" in failures[0]["message"]
    assert "modified" in failures[1]["message"]
    assert all(isinstance(f["message"], str) and f["message"] for f in failures)
    assert all("version" in f for f in failures)
    assert stored(client, member, collection) == [good]


def test_envelope_with_only_invalid_objects_stores_nothing(
    client: FlaskClient, member: Member, collection: str
) -> None:
    response = post(client, member, collection, {"type": "indicator"}, {"id": 7})
    assert response.status_code == 202
    assert (response.json["success_count"], response.json["failure_count"]) == (0, 2)
    assert stored(client, member, collection) == []


def test_reposting_the_same_version_succeeds_without_a_duplicate(
    client: FlaskClient, member: Member, collection: str
) -> None:
    obj = indicator()
    assert post(client, member, collection, obj).json["success_count"] == 1
    before = client.get(
        f"/taxii2/{ROOT}/collections/{collection}/manifest/", headers=member.headers
    )
    again = post(client, member, collection, obj)
    assert again.status_code == 202
    assert (again.json["success_count"], again.json["failure_count"]) == (1, 0)
    assert again.json["successes"][0]["id"] == obj["id"]
    assert again.json["successes"][0]["version"] == obj["modified"]
    after = client.get(f"/taxii2/{ROOT}/collections/{collection}/manifest/", headers=member.headers)
    assert after.json == before.json
    assert stored(client, member, collection, **{"match[version]": "all"}) == [obj]
    assert versions(client, member, collection, obj["id"]) == [obj["modified"]]


def test_reposting_a_version_never_overwrites_it(
    client: FlaskClient, member: Member, collection: str
) -> None:
    original = indicator(name="original")
    post(client, member, collection, original)
    tampered = {**original, "name": "tampered"}
    assert post(client, member, collection, tampered).json["success_count"] == 1
    assert stored(client, member, collection) == [original]


def test_the_same_version_twice_in_one_envelope_is_stored_once(
    client: FlaskClient, member: Member, collection: str
) -> None:
    obj = indicator()
    response = post(client, member, collection, obj, obj)
    assert (response.json["total_count"], response.json["success_count"]) == (2, 2)
    assert versions(client, member, collection, obj["id"]) == [obj["modified"]]


def test_a_newer_modified_adds_a_version(
    client: FlaskClient, member: Member, collection: str
) -> None:
    first = indicator(name="first")
    second = {**first, "name": "second", "modified": "2024-03-01T00:00:00.000Z"}
    post(client, member, collection, first)
    assert post(client, member, collection, second).json["success_count"] == 1
    assert versions(client, member, collection, first["id"]) == [
        first["modified"],
        second["modified"],
    ]
    assert stored(client, member, collection) == [second]
    assert stored(client, member, collection, **{"match[version]": "all"}) == [first, second]


def test_revocation_is_a_new_version(client: FlaskClient, member: Member, collection: str) -> None:
    original = indicator()
    revoked = {**original, "modified": "2024-06-01T00:00:00.000Z", "revoked": True}
    post(client, member, collection, original)
    assert post(client, member, collection, revoked).json["success_count"] == 1
    assert versions(client, member, collection, original["id"]) == [
        original["modified"],
        revoked["modified"],
    ]
    latest = stored(client, member, collection)
    assert latest == [revoked]
    first = stored(client, member, collection, **{"match[version]": "first"})
    assert first == [original]


def test_an_object_without_modified_is_one_version_however_often_posted(
    client: FlaskClient, member: Member, collection: str
) -> None:
    address = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": f"ipv4-addr--{uuid.uuid4()}",
        "value": "198.51.100.7",
    }
    assert post(client, member, collection, address).json["success_count"] == 1
    assert post(client, member, collection, address).json["success_count"] == 1
    assert len(versions(client, member, collection, address["id"])) == 1
    assert stored(client, member, collection, **{"match[version]": "all"}) == [address]


def test_status_resource_is_readable_by_the_posting_organisation(
    client: FlaskClient, factory: Factory, member: Member, collection: str
) -> None:
    posted = post(client, member, collection, indicator(), {"type": "indicator"})
    colleague = factory.member("Org A", role="reader")
    for who in (member, colleague):
        response = client.get(status_url(posted.json["id"]), headers=who.headers)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
        assert response.json == posted.json


def test_status_resource_is_404_for_another_organisation(
    client: FlaskClient, factory: Factory, member: Member, collection: str
) -> None:
    posted = post(client, member, collection, indicator())
    other = factory.member("Org B")
    # Org B can read the collection, and still may not see Org A's status.
    assert stored(client, other, collection) != []
    hidden = client.get(status_url(posted.json["id"]), headers=other.headers)
    unknown = client.get(status_url(str(uuid.uuid4())), headers=other.headers)
    assert assert_taxii_error(hidden, 404) == assert_taxii_error(unknown, 404)


# Fixed ids: xdist workers must collect the same test names.
@pytest.mark.parametrize(
    "status_id",
    [str(uuid.uuid4()), "not-a-uuid", "0" * 500],
    ids=["unknown-uuid", "not-a-uuid", "too-long"],
)
def test_unknown_status_is_404(
    client: FlaskClient, member: Member, collection: str, status_id: str
) -> None:
    assert_taxii_error(client.get(status_url(status_id), headers=member.headers), 404)


def test_status_is_404_under_another_api_root(
    client: FlaskClient, factory: Factory, member: Member, collection: str
) -> None:
    posted = post(client, member, collection, indicator())
    factory.root("other")
    response = client.get(status_url(posted.json["id"], root="other"), headers=member.headers)
    assert_taxii_error(response, 404)


def test_a_reader_posting_gets_403_taxii_error(
    client: FlaskClient, factory: Factory, member: Member, collection: str
) -> None:
    reader = factory.member("Org A", role="reader")
    response = post(client, reader, collection, indicator())
    assert_taxii_error(response, 403)
    assert stored(client, member, collection) == []


def test_posting_to_a_read_only_collection_is_403(
    client: FlaskClient, factory: Factory, member: Member
) -> None:
    read_only = factory.collection(read="*", write="")
    assert_taxii_error(post(client, member, read_only, indicator()), 403)
    assert stored(client, member, read_only) == []


def test_an_accepted_post_is_visible_to_other_readers(
    client: FlaskClient, factory: Factory, member: Member, collection: str
) -> None:
    obj = indicator(
        object_marking_refs=["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    )
    post(client, member, collection, obj)
    reader = factory.member("Org B", role="reader")
    assert stored(client, reader, collection) == [obj]
