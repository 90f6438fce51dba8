"""Collections: who sees which, with which rights (TAXII 2.1 sections 5.1 and 5.2)."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.taxii.media import STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import ROOT, indicator, objects_url

COLLECTIONS = f"/taxii2/{ROOT}/collections/"


def assert_taxii_error(response: TestResponse, status: int) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    body = response.get_json()
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


def listed(client: FlaskClient, headers: dict[str, str]) -> dict[str, tuple[bool, bool]]:
    """Collection id -> (can_read, can_write) as the caller's listing shows them."""
    response = client.get(COLLECTIONS, headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    return {c["id"]: (c["can_read"], c["can_write"]) for c in response.json.get("collections", [])}


def test_listing_holds_only_collections_the_caller_may_read_or_write(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member("Org A", sector="isp")
    police = factory.member("Org B", sector="law-enforcement")
    factory.member("Org C", sector="government")
    everyone = factory.collection(read="*", write="*")
    org_a_only = factory.collection(read="Org A", write="Org A")
    isps_read = factory.collection(read="sector:isp", write="")
    drop_box = factory.collection(read="Org A", write="*")
    org_c_only = factory.collection(read="Org C", write="Org C")

    assert listed(client, isp.headers) == {
        everyone: (True, True),
        org_a_only: (True, True),
        isps_read: (True, False),
        drop_box: (True, True),
    }
    assert listed(client, police.headers) == {
        everyone: (True, True),
        drop_box: (False, True),
    }
    assert org_c_only not in listed(client, isp.headers)


def test_a_reader_never_has_can_write(client: FlaskClient, factory: Factory) -> None:
    reader = factory.member("Org A", role="reader")
    everyone = factory.collection(read="*", write="*")
    own = factory.collection(read="Org A", write="Org A")
    assert listed(client, reader.headers) == {everyone: (True, False), own: (True, False)}
    one = client.get(f"{COLLECTIONS}{own}/", headers=reader.headers)
    assert one.json["can_write"] is False


def test_a_reader_does_not_see_a_collection_it_could_only_write(
    client: FlaskClient, factory: Factory
) -> None:
    factory.member("Org B")
    reader = factory.member("Org A", role="reader")
    drop_box = factory.collection(read="Org B", write="*")
    assert drop_box not in listed(client, reader.headers)
    assert_taxii_error(client.get(f"{COLLECTIONS}{drop_box}/", headers=reader.headers), 404)


def test_listing_with_no_accessible_collection_is_an_empty_resource(
    client: FlaskClient, factory: Factory
) -> None:
    factory.member("Org A")
    outsider = factory.member("Org B")
    factory.collection(read="Org A", write="Org A")
    response = client.get(COLLECTIONS, headers=outsider.headers)
    assert response.status_code == 200
    assert "collections" not in response.json


def test_collection_resource_describes_the_collection(
    client: FlaskClient, factory: Factory
) -> None:
    member = factory.member("Org A")
    collection = factory.collection(
        read="Org A", write="", title="Botnet C2", description="C2 servers seen by members"
    )
    response = client.get(f"{COLLECTIONS}{collection}/", headers=member.headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    assert response.json == {
        "id": collection,
        "title": "Botnet C2",
        "can_read": True,
        "can_write": False,
        "media_types": [STIX_MEDIA_TYPE],
        "description": "C2 servers seen by members",
    }


def test_one_collection_reports_the_callers_own_grants(
    client: FlaskClient, factory: Factory
) -> None:
    isp = factory.member("Org A", sector="isp")
    police = factory.member("Org B", sector="law-enforcement")
    drop_box = factory.collection(read="Org A", write="*")
    isp_view = client.get(f"{COLLECTIONS}{drop_box}/", headers=isp.headers).json
    police_view = client.get(f"{COLLECTIONS}{drop_box}/", headers=police.headers).json
    assert (isp_view["can_read"], isp_view["can_write"]) == (True, True)
    assert (police_view["can_read"], police_view["can_write"]) == (False, True)


def test_sector_grant_covers_every_organisation_of_that_sector(
    client: FlaskClient, factory: Factory
) -> None:
    first = factory.member("ISP One", sector="isp")
    second = factory.member("ISP Two", sector="isp")
    business = factory.member("Shop", sector="business")
    collection = factory.collection(read="sector:isp", write="sector:isp")
    for member in (first, second):
        assert listed(client, member.headers)[collection] == (True, True)
    assert collection not in listed(client, business.headers)


def test_collection_is_reachable_by_its_alias(client: FlaskClient, factory: Factory) -> None:
    member = factory.member()
    collection = factory.collection(alias="incidents")
    response = client.get(f"{COLLECTIONS}incidents/", headers=member.headers)
    assert response.status_code == 200
    assert response.json["id"] == collection
    assert response.json["alias"] == "incidents"
    obj = indicator()
    posted = client.post(
        objects_url("incidents"), json={"objects": [obj]}, headers=member.post_headers
    )
    assert posted.status_code == 202
    by_id = client.get(objects_url(collection), headers=member.headers)
    assert by_id.json["objects"] == [obj]


def test_inaccessible_collection_is_404_like_a_missing_one(
    client: FlaskClient, factory: Factory
) -> None:
    factory.member("Org A")
    outsider = factory.member("Org B")
    private = factory.collection(read="Org A", write="Org A")
    missing = str(uuid.uuid4())
    for suffix in ("", "objects/", "manifest/", f"objects/{indicator()['id']}/"):
        hidden = client.get(f"{COLLECTIONS}{private}/{suffix}", headers=outsider.headers)
        absent = client.get(f"{COLLECTIONS}{missing}/{suffix}", headers=outsider.headers)
        hidden_body = assert_taxii_error(hidden, 404)
        absent_body = assert_taxii_error(absent, 404)
        assert hidden_body["title"] == absent_body["title"]
    posted = client.post(
        objects_url(private), json={"objects": [indicator()]}, headers=outsider.post_headers
    )
    assert_taxii_error(posted, 404)


def test_collection_of_another_api_root_is_404(client: FlaskClient, factory: Factory) -> None:
    member = factory.member()
    elsewhere = factory.collection(root="other")
    factory.root(ROOT)
    home = client.get(f"/taxii2/other/collections/{elsewhere}/", headers=member.headers)
    assert home.status_code == 200
    assert_taxii_error(client.get(f"{COLLECTIONS}{elsewhere}/", headers=member.headers), 404)
    assert elsewhere not in listed(client, member.headers)


def test_reading_objects_of_a_write_only_collection_is_403(
    client: FlaskClient, factory: Factory
) -> None:
    factory.member("Org A")
    writer = factory.member("Org B")
    drop_box = factory.collection(read="Org A", write="*")
    posted = client.post(
        objects_url(drop_box), json={"objects": [indicator()]}, headers=writer.post_headers
    )
    assert posted.status_code == 202
    assert posted.json["success_count"] == 1
    assert_taxii_error(client.get(objects_url(drop_box), headers=writer.headers), 403)
    manifest = f"{COLLECTIONS}{drop_box}/manifest/"
    assert_taxii_error(client.get(manifest, headers=writer.headers), 403)


def test_writer_without_read_cannot_read_back_what_it_posted(
    client: FlaskClient, factory: Factory
) -> None:
    factory.member("Org A")
    writer = factory.member("Org B")
    drop_box = factory.collection(read="Org A", write="*")
    obj = indicator()
    client.post(objects_url(drop_box), json={"objects": [obj]}, headers=writer.post_headers)
    one = client.get(f"{objects_url(drop_box)}{obj['id']}/", headers=writer.headers)
    versions = client.get(f"{objects_url(drop_box)}{obj['id']}/versions/", headers=writer.headers)
    assert_taxii_error(one, 403)
    assert_taxii_error(versions, 403)
