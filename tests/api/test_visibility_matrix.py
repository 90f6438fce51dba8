"""Who sees what: every read path x every TLP level x every relation of reader to object.

DESIGN.md invariants 4 and 5. The poster is an ISP; readers are the poster's own
organisation, another ISP, a law-enforcement organisation, a named recipient,
the routed owner (the ISP responsible for the address the object names, see
"Routing to the responsible network"), and an organisation outside the
collection's read grant.
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
RELATIONS = [
    "owner",
    "same-sector",
    "other-sector",
    "recipient",
    "routed-owner",
    "outside-collection",
]
# helpers.indicator's pattern names 198.51.100.7.
ROUTED_PREFIX = "198.51.100.0/24"


def expected(level: str, relation: str) -> bool:
    if relation == "outside-collection":
        return False
    if relation in ("owner", "recipient", "routed-owner"):
        return True
    return level in SHARED  # unmarked takes the collection default, AMBER


@pytest.fixture
def world(factory: Factory, runner: FlaskCliRunner) -> dict[str, Any]:
    owner = factory.member("Poster ISP", sector="isp")
    readers = {
        "owner": factory.member("Poster ISP", sector="isp", role="reader"),
        "same-sector": factory.member("Other ISP", sector="isp", role="reader"),
        "other-sector": factory.member("Police", sector="law-enforcement", role="reader"),
        "recipient": factory.member("Recipient CSIRT", sector="csirt", role="reader"),
        "routed-owner": factory.member("Routed ISP", sector="isp", role="reader"),
        "outside-collection": factory.member("Outsider", sector="business", role="reader"),
    }
    declared = runner.invoke(cli, args=["org", "network", "add", "Routed ISP", ROUTED_PREFIX])
    assert declared.exit_code == 0, declared.output
    collection = factory.collection(
        read="Poster ISP,Other ISP,Police,Recipient CSIRT,Routed ISP", write="Poster ISP"
    )
    return {"owner": owner, "readers": readers, "collection": collection}


def inbox_of(client: FlaskClient, member: Member) -> str:
    """The id of the inbox collection routing made for ``member``'s organisation."""
    listing = client.get(f"/taxii2/{ROOT}/collections/", headers=member.headers).json
    [inbox] = [c["id"] for c in listing["collections"] if c["title"].startswith("Routed to")]
    return str(inbox)


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

    # The routed owner also finds it in its inbox, which nobody else can read.
    routed: Member = world["readers"]["routed-owner"]
    inbox = inbox_of(client, routed)
    inbox_base = objects_url(inbox)
    for path in ("", f"{obj['id']}/"):
        response = client.get(inbox_base + path, headers=routed.headers)
        assert response.status_code == 200, f"{level} in the inbox at {path!r}"
        assert obj["id"] in _ids(response.json), level
    versions = client.get(f"{inbox_base}{obj['id']}/versions/", headers=routed.headers)
    assert versions.json["versions"] == [obj["modified"]], level
    manifest = client.get(f"/taxii2/{ROOT}/collections/{inbox}/manifest/", headers=routed.headers)
    assert obj["id"] in _ids(manifest.json), level
    for relation, reader in world["readers"].items():
        if relation != "routed-owner":
            assert client.get(inbox_base, headers=reader.headers).status_code == 404, relation


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


def test_the_routed_owner_sees_an_unattributed_report_only_under_a_pseudonym(
    client: FlaskClient, runner: FlaskCliRunner, world: dict[str, Any]
) -> None:
    poster: Member = world["owner"]
    routed: Member = world["readers"]["routed-owner"]
    collection = world["collection"]
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": poster.identity_id,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": poster.organisation,
        "identity_class": "organization",
    }
    obj = indicator(
        created_by_ref=poster.identity_id,
        x_federation_unattributed=True,
        object_marking_refs=[TLP2["red"]],
    )
    response = client.post(
        objects_url(collection),
        data=json.dumps({"objects": [identity, obj]}),
        headers=poster.post_headers,
    )
    assert response.json["success_count"] == 2, response.json

    inbox = inbox_of(client, routed)
    seen = [client.get(f"/taxii2/{ROOT}/collections/", headers=routed.headers)]
    for where in (collection, inbox):
        base = objects_url(where)
        seen += [
            client.get(base, headers=routed.headers),
            client.get(f"{base}{obj['id']}/", headers=routed.headers),
            client.get(f"{base}{obj['id']}/versions/", headers=routed.headers),
            client.get(f"{base}{poster.identity_id}/", headers=routed.headers),
            client.get(f"/taxii2/{ROOT}/collections/{where}/manifest/", headers=routed.headers),
        ]
    text = "\n".join(r.get_data(as_text=True) + str(dict(r.headers)) for r in seen)
    for where in (collection, inbox):
        exported = runner.invoke(
            cli, args=["export", "--collection", where, "--account", routed.account]
        )
        assert exported.exit_code == 0, exported.output
        text += exported.output
    assert poster.identity_id not in text
    assert poster.organisation not in text
    [shown] = client.get(objects_url(inbox), headers=routed.headers).json["objects"]
    assert shown["id"] == obj["id"]
    assert shown["created_by_ref"].startswith("identity--")
