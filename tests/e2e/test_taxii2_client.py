"""A live hub driven by the clients members really use: taxii2-client, stix2, requests."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stix2
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, Status, as_pages

from tests.cli.console import METRICS_AUTH
from tests.e2e.conftest import Credentials, LiveHub
from tests.helpers import indicator, scaled

pytestmark = pytest.mark.e2e

TAXII = "application/taxii+json;version=2.1"


def envelope(*objects: Any) -> dict[str, Any]:
    return {"objects": list(objects)}


def stix_versions(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(o["id"], o["modified"]) for o in document.get("objects", [])]


def http_status(error: requests.HTTPError, *, body: bool = False) -> int | str:
    """The status of a failed request: the HTTP one, or the TAXII error message's."""
    assert error.response is not None
    return str(error.response.json()["http_status"]) if body else error.response.status_code


@pytest.fixture
def analyst(live_hub: LiveHub) -> Credentials:
    return live_hub.accounts["analyst"]


@pytest.fixture
def server(live_hub: LiveHub, analyst: Credentials) -> Iterator[Server]:
    with Server(live_hub.discovery_url, user=analyst.account, password=analyst.token) as server:
        yield server


@pytest.fixture
def collection(live_hub: LiveHub, analyst: Credentials) -> Iterator[Collection]:
    url = live_hub.collection_url("shared")
    with Collection(url, user=analyst.account, password=analyst.token) as collection:
        yield collection


def test_discovery_names_the_api_root_and_its_readable_collections(
    live_hub: LiveHub, server: Server
) -> None:
    assert server.title == "Federation hub"
    assert [root.url for root in server.api_roots] == [live_hub.root_url]
    assert server.default is not None
    assert server.default.url == live_hub.root_url

    root: ApiRoot = server.api_roots[0]
    assert root.title == "End-to-end hub"
    assert root.versions == [TAXII]
    assert root.max_content_length == 10 * 1024 * 1024
    by_id = {c.id: c for c in root.collections}
    shared = by_id[live_hub.collections["shared"]]
    assert (shared.title, shared.can_read, shared.can_write) == ("shared", True, True)


def test_collection_readable_only_by_another_organisation_is_absent(
    live_hub: LiveHub, server: Server, analyst: Credentials
) -> None:
    police = live_hub.collections["police"]
    assert police not in [c.id for c in server.api_roots[0].collections]
    url = live_hub.collection_url("police")
    with (
        Collection(url, user=analyst.account, password=analyst.token) as hidden,
        pytest.raises(requests.HTTPError) as raised,
    ):
        hidden.refresh()
    assert http_status(raised.value) == 404

    officer = live_hub.accounts["officer"]
    with Server(live_hub.discovery_url, user=officer.account, password=officer.token) as theirs:
        assert police in [c.id for c in theirs.api_roots[0].collections]


def test_add_objects_reports_every_object_and_its_status_can_be_refreshed(
    live_hub: LiveHub, collection: Collection
) -> None:
    valid = [indicator() for _ in range(3)]
    status = collection.add_objects(envelope(*valid), wait_for_completion=True)
    assert (status.status, status.total_count) == ("complete", 3)
    assert (status.success_count, status.failure_count, status.pending_count) == (3, 0, 0)
    assert sorted(s["id"] for s in status.successes) == sorted(o["id"] for o in valid)

    good = indicator()
    no_pattern = {k: v for k, v in indicator().items() if k != "pattern"}
    bad_id = indicator(stix_id="indicator--not-a-uuid")
    status = collection.add_objects(
        json.dumps(envelope(good, no_pattern, bad_id)), wait_for_completion=True
    )
    assert (status.success_count, status.failure_count) == (1, 2)
    assert [s["id"] for s in status.successes] == [good["id"]]
    failures = {f["id"]: f for f in status.failures}
    assert set(failures) == {no_pattern["id"], bad_id["id"]}
    assert "pattern" in failures[no_pattern["id"]]["message"]
    assert all(f["message"] for f in failures.values())

    again = Status(f"{live_hub.root_url}status/{status.id}/", conn=collection._conn)
    assert (again.id, again.success_count, again.failure_count) == (status.id, 1, 2)
    again.refresh()
    assert again.status == "complete"
    assert again.failures == status.failures
    # Only what succeeded was stored.
    with pytest.raises(requests.HTTPError) as raised:
        collection.get_object(no_pattern["id"])
    assert http_status(raised.value) == 404


