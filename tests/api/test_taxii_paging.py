"""Paging with limit, more and next; added_after; date_added and its headers
(TAXII 2.1 sections 3.3.1, 3.4 and 5.3; DESIGN.md invariants 2 and 3)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.stix.timestamps import parse_timestamp
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url

FIRST = "X-TAXII-Date-Added-First"
LAST = "X-TAXII-Date-Added-Last"
MICROSECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def manifest_url(collection: str) -> str:
    return f"/taxii2/{ROOT}/collections/{collection}/manifest/"


def post(client: FlaskClient, member: Member, collection: str, objects: list[Any]) -> None:
    response = client.post(
        objects_url(collection), json={"objects": objects}, headers=member.post_headers
    )
    assert response.status_code == 202
    assert response.json["failure_count"] == 0


def get(client: FlaskClient, member: Member, url: str, **query: str) -> TestResponse:
    response = client.get(url, headers=member.headers, query_string=query)
    assert response.status_code == 200, response.json
    return response


def follow(
    client: FlaskClient, member: Member, url: str, key: str, **query: str
) -> list[TestResponse]:
    """Every page from ``url``, following ``next`` until ``more`` is false."""
    pages = [get(client, member, url, **query)]
    while pages[-1].json["more"]:
        assert "next" in pages[-1].json, "more without next makes clients loop forever"
        assert pages[-1].json[key], "a page with more must hold items"
        pages.append(get(client, member, url, **{**query, "next": pages[-1].json["next"]}))
        assert len(pages) < 100
    assert "next" not in pages[-1].json
    return pages


def dates(client: FlaskClient, member: Member, collection: str, **query: str) -> list[str]:
    records = get(client, member, manifest_url(collection), **query).json.get("objects", [])
    return [r["date_added"] for r in records]


@pytest.fixture
def member(factory: Factory) -> Member:
    return factory.member()


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


def test_following_next_returns_every_object_once_in_date_added_order(
    client: FlaskClient, member: Member, collection: str
) -> None:
    objects = [indicator() for _ in range(7)]
    post(client, member, collection, objects[:3])
    post(client, member, collection, objects[3:])
    pages = follow(client, member, objects_url(collection), "objects", limit="3")
    assert [len(p.json["objects"]) for p in pages] == [3, 3, 1]
    assert [p.json["more"] for p in pages] == [True, True, False]
    seen = [o["id"] for p in pages for o in p.json["objects"]]
    assert seen == [o["id"] for o in objects]


def test_manifest_pages_like_objects(client: FlaskClient, member: Member, collection: str) -> None:
    objects = [indicator() for _ in range(5)]
    post(client, member, collection, objects)
    pages = follow(client, member, manifest_url(collection), "objects", limit="2")
    assert [len(p.json["objects"]) for p in pages] == [2, 2, 1]
    assert [r["id"] for p in pages for r in p.json["objects"]] == [o["id"] for o in objects]


def test_a_page_that_ends_exactly_at_the_limit_has_no_more(
    client: FlaskClient, member: Member, collection: str
) -> None:
    post(client, member, collection, [indicator() for _ in range(3)])
    page = get(client, member, objects_url(collection), limit="3").json
    assert page["more"] is False
    assert "next" not in page
    assert len(page["objects"]) == 3


def test_next_keeps_its_place_while_objects_are_added(
    client: FlaskClient, member: Member, collection: str
) -> None:
    early = [indicator() for _ in range(3)]
    post(client, member, collection, early)
    first = get(client, member, objects_url(collection), limit="2").json
    late = [indicator() for _ in range(2)]
    post(client, member, collection, late)
    pages = follow(
        client, member, objects_url(collection), "objects", limit="2", next=first["next"]
    )
    rest = [o["id"] for p in pages for o in p.json["objects"]]
    assert [o["id"] for o in first["objects"]] + rest == [o["id"] for o in early + late]


def test_next_combines_with_filters(client: FlaskClient, member: Member, collection: str) -> None:
    wanted = [indicator(name="wanted") for _ in range(4)]
    noise = {
        "type": "malware",
        "spec_version": "2.1",
        "id": "malware--0b5a2c7e-8a2c-4bd7-8d3c-0e7d1f2a3b4c",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "noise",
        "is_family": False,
    }
    post(client, member, collection, [wanted[0], noise, wanted[1], wanted[2], wanted[3]])
    pages = follow(
        client,
        member,
        objects_url(collection),
        "objects",
        limit="3",
        **{"match[type]": "indicator"},
    )
    assert [o["id"] for p in pages for o in p.json["objects"]] == [o["id"] for o in wanted]


def test_added_after_the_last_date_seen_returns_only_newer_objects(
    client: FlaskClient, member: Member, collection: str
) -> None:
    post(client, member, collection, [indicator() for _ in range(3)])
    last_seen = dates(client, member, collection)[-1]
    newer = [indicator(), indicator()]
    post(client, member, collection, newer)
    page = get(client, member, objects_url(collection), added_after=last_seen).json
    assert [o["id"] for o in page["objects"]] == [o["id"] for o in newer]
    assert page["more"] is False
    newest = dates(client, member, collection)[-1]
    empty = get(client, member, objects_url(collection), added_after=newest)
    assert empty.json == {"more": False}
    assert FIRST not in empty.headers
    assert LAST not in empty.headers


def test_added_after_is_exclusive_to_the_microsecond(
    client: FlaskClient, member: Member, collection: str
) -> None:
    objects = [indicator() for _ in range(3)]
    post(client, member, collection, objects)
    added = dates(client, member, collection)
    page = get(client, member, objects_url(collection), added_after=added[0]).json
    assert [o["id"] for o in page["objects"]] == [o["id"] for o in objects[1:]]


def test_added_after_and_limit_page_together(
    client: FlaskClient, member: Member, collection: str
) -> None:
    objects = [indicator() for _ in range(6)]
    post(client, member, collection, objects)
    after = dates(client, member, collection)[1]
    pages = follow(client, member, objects_url(collection), "objects", limit="3", added_after=after)
    assert [o["id"] for p in pages for o in p.json["objects"]] == [o["id"] for o in objects[2:]]


def test_date_added_has_microseconds_and_strictly_increases(
    client: FlaskClient, member: Member, collection: str
) -> None:
    post(client, member, collection, [indicator() for _ in range(5)])
    post(client, member, collection, [indicator()])
    post(client, member, collection, [indicator() for _ in range(3)])
    added = dates(client, member, collection)
    assert len(added) == 9
    assert all(MICROSECONDS.fullmatch(a) for a in added), added
    instants = [parse_timestamp(a) for a in added]
    assert all(a < b for a, b in itertools.pairwise(instants))


@pytest.mark.parametrize("endpoint", ["objects", "manifest", "versions", "object"])
def test_date_headers_match_the_pages_first_and_last_date_added(
    client: FlaskClient, member: Member, collection: str, endpoint: str
) -> None:
    base = indicator()
    history = [
        {**base, "modified": f"2024-01-0{day}T00:00:00.000Z"} for day in range(1, 6)
    ]  # five versions of one object
    post(client, member, collection, history[:2])
    post(client, member, collection, history[2:])
    everything = {"match[version]": "all"}
    added = dates(client, member, collection, **everything)
    url = {
        "objects": objects_url(collection),
        "manifest": manifest_url(collection),
        "versions": f"{objects_url(collection)}{base['id']}/versions/",
        "object": f"{objects_url(collection)}{base['id']}/",
    }[endpoint]
    query = {} if endpoint == "versions" else everything
    key = "versions" if endpoint == "versions" else "objects"
    pages = follow(client, member, url, key, limit="2", **query)
    assert len(pages) == 3
    for number, page in enumerate(pages):
        window = added[number * 2 : number * 2 + 2]
        assert page.headers[FIRST] == window[0]
        assert page.headers[LAST] == window[-1]


def test_versions_endpoint_pages_oldest_first(
    client: FlaskClient, member: Member, collection: str
) -> None:
    base = indicator()
    history = [{**base, "modified": f"2024-01-0{day}T00:00:00.000Z"} for day in range(1, 6)]
    for version in history:
        post(client, member, collection, [version])
    url = f"{objects_url(collection)}{base['id']}/versions/"
    pages = follow(client, member, url, "versions", limit="2")
    assert [len(p.json["versions"]) for p in pages] == [2, 2, 1]
    assert [v for p in pages for v in p.json["versions"]] == [v["modified"] for v in history]


def test_single_object_pages_through_its_versions(
    client: FlaskClient, member: Member, collection: str
) -> None:
    base = indicator()
    history = [{**base, "modified": f"2024-01-0{day}T00:00:00.000Z"} for day in range(1, 4)]
    post(client, member, collection, history)
    url = f"{objects_url(collection)}{base['id']}/"
    pages = follow(client, member, url, "objects", limit="2", **{"match[version]": "all"})
    assert [o for p in pages for o in p.json["objects"]] == history


def test_default_limit_applies_without_a_limit(
    client: FlaskClient, member: Member, collection: str
) -> None:
    # The test app's PAGE_LIMIT_DEFAULT is 100.
    post(client, member, collection, [indicator() for _ in range(101)])
    page = get(client, member, manifest_url(collection)).json
    assert len(page["objects"]) == 100
    assert page["more"] is True
    rest = get(client, member, manifest_url(collection), next=page["next"]).json
    assert len(rest["objects"]) == 1
    assert rest["more"] is False


def test_an_empty_collection_is_an_empty_page(
    client: FlaskClient, member: Member, collection: str
) -> None:
    for url in (objects_url(collection), manifest_url(collection)):
        response = get(client, member, url)
        assert response.json == {"more": False}
        assert FIRST not in response.headers
