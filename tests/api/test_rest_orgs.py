"""REST admin API: organisations (/api/v1/orgs)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from federation.storage.database import Database
from federation.storage.models import Organisation
from tests.conftest import Factory
from tests.helpers import assert_problem


def organisation_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Organisation)) or 0


def test_hub_admin_admits_an_organisation_with_contact_details(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    response = client.post(
        "/api/v1/orgs",
        json={
            "name": "  Regional Police  ",
            "sector": "law-enforcement",
            "contact_email": "cyber@police.example",
            "contact_phone": "+44 20 7946 0000",
            "unattributed_default": True,
        },
        headers=hub.auth,
    )
    assert response.status_code == 201, response.json
    assert response.headers["Content-Type"] == "application/json"
    body = response.json
    assert body["name"] == "Regional Police"
    assert body["sector"] == "law-enforcement"
    assert body["identity_id"].startswith("identity--")
    assert body["contact_email"] == "cyber@police.example"
    assert body["contact_phone"] == "+44 20 7946 0000"
    assert body["unattributed_default"] is True
    assert body["groups"] == []
    assert body["created_at"]
    assert response.headers["Location"].endswith(f"/api/v1/orgs/{body['id']}")
    assert client.get(f"/api/v1/orgs/{body['id']}", headers=hub.auth).json == body


def test_hub_admin_lists_every_organisation(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    factory.member("Example ISP")
    factory.member("Police", sector="law-enforcement")
    response = client.get("/api/v1/orgs", headers=hub.auth)
    assert response.status_code == 200
    names = [org["name"] for org in response.json["organisations"]]
    assert names == ["Hub", "Example ISP", "Police"]


def test_members_list_only_their_own_organisation(client: FlaskClient, factory: Factory) -> None:
    factory.member("Hub", sector="hub", role="hub-admin")
    reader = factory.member("Example ISP", role="reader")
    factory.member("Police", sector="law-enforcement")
    response = client.get("/api/v1/orgs", headers=reader.auth)
    assert response.status_code == 200
    assert [org["name"] for org in response.json["organisations"]] == ["Example ISP"]


def test_another_organisation_is_not_found_for_a_member(
    client: FlaskClient, factory: Factory
) -> None:
    reader = factory.member("Example ISP", role="reader")
    factory.member("Police", sector="law-enforcement")
    orgs = client.get("/api/v1/orgs", headers=reader.auth).json["organisations"]
    own = orgs[0]["id"]
    assert client.get(f"/api/v1/orgs/{own}", headers=reader.auth).status_code == 200
    assert_problem(client.get(f"/api/v1/orgs/{own + 1}", headers=reader.auth), 404)
    assert_problem(client.get(f"/api/v1/orgs/{own + 999}", headers=reader.auth), 404)


def test_org_admin_cannot_admit_organisations(
    client: FlaskClient, factory: Factory, db: Database
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    before = organisation_count(db)
    response = client.post(
        "/api/v1/orgs", json={"name": "Rogue", "sector": "isp"}, headers=admin.auth
    )
    assert_problem(response, 403)
    assert organisation_count(db) == before


def test_org_admin_changes_contact_details_of_own_organisation(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    org_id = client.get("/api/v1/orgs", headers=admin.auth).json["organisations"][0]["id"]
    response = client.patch(
        f"/api/v1/orgs/{org_id}",
        json={"contact_email": "noc@isp.example", "unattributed_default": True},
        headers=admin.auth,
    )
    assert response.status_code == 200, response.json
    assert response.json["contact_email"] == "noc@isp.example"
    assert response.json["unattributed_default"] is True
    assert response.json["contact_phone"] == ""
    cleared = client.patch(f"/api/v1/orgs/{org_id}", json={"contact_email": ""}, headers=admin.auth)
    assert cleared.json["contact_email"] == ""
    assert cleared.json["unattributed_default"] is True


def test_org_admin_cannot_change_another_organisation(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    other = factory.member("Police", sector="law-enforcement", role="org-admin")
    other_id = client.get("/api/v1/orgs", headers=other.auth).json["organisations"][0]["id"]
    response = client.patch(
        f"/api/v1/orgs/{other_id}", json={"contact_email": "x@evil.example"}, headers=admin.auth
    )
    assert_problem(response, 404)
    assert client.get(f"/api/v1/orgs/{other_id}", headers=other.auth).json["contact_email"] == ""


def test_analyst_cannot_change_own_organisation(client: FlaskClient, factory: Factory) -> None:
    analyst = factory.member("Example ISP", role="analyst")
    org_id = client.get("/api/v1/orgs", headers=analyst.auth).json["organisations"][0]["id"]
    response = client.patch(
        f"/api/v1/orgs/{org_id}", json={"unattributed_default": True}, headers=analyst.auth
    )
    assert_problem(response, 403)


def test_hub_admin_changes_any_organisation(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    other = factory.member("Police", sector="law-enforcement")
    other_id = client.get("/api/v1/orgs", headers=other.auth).json["organisations"][0]["id"]
    response = client.patch(
        f"/api/v1/orgs/{other_id}", json={"contact_phone": "112"}, headers=hub.auth
    )
    assert response.status_code == 200
    assert response.json["contact_phone"] == "112"


def test_organisation_names_are_unique(client: FlaskClient, factory: Factory, db: Database) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    factory.member("Example ISP")
    before = organisation_count(db)
    response = client.post(
        "/api/v1/orgs", json={"name": "Example ISP", "sector": "isp"}, headers=hub.auth
    )
    assert_problem(response, 409)
    assert organisation_count(db) == before


def test_organisation_names_cannot_pose_as_grant_keywords(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    for name in ("*", "sector:isp", "group:trusted", "A,B"):
        response = client.post(
            "/api/v1/orgs", json={"name": name, "sector": "isp"}, headers=hub.auth
        )
        assert "name" in assert_problem(response, 422)["errors"], name


def test_organisation_shows_its_trust_groups(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    isp = factory.member("Example ISP")
    group = client.post("/api/v1/groups", json={"name": "trusted"}, headers=hub.auth).json
    client.post(
        f"/api/v1/groups/{group['id']}/members",
        json={"organisation": "Example ISP"},
        headers=hub.auth,
    )
    own = client.get("/api/v1/orgs", headers=isp.auth).json["organisations"][0]
    assert own["groups"] == ["trusted"]


def test_bad_contact_email_is_rejected(client: FlaskClient, factory: Factory) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    org_id = client.get("/api/v1/orgs", headers=admin.auth).json["organisations"][0]["id"]
    response = client.patch(
        f"/api/v1/orgs/{org_id}", json={"contact_email": "not-an-address"}, headers=admin.auth
    )
    assert "contact_email" in assert_problem(response, 422)["errors"]
