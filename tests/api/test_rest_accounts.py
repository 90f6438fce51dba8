"""REST admin API: accounts (/api/v1/accounts) and who may manage which."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from federation.storage.database import Database
from federation.storage.models import Account, Token
from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import Member, assert_problem


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def account_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def account_id(client: FlaskClient, member: Member) -> int:
    accounts = client.get("/api/v1/accounts", headers=member.auth).json["accounts"]
    return next(a["id"] for a in accounts if a["name"] == member.account)


def test_hub_admin_creates_an_account_in_any_organisation_with_its_first_token(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    factory.member("Police", sector="law-enforcement")
    response = client.post(
        "/api/v1/accounts",
        json={"name": "officer-1", "organisation": "Police", "role": "reader"},
        headers=hub.auth,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == {"account", "token"}
    account = body["account"]
    assert account["name"] == "officer-1"
    assert account["organisation"] == "Police"
    assert account["role"] == "reader"
    assert account["disabled"] is False
    assert account["unattributed_default"] is False
    assert response.headers["Location"].endswith(f"/api/v1/accounts/{account['id']}")
    assert body["token"].startswith("fed_")
    own = client.get(f"/api/v1/accounts/{account['id']}", headers=bearer(body["token"]))
    assert own.status_code == 200
    assert own.json == account
    taxii = client.get("/taxii2/", headers={**bearer(body["token"]), "Accept": TAXII_MEDIA_TYPE})
    assert taxii.status_code == 200


def test_org_admin_creates_accounts_in_own_organisation_by_default(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    response = client.post(
        "/api/v1/accounts",
        json={"name": "soc-bot", "role": "analyst", "unattributed_default": True},
        headers=admin.auth,
    )
    assert response.status_code == 201, response.json
    assert response.json["account"]["organisation"] == "Example ISP"
    assert response.json["account"]["unattributed_default"] is True
    named = client.post(
        "/api/v1/accounts",
        json={"name": "soc-reader", "role": "reader", "organisation": "Example ISP"},
        headers=admin.auth,
    )
    assert named.status_code == 201


@pytest.mark.parametrize("role", ["hub-admin", "peer"])
def test_org_admin_cannot_create_hub_admins_or_peers(
    client: FlaskClient, factory: Factory, db: Database, role: str
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    before = account_count(db)
    response = client.post(
        "/api/v1/accounts", json={"name": "climber", "role": role}, headers=admin.auth
    )
    assert_problem(response, 403)
    assert account_count(db) == before


def test_org_admin_cannot_create_accounts_in_another_organisation(
    client: FlaskClient, factory: Factory, db: Database
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    factory.member("Police", sector="law-enforcement")
    before = account_count(db)
    for organisation in ("Police", "No Such Org"):
        response = client.post(
            "/api/v1/accounts",
            json={"name": "spy", "role": "reader", "organisation": organisation},
            headers=admin.auth,
        )
        assert_problem(response, 404)
    assert account_count(db) == before


@pytest.mark.parametrize("role", ["reader", "analyst", "peer"])
def test_non_admins_cannot_create_accounts(
    client: FlaskClient, factory: Factory, db: Database, role: str
) -> None:
    member = factory.member("Example ISP", role=role)
    before = account_count(db)
    response = client.post(
        "/api/v1/accounts", json={"name": "friend", "role": "reader"}, headers=member.auth
    )
    assert_problem(response, 403)
    assert account_count(db) == before


def test_hub_admin_lists_every_account_and_filters_by_organisation(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    isp = factory.member("Example ISP")
    police = factory.member("Police", sector="law-enforcement")
    everyone = client.get("/api/v1/accounts", headers=hub.auth).json["accounts"]
    assert [a["name"] for a in everyone] == [hub.account, isp.account, police.account]
    filtered = client.get("/api/v1/accounts?org=Police", headers=hub.auth).json["accounts"]
    assert [a["name"] for a in filtered] == [police.account]
    assert_problem(client.get("/api/v1/accounts?org=Nobody", headers=hub.auth), 404)


def test_org_admin_lists_only_own_organisations_accounts(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    colleague = factory.member("Example ISP", role="reader")
    factory.member("Police", sector="law-enforcement")
    listed = client.get("/api/v1/accounts", headers=admin.auth).json["accounts"]
    assert [a["name"] for a in listed] == [admin.account, colleague.account]
    assert_problem(client.get("/api/v1/accounts?org=Police", headers=admin.auth), 404)


def test_org_admin_gets_404_for_another_organisations_account(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    police = factory.member("Police", sector="law-enforcement", role="analyst")
    police_id = account_id(client, police)
    assert_problem(client.get(f"/api/v1/accounts/{police_id}", headers=admin.auth), 404)
    response = client.patch(
        f"/api/v1/accounts/{police_id}", json={"disabled": True}, headers=admin.auth
    )
    assert_problem(response, 404)
    assert client.get("/api/v1/accounts", headers=police.auth).status_code == 200


def test_reader_sees_only_own_account(client: FlaskClient, factory: Factory) -> None:
    reader = factory.member("Example ISP", role="reader")
    colleague = factory.member("Example ISP", role="analyst")
    listed = client.get("/api/v1/accounts", headers=reader.auth).json["accounts"]
    assert [a["name"] for a in listed] == [reader.account]
    own = client.get(f"/api/v1/accounts/{listed[0]['id']}", headers=reader.auth)
    assert own.status_code == 200
    colleague_id = account_id(client, colleague)
    assert_problem(client.get(f"/api/v1/accounts/{colleague_id}", headers=reader.auth), 404)


def test_reader_cannot_change_own_account(client: FlaskClient, factory: Factory) -> None:
    reader = factory.member("Example ISP", role="reader")
    response = client.patch(
        f"/api/v1/accounts/{account_id(client, reader)}",
        json={"role": "org-admin"},
        headers=reader.auth,
    )
    assert_problem(response, 403)


def test_org_admin_disables_an_account_which_then_gets_401(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    analyst = factory.member("Example ISP", role="analyst")
    target = account_id(client, analyst)
    response = client.patch(
        f"/api/v1/accounts/{target}", json={"disabled": True}, headers=admin.auth
    )
    assert response.status_code == 200, response.json
    assert response.json["disabled"] is True
    assert_problem(client.get("/api/v1/accounts", headers=analyst.auth), 401)
    client.patch(f"/api/v1/accounts/{target}", json={"disabled": False}, headers=admin.auth)
    assert client.get("/api/v1/accounts", headers=analyst.auth).status_code == 200


def test_org_admin_changes_roles_within_limits(client: FlaskClient, factory: Factory) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    reader = factory.member("Example ISP", role="reader")
    target = account_id(client, reader)
    promoted = client.patch(
        f"/api/v1/accounts/{target}", json={"role": "analyst"}, headers=admin.auth
    )
    assert promoted.json["role"] == "analyst"
    for role in ("hub-admin", "peer"):
        response = client.patch(
            f"/api/v1/accounts/{target}", json={"role": role}, headers=admin.auth
        )
        assert_problem(response, 403)
    assert client.get(f"/api/v1/accounts/{target}", headers=admin.auth).json["role"] == "analyst"


def test_org_admin_cannot_touch_a_hub_admin_in_own_organisation(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Hub", sector="hub", role="org-admin")
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    response = client.patch(
        f"/api/v1/accounts/{account_id(client, hub)}", json={"disabled": True}, headers=admin.auth
    )
    assert_problem(response, 403)


def test_nobody_changes_their_own_role_or_disables_themselves(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    own = account_id(client, hub)
    for change in ({"role": "reader"}, {"disabled": True}):
        assert_problem(client.patch(f"/api/v1/accounts/{own}", json=change, headers=hub.auth), 403)
    unchanged = client.patch(
        f"/api/v1/accounts/{own}", json={"unattributed_default": True}, headers=hub.auth
    )
    assert unchanged.status_code == 200
    assert unchanged.json["role"] == "hub-admin"


def test_hub_admin_changes_any_account(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    police = factory.member("Police", sector="law-enforcement", role="reader")
    response = client.patch(
        f"/api/v1/accounts/{account_id(client, police)}",
        json={"role": "peer"},
        headers=hub.auth,
    )
    assert response.status_code == 200
    assert response.json["role"] == "peer"


def test_account_names_are_unique_and_a_conflict_stores_nothing(
    client: FlaskClient, factory: Factory, db: Database
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    with db.session() as session:
        tokens_before = session.scalar(select(func.count()).select_from(Token))
    before = account_count(db)
    response = client.post(
        "/api/v1/accounts", json={"name": admin.account, "role": "reader"}, headers=admin.auth
    )
    assert_problem(response, 409)
    assert account_count(db) == before
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Token)) == tokens_before


def test_the_operator_account_name_is_reserved(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    response = client.post(
        "/api/v1/accounts", json={"name": "Operator", "role": "reader"}, headers=hub.auth
    )
    assert "name" in assert_problem(response, 422)["errors"]


def test_account_names_cannot_hold_a_colon(client: FlaskClient, factory: Factory) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    response = client.post(
        "/api/v1/accounts", json={"name": "a:b", "role": "reader"}, headers=admin.auth
    )
    assert "name" in assert_problem(response, 422)["errors"]