def test_paging_through_objects_and_manifest_yields_each_version_once(
    collection: Collection,
) -> None:
    posted = [indicator() for _ in range(250)]
    status = collection.add_objects(envelope(*posted))
    assert status.success_count == 250

    pages = list(as_pages(collection.get_objects, per_request=40))
    seen = Counter(v for page in pages for v in stix_versions(page))
    assert len(pages) >= 7
    assert all(page["objects"] and "next" in page for page in pages[:-1])
    assert not pages[-1].get("more", False)
    assert max(seen.values()) == 1
    assert {(o["id"], o["modified"]) for o in posted} <= set(seen)

    manifest_pages = list(as_pages(collection.get_manifest, per_request=100))
    records = Counter(r["id"] for page in manifest_pages for r in page.get("objects", []))
    assert max(records.values()) == 1
    assert {o["id"] for o in posted} <= set(records)


def test_object_versions_get_object_and_manifest_after_two_versions(
    collection: Collection,
) -> None:
    stix_id = f"indicator--{uuid.uuid4()}"
    first = indicator(stix_id=stix_id, modified="2024-01-01T00:00:00.000Z")
    second = indicator(stix_id=stix_id, modified="2024-02-01T00:00:00.000Z", name="second")
    collection.add_objects(envelope(first))
    collection.add_objects(envelope(second))

    versions = collection.object_versions(stix_id)
    assert versions["versions"] == ["2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"]
    latest = collection.get_object(stix_id)
    assert [o["name"] for o in latest["objects"]] == ["second"]
    every = collection.get_object(stix_id, version="all")
    assert [o["modified"] for o in every["objects"]] == versions["versions"]

    manifest = collection.get_manifest(id=stix_id)
    assert [r["version"] for r in manifest["objects"]] == ["2024-02-01T00:00:00.000Z"]
    assert all(r["media_type"] == "application/stix+json;version=2.1" for r in manifest["objects"])


def test_deleted_object_is_gone(collection: Collection) -> None:
    doomed = indicator()
    collection.add_objects(envelope(doomed))
    assert collection.get_object(doomed["id"])["objects"][0]["id"] == doomed["id"]

    collection.delete_object(doomed["id"])

    with pytest.raises(requests.HTTPError) as raised:
        collection.get_object(doomed["id"])
    assert http_status(raised.value) == 404


def test_stix2_taxii_collection_source_queries_and_gets(collection: Collection) -> None:
    wanted = indicator(name="for stix2")
    collection.add_objects(envelope(wanted))
    source = stix2.TAXIICollectionSource(collection)

    found = source.query([stix2.Filter("type", "=", "indicator")])
    assert wanted["id"] in {o.id for o in found}
    assert {o.type for o in found} == {"indicator"}

    got = source.get(wanted["id"])
    assert isinstance(got, stix2.v21.Indicator)
    assert got.name == "for stix2"


def test_reader_account_may_read_but_not_add(live_hub: LiveHub) -> None:
    reader = live_hub.accounts["reader"]
    url = live_hub.collection_url("shared")
    with Collection(url, user=reader.account, password=reader.token) as collection:
        assert (collection.can_read, collection.can_write) == (True, False)
        with pytest.raises(AccessError):
            collection.add_objects(envelope(indicator()))
    # A client that does not check can_write first is refused by the server.
    claims_write = {"id": live_hub.collections["shared"], "title": "shared", "can_read": True}
    claims_write["can_write"] = True
    with (
        Collection(
            url, user=reader.account, password=reader.token, collection_info=claims_write
        ) as stale,
        pytest.raises(requests.HTTPError) as raised,
    ):
        stale.add_objects(envelope(indicator()))
    assert http_status(raised.value) == 403
    assert http_status(raised.value, body=True) == "403"


def test_unauthenticated_request_is_challenged(live_hub: LiveHub) -> None:
    response = requests.get(live_hub.discovery_url, headers={"Accept": TAXII}, timeout=scaled(10))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert response.headers["Content-Type"] == TAXII
    assert response.json()["http_status"] == "401"

    wrong = requests.get(
        live_hub.discovery_url,
        auth=("isp-analyst", "fed_wrong"),
        headers={"Accept": TAXII},
        timeout=scaled(10),
    )
    assert wrong.status_code == 401
    assert "WWW-Authenticate" in wrong.headers


def test_operations_endpoints_answer(live_hub: LiveHub) -> None:
    assert requests.get(f"{live_hub.url}/healthz", timeout=scaled(10)).status_code == 200
    ready = requests.get(f"{live_hub.url}/readyz", timeout=scaled(10))
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


