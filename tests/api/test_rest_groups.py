"""REST admin API: trust groups (/api/v1/groups) and what membership opens."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import Factory
from tests.helpers import ROOT, Member, assert_problem


def create_group(client: FlaskClient, hub: Member, name: str = "trusted") -> dict[str, Any]:
    response = client.post(
        "/api/v1/groups", json={"name": name, "description": "Core members"}, headers=hub.auth
    )
    assert response.status_code == 201, response.json
    body: dict[str, Any] = response.json
    return body


def org_id(client: FlaskClient, member: Member) -> int:
    orgs = client.get("/api/v1/orgs", headers=member.auth).json["organisations"]
    return int(orgs[0]["id"])


def test_hub_admin_creates_a_group_and_adds_and_removes_members(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    isp = factory.member("Example ISP")
    factory.member("Police", sector="law-enforcement")
    group = create_group(client, hub)
    assert group["name"] == "trusted"
    assert group["description"] == "Core members"
    assert group["members"] == []
    for name in ("Police", "Example ISP"):
        added = client.post(
            f"/api/v1/groups/{group['id']}/members", json={"organisation": name}, headers=hub.auth
        )
        assert added.status_code == 201, added.json
    assert added.json["members"] == ["Example ISP", "Police"]
    removed = client.delete(
        f"/api/v1/groups/{group['id']}/members/{org_id(client, isp)}", headers=hub.auth
    )
    assert removed.status_code == 204
    listed = client.get("/api/v1/groups", headers=hub.auth).json["groups"]
    assert [(g["name"], g["members"]) for g in listed] == [("trusted", ["Police"])]


def test_any_account_lists_groups_with_member_names(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    reader = factory.member("Example ISP", role="reader")
    group = create_group(client, hub)
    client.post(
        f"/api/v1/groups/{group['id']}/members", json={"organisation": "Hub"}, headers=hub.auth
    )
    response = client.get("/api/v1/groups", headers=reader.auth)
    assert response.status_code == 200
    assert response.json["groups"][0]["name"] == "trusted"
    assert response.json["groups"][0]["members"] == ["Hub"]


def test_group_membership_opens_collections_granted_to_the_group(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    isp = factory.member("Example ISP", role="reader")
    collection = factory.collection(read="group:trusted", write="group:trusted")
    url = f"/taxii2/{ROOT}/collections/{collection}/"
    assert client.get(url, headers=isp.headers).status_code == 404
    group = create_group(client, hub)
    client.post(
        f"/api/v1/groups/{group['id']}/members",
        json={"organisation": "Example ISP"},
        headers=hub.auth,
    )
    opened = client.get(url, headers=isp.headers)
    assert opened.status_code == 200
    assert opened.json["can_read"] is True
    client.delete(f"/api/v1/groups/{group['id']}/members/{org_id(client, isp)}", headers=hub.auth)
    assert client.get(url, headers=isp.headers).status_code == 404


def test_only_hub_admins_change_groups(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    admin = factory.member("Example ISP", role="org-admin")
    group = create_group(client, hub)
    assert_problem(client.post("/api/v1/groups", json={"name": "mine"}, headers=admin.auth), 403)
    joined = client.post(
        f"/api/v1/groups/{group['id']}/members",
        json={"organisation": "Example ISP"},
        headers=admin.auth,
    )
    assert_problem(joined, 403)
    left = client.delete(
        f"/api/v1/groups/{group['id']}/members/{org_id(client, admin)}", headers=admin.auth
    )
    assert_problem(left, 403)
    assert client.get("/api/v1/groups", headers=admin.auth).json["groups"][0]["members"] == []


def test_group_names_and_memberships_are_unique(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    group = create_group(client, hub)
    assert_problem(client.post("/api/v1/groups", json={"name": "trusted"}, headers=hub.auth), 409)
    url = f"/api/v1/groups/{group['id']}/members"
    assert client.post(url, json={"organisation": "Hub"}, headers=hub.auth).status_code == 201
    assert_problem(client.post(url, json={"organisation": "Hub"}, headers=hub.auth), 409)


def test_unknown_groups_organisations_and_members_are_not_found(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    group = create_group(client, hub)
    url = f"/api/v1/groups/{group['id']}/members"
    assert_problem(client.post(url, json={"organisation": "Nobody"}, headers=hub.auth), 404)
    missing = client.post(
        "/api/v1/groups/999999/members", json={"organisation": "Hub"}, headers=hub.auth
    )
    assert_problem(missing, 404)
    assert_problem(client.delete(f"{url}/{org_id(client, hub)}", headers=hub.auth), 404)


def test_group_names_cannot_hold_commas(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    response = client.post("/api/v1/groups", json={"name": "a,b"}, headers=hub.auth)
    assert "name" in assert_problem(response, 422)["errors"]
