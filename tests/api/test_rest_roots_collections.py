"""REST admin API: API roots (/api/v1/roots) and collections (/api/v1/collections)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import Member, indicator, objects_url

PROBLEM = "application/problem+json"


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status
    return body


@pytest.fixture
def admin(factory: Factory) -> Member:
    return factory.member("Hub", sector="hub", role="hub-admin")


def audit_actions(client: FlaskClient, admin: Member) -> list[str]:
    events = client.get("/api/v1/audit", headers=admin.auth).json["events"]
    return [e["action"] for e in events]


def test_a_hub_admin_creates_lists_changes_and_removes_an_api_root(
    client: FlaskClient, admin: Member
) -> None:
    made = client.post(
        "/api/v1/roots", json={"name": "partners", "title": " Partners "}, headers=admin.auth
    )
    assert made.status_code == 201, made.json
    assert made.headers["Location"].endswith("/api/v1/roots/partners")
    assert made.json | {"created_at": ""} == {
        "name": "partners",
        "title": "Partners",
        "description": "",
        "collections": 0,
        "created_at": "",
    }
    served = client.get("/taxii2/partners/", headers={"Accept": TAXII_MEDIA_TYPE, **admin.auth})
    assert served.json["title"] == "Partners"

    listed = client.get("/api/v1/roots", headers=admin.auth).json["roots"]
    assert [r["name"] for r in listed] == ["partners"]
    changed = client.patch(
        "/api/v1/roots/partners", json={"description": "For partners"}, headers=admin.auth
    )
    assert changed.json["description"] == "For partners"
    assert client.get("/api/v1/roots/partners", headers=admin.auth).json["title"] == "Partners"

    assert client.delete("/api/v1/roots/partners", headers=admin.auth).status_code == 204
    assert_problem(client.get("/api/v1/roots/partners", headers=admin.auth), 404)
    served = client.get("/taxii2/partners/", headers={"Accept": TAXII_MEDIA_TYPE, **admin.auth})
    assert served.status_code == 404
    actions = audit_actions(client, admin)
    for action in ("admin.root.create", "admin.root.update", "admin.root.delete"):
        assert action in actions


def test_api_root_names_are_checked_and_unique(client: FlaskClient, admin: Member) -> None:
    bad = client.post("/api/v1/roots", json={"name": "Has Space", "title": "x"}, headers=admin.auth)
    assert "name" in assert_problem(bad, 422)["errors"]
    body = {"name": "twice", "title": "Twice"}
    assert client.post("/api/v1/roots", json=body, headers=admin.auth).status_code == 201
    again = client.post("/api/v1/roots", json=body, headers=admin.auth)
    assert "already exists" in assert_problem(again, 409)["detail"]


def test_a_root_that_holds_collections_is_not_removed(
    client: FlaskClient, admin: Member, factory: Factory
) -> None:
    factory.collection(root="busy", title="Kept")
    refused = client.delete("/api/v1/roots/busy", headers=admin.auth)
    assert "still holds 1 collection" in assert_problem(refused, 409)["detail"]
    assert client.get("/api/v1/roots/busy", headers=admin.auth).json["collections"] == 1


def test_a_hub_admin_creates_and_changes_a_collection_with_grants_by_name(
    client: FlaskClient, admin: Member, factory: Factory
) -> None:
    root = factory.root()
    isp = factory.member("Example ISP")
    other = factory.member("Other ISP")
    made = client.post(
        "/api/v1/collections",
        json={
            "root": root,
            "title": "Botnets",
            "alias": "botnets",
            "read": ["Example ISP", "sector:law-enforcement"],
            "write": ["Example ISP"],
            "default_tlp": "green",
        },
        headers=admin.auth,
    )
    assert made.status_code == 201, made.json
    collection = made.json
    assert made.headers["Location"].endswith(f"/api/v1/collections/{collection['id']}")
    assert collection["read"] == ["Example ISP", "sector:law-enforcement"]
    assert (collection["write"], collection["default_tlp"]) == (["Example ISP"], "green")
    assert client.get(objects_url(collection["id"]), headers=isp.headers).status_code == 200
    assert client.get(objects_url(collection["id"]), headers=other.headers).status_code == 404

    changed = client.patch(
        f"/api/v1/collections/{collection['id']}",
        json={"read": ["*"], "title": "Botnet C2", "alias": ""},
        headers=admin.auth,
    )
    assert changed.status_code == 200, changed.json
    assert (changed.json["title"], changed.json["alias"], changed.json["read"]) == (
        "Botnet C2",
        None,
        ["*"],
    )
    assert client.get(objects_url(collection["id"]), headers=other.headers).status_code == 200
    shown = client.get(f"/api/v1/collections/{collection['id']}", headers=admin.auth).json
    assert shown == changed.json
    listed = client.get(f"/api/v1/collections?root={root}", headers=admin.auth).json
    assert [c["title"] for c in listed["collections"]] == ["Botnet C2"]
    actions = audit_actions(client, admin)
    assert "admin.collection.create" in actions
    assert "admin.collection.update" in actions


def test_a_title_is_unique_within_its_api_root(
    client: FlaskClient, admin: Member, factory: Factory
) -> None:
    first = factory.collection(title="Incidents")
    factory.collection(root="elsewhere", title="Incidents")  # another root: fine
    again = client.post(
        "/api/v1/collections",
        json={"root": factory.root(), "title": " Incidents "},
        headers=admin.auth,
    )
    detail = assert_problem(again, 409)["detail"]
    assert detail == f"API root 'hub' already has a collection titled 'Incidents' ({first})"
    second = factory.collection(title="Second")
    renamed = client.patch(
        f"/api/v1/collections/{second}", json={"title": "Incidents"}, headers=admin.auth
    )
    assert_problem(renamed, 409)


def test_choice_errors_list_the_valid_values(
    client: FlaskClient, admin: Member, factory: Factory
) -> None:
    root = factory.root()
    sector = client.post(
        "/api/v1/collections",
        json={"root": root, "title": "Police", "read": ["sector:police"]},
        headers=admin.auth,
    )
    detail = assert_problem(sector, 422)["detail"]
    assert detail == (
        "unknown sector 'police'; choose one of: "
        "isp, law-enforcement, government, business, csirt, hub"
    )
    tlp = client.post(
        "/api/v1/collections",
        json={"root": root, "title": "Purple", "default_tlp": "purple"},
        headers=admin.auth,
    )
    assert "clear" in str(assert_problem(tlp, 422)["errors"]["default_tlp"])
    org = client.post(
        "/api/v1/orgs", json={"name": "Police", "sector": "police"}, headers=admin.auth
    )
    assert "law-enforcement" in str(assert_problem(org, 422)["errors"]["sector"])


def test_a_collection_holding_objects_or_linked_to_a_peer_is_not_removed(
    client: FlaskClient, admin: Member, factory: Factory
) -> None:
    empty = factory.collection(title="Empty")
    full = factory.collection(title="Full")
    poster = factory.member("Example ISP")
    posted = client.post(
        objects_url(full),
        json={"objects": [indicator()]},
        headers=poster.post_headers,
    )
    assert posted.status_code == 202

    refused = client.delete(f"/api/v1/collections/{full}", headers=admin.auth)
    assert "holds 1 object version" in assert_problem(refused, 409)["detail"]
    link = {
        "name": "hub-b",
        "url": "http://127.0.0.1:9/taxii2/hub/",
        "collection": "remote",
        "local_collection": empty,
    }
    assert client.post("/api/v1/peers", json=link, headers=admin.auth).status_code == 201
    linked = client.delete(f"/api/v1/collections/{empty}", headers=admin.auth)
    assert "peer(s) hub-b link to it" in assert_problem(linked, 409)["detail"]
    assert client.delete("/api/v1/peers/hub-b", headers=admin.auth).status_code == 204
    assert client.delete(f"/api/v1/collections/{empty}", headers=admin.auth).status_code == 204
    assert_problem(client.get(f"/api/v1/collections/{empty}", headers=admin.auth), 404)
    gone = client.delete(f"/api/v1/collections/{uuid.uuid4()}", headers=admin.auth)
    assert_problem(gone, 404)
    assert "admin.collection.delete" in audit_actions(client, admin)


@pytest.mark.parametrize("role", ["org-admin", "analyst", "reader", "peer"])
def test_only_hub_admins_manage_roots_and_collections(
    client: FlaskClient, factory: Factory, role: str
) -> None:
    collection = factory.collection(title="Private")
    member = factory.member("Example ISP", role=role)
    calls = [
        client.get("/api/v1/roots", headers=member.auth),
        client.post("/api/v1/roots", json={"name": "mine", "title": "x"}, headers=member.auth),
        client.delete("/api/v1/roots/hub", headers=member.auth),
        client.get("/api/v1/collections", headers=member.auth),
        client.get(f"/api/v1/collections/{collection}", headers=member.auth),
        client.patch(
            f"/api/v1/collections/{collection}", json={"read": ["*"]}, headers=member.auth
        ),
        client.delete(f"/api/v1/collections/{collection}", headers=member.auth),
    ]
    for response in calls:
        assert_problem(response, 403)
    assert client.get("/api/v1/collections").status_code == 401
