"""Who sees what: every read path x every TLP level x every relation of reader to object.

DESIGN.md invariants 4 and 5. The poster is an ISP; readers are the poster's own
organisation, another ISP, a law-enforcement organisation, a named recipient,
and an organisation outside the collection's read grant.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from federation.cli import cli
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url

TLP2 = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    "white (TLP 1.0)": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "red (TLP 1.0)": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    "unmarked": None,
}
SHARED = {"clear", "green", "amber", "white (TLP 1.0)", "unmarked"}
RELATIONS = ["owner", "same-sector", "other-sector", "recipient", "outside-collection"]


def expected(level: str, relation: str) -> bool:
    if relation == "outside-collection":
        return False
    if relation in ("owner", "recipient"):
        return True
    return level in SHARED  # unmarked takes the collection default, AMBER


@pytest.fixture
def world(factory: Factory) -> dict[str, Any]:
    owner = factory.member("Poster ISP", sector="isp")
    readers = {
        "owner": factory.member("Poster ISP", sector="isp", role="reader"),
        "same-sector": factory.member("Other ISP", sector="isp", role="reader"),
        "other-sector": factory.member("Police", sector="law-enforcement", role="reader"),
        "recipient": factory.member("Recipient CSIRT", sector="csirt", role="reader"),
        "outside-collection": factory.member("Outsider", sector="business", role="reader"),
    }
    collection = factory.collection(
        read="Poster ISP,Other ISP,Police,Recipient CSIRT", write="Poster ISP"
    )
    return {"owner": owner, "readers": readers, "collection": collection}


def _post(client: FlaskClient, poster: Member, collection: str, obj: dict[str, Any]) -> None:
    response = client.post(
        objects_url(collection), data=json.dumps({"objects": [obj]}), headers=poster.post_headers
    )
    assert response.status_code == 202
    assert response.json["success_count"] == 1, response.json


def _ids(body: dict[str, Any] | None) -> set[str]:
    return {o["id"] for o in (body or {}).get("objects", [])}


@pytest.mark.parametrize("level", list(TLP2))
def test_each_read_path_shows_exactly_what_the_tlp_allows(
    client: FlaskClient, runner: FlaskCliRunner, world: dict[str, Any], level: str
) -> None:
    collection = world["collection"]
    recipient: Member = world["readers"]["recipient"]
    marking = TLP2[level]
    obj = indicator(
        x_federation_recipients=[recipient.identity_id],
        **({"object_marking_refs": [marking]} if marking else {}),
    )
    _post(client, world["owner"], collection, obj)
    base = objects_url(collection)
    for relation, reader in world["readers"].items():
        visible = expected(level, relation)
        where = f"{level} as {relation}"
        listing = client.get(base, headers=reader.headers)
        one = client.get(f"{base}{obj['id']}/", headers=reader.headers)
        versions = client.get(f"{base}{obj['id']}/versions/", headers=reader.headers)
        manifest = client.get(
            f"/taxii2/{ROOT}/collections/{collection}/manifest/", headers=reader.headers
        )
        if relation == "outside-collection":
            for response in (listing, one, versions, manifest):
                assert response.status_code == 404, where
            continue
        assert listing.status_code == 200, where
        assert (obj["id"] in _ids(listing.json)) is visible, where
        assert ("X-TAXII-Date-Added-First" in listing.headers) is visible, where
        assert one.status_code == (200 if visible else 404), where
        assert versions.status_code == (200 if visible else 404), where
        assert (obj["id"] in _ids(manifest.json)) is visible, where
        if not visible:
            # Hidden is indistinguishable from absent.
            absent = client.get(
                f"{base}indicator--00000000-0000-4000-8000-000000000000/", headers=reader.headers
            )
            assert one.json == absent.json | {"description": one.json["description"]}, where
            assert one.json["description"] == absent.json["description"].replace(
                "indicator--00000000-0000-4000-8000-000000000000", obj["id"]
            ), where
            assert listing.json == {"more": False}, where

        exported = runner.invoke(
            cli, args=["export", "--collection", collection, "--account", reader.account]
        )
        assert exported.exit_code == 0, exported.output
        assert (obj["id"] in exported.output) is visible, where


def test_hidden_objects_do_not_shift_paging(client: FlaskClient, factory: Factory) -> None:
    poster = factory.member("Poster ISP")
    reader = factory.member("Other ISP", role="reader")
    collection = factory.collection()
    shared = [indicator(object_marking_refs=[TLP2["green"]]) for _ in range(3)]
    for index, obj in enumerate(shared):
        _post(client, poster, collection, obj)
        if index < 2:
            _post(client, poster, collection, indicator(object_marking_refs=[TLP2["red"]]))
    first = client.get(objects_url(collection) + "?limit=3", headers=reader.headers)
    assert [o["id"] for o in first.json["objects"]] == [o["id"] for o in shared]
    assert first.json["more"] is False
    assert "next" not in first.json
