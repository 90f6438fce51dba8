"""REST admin API: tokens (/api/v1/tokens). Secrets are shown once and stored only as hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.services.access import accounts
from federation.storage.database import Database
from federation.storage.models import AuditEvent, Token
from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory
from tests.helpers import assert_problem

TOKEN_FIELDS = {
    "id",
    "account",
    "prefix",
    "label",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_account_lists_its_own_tokens_without_secrets(
    client: FlaskClient, factory: Factory
) -> None:
    reader = factory.member("Example ISP", role="reader")
    factory.member("Example ISP", role="reader")
    response = client.get("/api/v1/tokens", headers=reader.auth)
    assert response.status_code == 200
    tokens = response.json["tokens"]
    assert len(tokens) == 1
    assert set(tokens[0]) == TOKEN_FIELDS
    assert tokens[0]["account"] == reader.account
    assert reader.token.startswith(tokens[0]["prefix"])
    assert tokens[0]["last_used_at"] is not None
    assert reader.token not in response.get_data(as_text=True)


def test_a_new_token_is_shown_once_and_works(client: FlaskClient, factory: Factory) -> None:
    reader = factory.member("Example ISP", role="reader")
    response = client.post(
        "/api/v1/tokens", json={"label": "laptop", "expires_in_days": 30}, headers=reader.auth
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert set(body) == TOKEN_FIELDS | {"token"}
    secret = body["token"]
    assert secret.startswith(body["prefix"])
    assert body["label"] == "laptop"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    listing = client.get("/api/v1/tokens", headers=bearer(secret))
    assert listing.status_code == 200
    assert [t["label"] for t in listing.json["tokens"]] == ["", "laptop"]
    assert secret not in listing.get_data(as_text=True)


def test_tokens_are_stored_only_as_hashes(
    client: FlaskClient, factory: Factory, db: Database
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    created = client.post(
        "/api/v1/accounts", json={"name": "bot", "role": "analyst"}, headers=admin.auth
    ).json["token"]
    issued = client.post("/api/v1/tokens", json={}, headers=admin.auth).json["token"]
    secrets = [admin.token, created, issued]
    with db.session() as session:
        rows = list(session.scalars(select(Token)))
        assert len(rows) == 3
        stored = [
            str(getattr(row, column.key)) for row in rows for column in Token.__table__.columns
        ]
        events = [event.detail for event in session.scalars(select(AuditEvent))]
    for secret in secrets:
        assert not any(secret in value for value in stored)
        assert not any(secret in detail for detail in events)


def test_expiry_must_lie_in_the_future(client: FlaskClient, factory: Factory) -> None:
    reader = factory.member("Example ISP", role="reader")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = client.post("/api/v1/tokens", json={"expires_at": past}, headers=reader.auth)
    assert "expires_at" in assert_problem(response, 422)["errors"]
    future = datetime.now(UTC) + timedelta(days=2)
    both = client.post(
        "/api/v1/tokens",
        json={"expires_at": future.isoformat(), "expires_in_days": 2},
        headers=reader.auth,
    )
    assert "expires_in_days" in assert_problem(both, 422)["errors"]
    zero = client.post("/api/v1/tokens", json={"expires_in_days": 0}, headers=reader.auth)
    assert "expires_in_days" in assert_problem(zero, 422)["errors"]
    assert len(client.get("/api/v1/tokens", headers=reader.auth).json["tokens"]) == 1


def test_a_token_may_expire_at_a_given_time(client: FlaskClient, factory: Factory) -> None:
    reader = factory.member("Example ISP", role="reader")
    response = client.post(
        "/api/v1/tokens", json={"expires_at": "2999-01-01T00:00:00Z"}, headers=reader.auth
    )
    assert response.status_code == 201
    assert datetime.fromisoformat(response.json["expires_at"]) == datetime(2999, 1, 1, tzinfo=UTC)


def test_a_token_revoked_through_the_api_gets_401_everywhere(
    client: FlaskClient, factory: Factory
) -> None:
    reader = factory.member("Example ISP", role="reader")
    spare = client.post("/api/v1/tokens", json={"label": "spare"}, headers=reader.auth).json
    assert client.delete(f"/api/v1/tokens/{spare['id']}", headers=reader.auth).status_code == 204
    taxii = client.get("/taxii2/", headers={**bearer(spare["token"]), "Accept": TAXII_MEDIA_TYPE})
    assert taxii.status_code == 401
    assert_problem(client.get("/api/v1/tokens", headers=bearer(spare["token"])), 401)
    listed = client.get("/api/v1/tokens", headers=reader.auth).json["tokens"]
    assert next(t for t in listed if t["id"] == spare["id"])["revoked_at"] is not None
    again = client.delete(f"/api/v1/tokens/{spare['id']}", headers=reader.auth)
    assert again.status_code == 204


def test_an_expired_token_gets_401(app: Flask, client: FlaskClient, factory: Factory) -> None:
    reader = factory.member("Example ISP", role="reader")
    with factory.db.session() as session:
        expired = accounts.issue_token(
            session,
            app.config["SECRET_KEY"],
            reader.account,
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
    assert_problem(client.get("/api/v1/tokens", headers=bearer(expired.token)), 401)
    taxii = client.get("/taxii2/", headers={**bearer(expired.token), "Accept": TAXII_MEDIA_TYPE})
    assert taxii.status_code == 401


def test_org_admin_manages_tokens_within_own_organisation(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    analyst = factory.member("Example ISP", role="analyst")
    issued = client.post(
        "/api/v1/tokens", json={"account": analyst.account, "label": "siem"}, headers=admin.auth
    )
    assert issued.status_code == 201
    assert issued.json["account"] == analyst.account
    listed = client.get(f"/api/v1/tokens?account={analyst.account}", headers=admin.auth)
    assert [t["label"] for t in listed.json["tokens"]] == ["", "siem"]
    first = listed.json["tokens"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{first}", headers=admin.auth).status_code == 204
    assert_problem(client.get("/api/v1/tokens", headers=analyst.auth), 401)
    assert client.get("/api/v1/tokens", headers=bearer(issued.json["token"])).status_code == 200


def test_org_admin_cannot_reach_another_organisations_tokens(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    police = factory.member("Police", sector="law-enforcement", role="analyst")
    police_token = client.get("/api/v1/tokens", headers=police.auth).json["tokens"][0]["id"]
    query = f"/api/v1/tokens?account={police.account}"
    assert_problem(client.get(query, headers=admin.auth), 404)
    issued = client.post("/api/v1/tokens", json={"account": police.account}, headers=admin.auth)
    assert_problem(issued, 404)
    assert_problem(client.delete(f"/api/v1/tokens/{police_token}", headers=admin.auth), 404)
    assert client.get("/api/v1/tokens", headers=police.auth).status_code == 200


def test_org_admin_cannot_mint_tokens_for_a_hub_admin(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.member("Hub", sector="hub", role="org-admin")
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    issued = client.post("/api/v1/tokens", json={"account": hub.account}, headers=admin.auth)
    assert_problem(issued, 403)


def test_a_reader_cannot_revoke_or_list_a_colleagues_tokens(
    client: FlaskClient, factory: Factory
) -> None:
    reader = factory.member("Example ISP", role="reader")
    colleague = factory.member("Example ISP", role="reader")
    token_id = client.get("/api/v1/tokens", headers=colleague.auth).json["tokens"][0]["id"]
    assert_problem(client.delete(f"/api/v1/tokens/{token_id}", headers=reader.auth), 404)
    query = f"/api/v1/tokens?account={colleague.account}"
    assert_problem(client.get(query, headers=reader.auth), 404)
    assert client.get("/api/v1/tokens", headers=colleague.auth).status_code == 200


def test_hub_admin_revokes_any_token(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    police = factory.member("Police", sector="law-enforcement", role="org-admin")
    listed = client.get(f"/api/v1/tokens?account={police.account}", headers=hub.auth)
    token_id = listed.json["tokens"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=hub.auth).status_code == 204
    assert_problem(client.get("/api/v1/tokens", headers=police.auth), 401)
    assert_problem(client.delete("/api/v1/tokens/999999", headers=hub.auth), 404)
