"""Hostile input in paths, filters, credentials and bodies gets a TAXII 400, 401
or 404, or fails as one object of an add; never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url

HOSTILE = {
    "long": "indicator--" + "a" * 10_000,
    "unicode": "indicator--ünïcødé-💥-\u202e",
    "sql": "indicator--'; DROP TABLE object_versions; --",
    "quotes": "\"'\\`",
    "nul": "indicator--\x00",
    "control": "\x01\x1b[31m\r\n",
    "encoded-surrogate": "%ED%A0%80",
    "percent": "%",
    "dots": "..",
    "like": "indicator--%_%",
}
# Only a JSON body can carry an unpaired surrogate (URLs are UTF-8).
BODY_HOSTILE = {**HOSTILE, "surrogate": "x\ud800y"}


def assert_taxii_error(response: TestResponse, *statuses: int, case: object = "") -> None:
    text = response.get_data(as_text=True)[:300]
    assert response.status_code in statuses, f"{case!r}: {response.status_code} {text}"
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE, case
    assert response.get_json()["http_status"] == str(response.status_code), case


@pytest.fixture
def member(factory: Factory) -> Member:
    return factory.member()


@pytest.fixture
def collection(client: FlaskClient, factory: Factory, member: Member) -> str:
    collection = factory.collection(alias="shared")
    response = client.post(
        objects_url(collection), json={"objects": [indicator()]}, headers=member.post_headers
    )
    assert response.json["success_count"] == 1
    return collection


def count_stored(client: FlaskClient, member: Member, collection: str) -> int:
    response = client.get(objects_url(collection), headers=member.headers)
    assert response.status_code == 200
    return len(response.json.get("objects", []))


def post_objects(
    client: FlaskClient, member: Member, collection: str, objects: list[Any]
) -> TestResponse:
    return client.post(
        objects_url(collection), json={"objects": objects}, headers=member.post_headers
    )


def post_body(client: FlaskClient, member: Member, collection: str, body: str) -> TestResponse:
    return client.post(objects_url(collection), data=body, headers=member.post_headers)


def test_hostile_object_ids_in_the_path_are_404(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for name, value in HOSTILE.items():
        url = f"{objects_url(collection)}{value}/"
        for method, suffix in (("GET", ""), ("GET", "versions/"), ("DELETE", "")):
            response = client.open(url + suffix, method=method, headers=member.headers)
            assert_taxii_error(response, 404, case=(name, method, suffix))
    assert count_stored(client, member, collection) == 1


def test_hostile_collection_root_and_status_in_the_path_are_404(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for name, value in HOSTILE.items():
        for url in (
            f"/taxii2/{ROOT}/collections/{value}/",
            f"/taxii2/{ROOT}/collections/{value}/objects/",
            f"/taxii2/{value}/",
            f"/taxii2/{value}/collections/",
            f"/taxii2/{ROOT}/status/{value}/",
        ):
            assert_taxii_error(client.get(url, headers=member.headers), 404, case=(name, url))


def test_hostile_match_filters_find_nothing_or_are_400(
    client: FlaskClient, member: Member, collection: str
) -> None:
    manifest = f"/taxii2/{ROOT}/collections/{collection}/manifest/"
    for name, value in HOSTILE.items():
        for parameter in ("match[id]", "match[type]", "match[spec_version]"):
            for url in (objects_url(collection), manifest):
                response = client.get(url, headers=member.headers, query_string={parameter: value})
                if response.status_code == 200:
                    assert response.json == {"more": False}, (name, parameter)
                else:
                    assert_taxii_error(response, 400, case=(name, parameter))
    assert count_stored(client, member, collection) == 1


def test_hostile_values_of_typed_parameters_are_400(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for name, value in HOSTILE.items():
        for parameter in ("match[version]", "added_after", "next", "limit"):
            response = client.get(
                objects_url(collection), headers=member.headers, query_string={parameter: value}
            )
            assert_taxii_error(response, 400, case=(name, parameter))


def test_hostile_parameter_names_are_400(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for name, value in HOSTILE.items():
        response = client.get(
            objects_url(collection), headers=member.headers, query_string={value: "x"}
        )
        assert_taxii_error(response, 400, case=name)


def test_hostile_credentials_are_401(client: FlaskClient, member: Member) -> None:
    for name, value in HOSTILE.items():
        raw = base64.b64encode(f"{value}:{member.token}".encode()).decode()
        # Header values travel as latin-1 and may not hold line breaks.
        token = value.encode().decode("latin-1").replace("\r", "").replace("\n", "")
        for authorization in (f"Basic {raw}", f"Bearer x{token}", f"Token {token}x"):
            headers = {"Accept": TAXII_MEDIA_TYPE, "Authorization": authorization}
            response = client.get(f"/taxii2/{ROOT}/", headers=headers)
            assert_taxii_error(response, 401, case=(name, authorization[:20]))


def test_objects_with_hostile_ids_fail_on_their_own(
    client: FlaskClient, member: Member, collection: str
) -> None:
    good = indicator()
    hostile = [indicator(stix_id=value) for value in BODY_HOSTILE.values()]
    response = post_objects(client, member, collection, [*hostile, good])
    assert response.status_code == 202, response.json
    assert [s["id"] for s in response.json["successes"]] == [good["id"]]
    failures = response.json["failures"]
    assert len(failures) == len(hostile)
    for failure in failures:
        assert isinstance(failure["message"], str)
        assert failure["message"]
        assert len(json.dumps(failure)) < 2_000
    status = client.get(f"/taxii2/{ROOT}/status/{response.json['id']}/", headers=member.headers)
    assert status.status_code == 200
    assert status.json == response.json
    assert count_stored(client, member, collection) == 2


def test_objects_with_hostile_text_are_stored_exactly_or_fail_on_their_own(
    client: FlaskClient, member: Member, collection: str
) -> None:
    objects = {
        name: indicator(name=value, description=value, x_custom={value: [value]})
        for name, value in BODY_HOSTILE.items()
    }
    response = post_objects(client, member, collection, list(objects.values()))
    assert response.status_code == 202, response.json
    assert response.json["total_count"] == len(objects)
    failed = {f["id"] for f in response.json.get("failures", [])}
    for name, obj in objects.items():
        back = client.get(f"{objects_url(collection)}{obj['id']}/", headers=member.headers)
        if obj["id"] in failed:
            assert back.status_code == 404, name
        else:
            assert back.json["objects"] == [obj], name
    # What PostgreSQL cannot hold is refused on every backend alike.
    assert failed == {objects["nul"]["id"], objects["surrogate"]["id"]}


def test_hostile_recipients_fail_that_object_only(
    client: FlaskClient, member: Member, collection: str
) -> None:
    recipient_lists: list[Any] = [
        ["identity--\x00"],
        ["identity--\ud800"],
        ["x" * 10_000],
        [None],
        "identity",
        [["nested"]],
    ]
    hostile = [indicator(x_federation_recipients=r) for r in recipient_lists]
    good = indicator(x_federation_recipients=[member.identity_id])
    response = post_objects(client, member, collection, [*hostile, good])
    assert response.status_code == 202, response.json
    assert [s["id"] for s in response.json["successes"]] == [good["id"]]
    assert response.json["failure_count"] == len(hostile)


@pytest.mark.parametrize("depth", [50, 900, 940, 200_000])
def test_deeply_nested_json_is_400_or_fails_alone(
    client: FlaskClient, member: Member, collection: str, depth: int
) -> None:
    good, deep = indicator(), indicator(x_deep=None)
    nested = "[" * depth + "]" * depth
    objects = [json.dumps(good), json.dumps(deep).replace("null", nested)]
    response = post_body(client, member, collection, '{"objects": [' + ",".join(objects) + "]}")
    if response.status_code == 400:
        # Too deep for the JSON decoder: the whole body is refused.
        assert_taxii_error(response, 400)
        assert count_stored(client, member, collection) == 1
        return
    assert response.status_code == 202, response.get_data(as_text=True)[:300]
    stored = [s["id"] for s in response.json["successes"]]
    if depth <= 50:
        assert stored == [good["id"], deep["id"]]
    else:
        assert stored == [good["id"]]
        assert [f["id"] for f in response.json["failures"]] == [deep["id"]]
    assert count_stored(client, member, collection) == 1 + len(stored)


def test_a_huge_number_of_tiny_invalid_objects_is_answered(
    client: FlaskClient, member: Member, collection: str
) -> None:
    response = post_objects(client, member, collection, [{}] * 20_000)
    assert response.status_code == 202
    assert response.json["failure_count"] == 20_000


def test_numbers_json_cannot_carry_are_refused(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for number in ("1e400", "-1e400"):  # both parse to a float infinity
        obj = indicator(x_number=None)
        body = '{"objects": [' + json.dumps(obj).replace("null", number) + "]}"
        response = post_body(client, member, collection, body)
        assert response.status_code == 202, number
        assert [f["id"] for f in response.json["failures"]] == [obj["id"]]
    huge = json.dumps(indicator(x_number=None)).replace("null", "1" * 5_000)
    assert_taxii_error(post_body(client, member, collection, '{"objects": [' + huge + "]}"), 400)
    assert count_stored(client, member, collection) == 1


def test_large_but_valid_numbers_are_stored(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for number in ("1" * 4_000, "1.5e-400", "-0"):
        obj = indicator(x_number=None)
        body = '{"objects": [' + json.dumps(obj).replace("null", number) + "]}"
        response = post_body(client, member, collection, body)
        assert response.json["success_count"] == 1, number
        back = client.get(f"{objects_url(collection)}{obj['id']}/", headers=member.headers)
        assert back.json["objects"][0]["x_number"] == json.loads(number), number
