"""Filtering by id, type, version and spec_version; single objects, versions and
manifests (TAXII 2.1 sections 3.4.1, 5.3, 5.5 and 5.7)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from federation.stix.timestamps import parse_timestamp
from federation.taxii.media import STIX_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url

V1, V2, V3 = (
    "2024-01-01T00:00:00.000Z",
    "2024-02-01T00:00:00.000Z",
    "2024-03-01T00:00:00.000Z",
)


class Stored:
    """A collection holding an indicator in three versions, another indicator,
    a malware and an ipv4-addr, posted in that order."""

    def __init__(self, client: FlaskClient, member: Member, collection: str) -> None:
        self.client, self.member, self.collection = client, member, collection
        first = indicator(name="three versions", modified=V1)
        self.history = [first, {**first, "modified": V2}, {**first, "modified": V3}]
        self.other = indicator(name="one version", modified=V2)
        self.malware = {
            "type": "malware",
            "spec_version": "2.1",
            "id": f"malware--{uuid.uuid4()}",
            "created": V1,
            "modified": V1,
            "name": "Mirai",
            "is_family": True,
        }
        self.address = {
            "type": "ipv4-addr",
            "spec_version": "2.1",
            "id": f"ipv4-addr--{uuid.uuid4()}",
            "value": "203.0.113.9",
        }
        for batch in (
            self.history[:1],
            [self.other, self.malware],
            self.history[1:],
            [self.address],
        ):
            response = client.post(
                objects_url(collection), json={"objects": batch}, headers=member.post_headers
            )
            assert response.json["success_count"] == len(batch)

    @property
    def target(self) -> str:
        return str(self.history[0]["id"])

    def get(self, url: str, **query: str) -> dict[str, Any]:
        response = self.client.get(url, headers=self.member.headers, query_string=query)
        assert response.status_code == 200, response.json
        body: dict[str, Any] = response.json
        return body

    def objects(self, **query: str) -> list[tuple[str, str | None]]:
        body = self.get(objects_url(self.collection), **query)
        return [(o["id"], o.get("modified")) for o in body.get("objects", [])]

    def one(self, **query: str) -> list[str]:
        body = self.get(f"{objects_url(self.collection)}{self.target}/", **query)
        return [o["modified"] for o in body.get("objects", [])]

    def manifest(self, **query: str) -> list[dict[str, Any]]:
        url = f"/taxii2/{ROOT}/collections/{self.collection}/manifest/"
        return list(self.get(url, **query).get("objects", []))

    def versions(self, **query: str) -> list[str]:
        body = self.get(f"{objects_url(self.collection)}{self.target}/versions/", **query)
        return list(body.get("versions", []))


@pytest.fixture
def data(client: FlaskClient, factory: Factory) -> Stored:
    return Stored(client, factory.member(), factory.collection())


def test_without_filters_each_object_appears_once_in_its_latest_version(data: Stored) -> None:
    assert data.objects() == [
        (data.other["id"], V2),
        (data.malware["id"], V1),
        (data.target, V3),
        (data.address["id"], None),
    ]


def test_match_id_selects_one_object(data: Stored) -> None:
    assert data.objects(**{"match[id]": data.other["id"]}) == [(data.other["id"], V2)]


def test_match_id_takes_a_comma_separated_list(data: Stored) -> None:
    wanted = f"{data.target},{data.malware['id']}"
    assert data.objects(**{"match[id]": wanted}) == [(data.malware["id"], V1), (data.target, V3)]


def test_match_id_of_an_unknown_object_is_an_empty_page(data: Stored) -> None:
    assert data.objects(**{"match[id]": f"indicator--{uuid.uuid4()}"}) == []


def test_match_type_selects_one_type(data: Stored) -> None:
    assert data.objects(**{"match[type]": "malware"}) == [(data.malware["id"], V1)]
    assert [i for i, _ in data.objects(**{"match[type]": "indicator"})] == [
        data.other["id"],
        data.target,
    ]


def test_match_type_takes_several_types(data: Stored) -> None:
    found = data.objects(**{"match[type]": "malware,ipv4-addr"})
    assert [i for i, _ in found] == [data.malware["id"], data.address["id"]]


def test_match_type_of_an_absent_type_is_an_empty_page(data: Stored) -> None:
    assert data.objects(**{"match[type]": "campaign"}) == []


def test_id_and_type_filters_combine(data: Stored) -> None:
    assert data.objects(**{"match[type]": "indicator", "match[id]": data.other["id"]}) == [
        (data.other["id"], V2)
    ]
    assert data.objects(**{"match[type]": "malware", "match[id]": data.other["id"]}) == []


def test_match_version_last_is_the_default(data: Stored) -> None:
    assert data.objects(**{"match[version]": "last"}) == data.objects()


def test_match_version_first(data: Stored) -> None:
    assert data.objects(**{"match[version]": "first", "match[id]": data.target}) == [
        (data.target, V1)
    ]


def test_match_version_all_lists_every_version_in_date_added_order(data: Stored) -> None:
    assert data.objects(**{"match[version]": "all"}) == [
        (data.target, V1),
        (data.other["id"], V2),
        (data.malware["id"], V1),
        (data.target, V2),
        (data.target, V3),
        (data.address["id"], None),
    ]


def test_match_version_timestamp_selects_that_version_only(data: Stored) -> None:
    assert data.objects(**{"match[version]": V2, "match[type]": "indicator"}) == [
        (data.other["id"], V2),
        (data.target, V2),
    ]
    # The same instant written differently is the same version.
    assert data.one(**{"match[version]": "2024-02-01T00:00:00Z"}) == [V2]


def test_match_version_timestamp_that_no_object_has_is_an_empty_page(data: Stored) -> None:
    assert data.objects(**{"match[version]": "2023-01-01T00:00:00.000Z"}) == []


def test_match_version_first_and_last_together(data: Stored) -> None:
    found = data.objects(**{"match[version]": "first,last", "match[type]": "indicator"})
    # An object with one version appears once, not twice.
    assert found == [(data.target, V1), (data.other["id"], V2), (data.target, V3)]


def test_match_version_timestamps_and_keywords_combine(data: Stored) -> None:
    assert data.one(**{"match[version]": f"{V1},{V3}"}) == [V1, V3]
    assert data.one(**{"match[version]": f"first,{V2}"}) == [V1, V2]
    assert data.one(**{"match[version]": "last,all"}) == [V1, V2, V3]


def test_match_spec_version(data: Stored) -> None:
    everything = data.objects()
    assert data.objects(**{"match[spec_version]": "2.1"}) == everything
    assert data.objects(**{"match[spec_version]": "2.0"}) == []
    assert data.objects(**{"match[spec_version]": "2.0,2.1"}) == everything


def test_single_object_defaults_to_its_last_version(data: Stored) -> None:
    assert data.one() == [V3]


def test_single_object_takes_version_filters(data: Stored) -> None:
    assert data.one(**{"match[version]": "first"}) == [V1]
    assert data.one(**{"match[version]": "all"}) == [V1, V2, V3]
    assert data.one(**{"match[version]": V2}) == [V2]
    assert data.one(**{"match[version]": "2023-01-01T00:00:00.000Z"}) == []
    assert data.one(**{"match[spec_version]": "2.1"}) == [V3]
    assert data.one(**{"match[spec_version]": "2.0"}) == []


def test_single_object_returns_the_documents_as_posted(data: Stored) -> None:
    body = data.get(f"{objects_url(data.collection)}{data.target}/", **{"match[version]": "all"})
    assert body["objects"] == data.history
    assert body["more"] is False


def test_single_unknown_object_is_404(client: FlaskClient, data: Stored) -> None:
    url = f"{objects_url(data.collection)}indicator--{uuid.uuid4()}/"
    for suffix in ("", "versions/"):
        response = client.get(url + suffix, headers=data.member.headers)
        assert response.status_code == 404
        assert response.json["http_status"] == "404"


def test_versions_lists_every_version_oldest_first(data: Stored) -> None:
    assert data.versions() == [V1, V2, V3]


def test_versions_filtered_by_spec_version(data: Stored) -> None:
    assert data.versions(**{"match[spec_version]": "2.1"}) == [V1, V2, V3]
    assert data.versions(**{"match[spec_version]": "2.0"}) == []


def test_versions_after_a_date_added(data: Stored) -> None:
    records = data.manifest(**{"match[id]": data.target, "match[version]": "all"})
    assert data.versions(added_after=records[0]["date_added"]) == [V2, V3]


def test_manifest_records_describe_each_version(data: Stored) -> None:
    records = data.manifest(**{"match[version]": "all"})
    assert [(r["id"], r["version"]) for r in records] == [
        (data.target, V1),
        (data.other["id"], V2),
        (data.malware["id"], V1),
        (data.target, V2),
        (data.target, V3),
        (data.address["id"], records[-1]["version"]),
    ]
    for record in records:
        assert set(record) == {"id", "date_added", "version", "media_type"}
        assert record["media_type"] == STIX_MEDIA_TYPE
        parse_timestamp(record["date_added"])
        parse_timestamp(record["version"])


def test_manifest_takes_the_same_filters_as_objects(data: Stored) -> None:
    for query in (
        {},
        {"match[type]": "indicator"},
        {"match[id]": data.target, "match[version]": "all"},
        {"match[version]": "first"},
        {"match[spec_version]": "2.0"},
    ):
        records = [(r["id"], r["version"]) for r in data.manifest(**query)]
        objects = [(i, v) for i, v in data.objects(**query) if v is not None]
        assert [r for r in records if not r[0].startswith("ipv4-addr")] == objects


def test_unversioned_object_has_one_version_labelled_by_a_timestamp(
    client: FlaskClient, data: Stored
) -> None:
    url = f"{objects_url(data.collection)}{data.address['id']}/versions/"
    versions = data.get(url)["versions"]
    assert len(versions) == 1
    parse_timestamp(versions[0])
    one = data.get(f"{objects_url(data.collection)}{data.address['id']}/")
    assert one["objects"] == [data.address]