def test_metrics_aggregate_requests_and_ingest_across_workers(
    live_hub: LiveHub, analyst: Credentials
) -> None:
    url = f"{live_hub.collection_url('shared')}objects/"
    headers = {"Accept": TAXII, "Content-Type": TAXII}
    with requests.Session() as session:
        session.auth = analyst.basic
        # Several requests, so both workers very likely serve some.
        for _ in range(6):
            posted = session.post(
                url, headers=headers, json=envelope(indicator()), timeout=scaled(10)
            )
            assert posted.status_code == 202
        text = requests.get(
            f"{live_hub.url}/metrics", headers=METRICS_AUTH, timeout=scaled(10)
        ).text

    requests_total = _samples(text, "federation_http_requests_total")
    posts = sum(
        value
        for labels, value in requests_total
        if 'method="POST"' in labels and 'status="202"' in labels
    )
    assert posts >= 6
    ingested = sum(value for _, value in _samples(text, "federation_objects_ingested_total"))
    assert ingested >= 6


def _samples(text: str, name: str) -> list[tuple[str, float]]:
    pattern = re.compile(rf"^{name}(\{{[^}}]*\}})? ([0-9.e+-]+)$", re.MULTILINE)
    samples = [(m.group(1) or "", float(m.group(2))) for m in pattern.finditer(text)]
    assert samples, f"no {name} in /metrics"
    return samples


def test_every_response_carries_a_request_id_that_the_json_log_records(
    live_hub: LiveHub, analyst: Credentials
) -> None:
    responses = [
        requests.get(f"{live_hub.url}/healthz", timeout=scaled(10)),
        requests.get(live_hub.discovery_url, timeout=scaled(10)),
        requests.get(live_hub.discovery_url, auth=analyst.basic, timeout=scaled(10)),
        requests.get(
            f"{live_hub.root_url}collections/nope/", auth=analyst.basic, timeout=scaled(10)
        ),
        requests.get(f"{live_hub.url}/no-such-page", timeout=scaled(10)),
    ]
    assert [r.status_code for r in responses] == [200, 401, 200, 404, 404]
    ids = [r.headers.get("X-Request-ID") for r in responses]
    assert all(ids)
    assert len(set(ids)) == len(ids)

    chosen = f"e2e-{uuid.uuid4().hex}"
    echoed = requests.get(
        f"{live_hub.url}/healthz", headers={"X-Request-ID": chosen}, timeout=scaled(10)
    )
    assert echoed.headers["X-Request-ID"] == chosen

    # Every log line is JSON; the first line `federation serve` prints names
    # its database for the operator.
    logged = [line for line in live_hub.log_lines() if not line.startswith("database: ")]
    entries = [json.loads(line) for line in logged]
    by_request = {e["request_id"]: e for e in entries if "request_id" in e}
    for request_id in [*ids, chosen]:
        assert request_id in by_request
    assert by_request[chosen]["path"] == "/healthz"
    assert by_request[ids[2]]["account"] == analyst.account
    assert all(analyst.token not in line for line in live_hub.log_lines())


def test_poller_sees_every_object_once_while_two_members_write(
    live_hub: LiveHub, analyst: Credentials
) -> None:
    """DESIGN.md invariant 2, over the wire: poll with added_after while others write."""
    url = f"{live_hub.collection_url('shared')}objects/"
    headers = {"Accept": TAXII, "Content-Type": TAXII}
    errors: list[str] = []
    posted: list[tuple[str, str]] = []
    seen: list[tuple[str, str]] = []

    def write(member: Credentials) -> None:
        with requests.Session() as session:
            session.auth = member.basic
            for _ in range(15):
                objects = [indicator() for _ in range(4)]
                response = session.post(
                    url, headers=headers, json=envelope(*objects), timeout=scaled(30)
                )
                if response.status_code == 202:
                    posted.extend((o["id"], o["modified"]) for o in objects)
                else:
                    errors.append(f"POST {response.status_code}: {response.text[:200]}")

    added_after: str | None = None

    def poll(session: requests.Session) -> bool:
        """One page from where the last one ended; whether the server has more."""
        nonlocal added_after
        params = {"limit": "100", **({"added_after": added_after} if added_after else {})}
        response = session.get(url, headers=headers, params=params, timeout=scaled(30))
        if response.status_code != 200:
            errors.append(f"GET {response.status_code}: {response.text[:200]}")
            return False
        seen.extend(stix_versions(response.json()))
        added_after = response.headers.get("X-TAXII-Date-Added-Last", added_after)
        return bool(response.json().get("more"))

    members = [analyst, live_hub.accounts["officer"]]
    writers = [threading.Thread(target=write, args=(member,)) for member in members]
    for thread in writers:
        thread.start()
    with requests.Session() as session:
        session.auth = analyst.basic
        while any(thread.is_alive() for thread in writers):
            poll(session)
        for thread in writers:
            thread.join()
        while poll(session):
            pass

    assert not errors, errors[:3]
    assert len(posted) == 120
    assert max(Counter(seen).values()) == 1
    assert set(posted) <= set(seen)
