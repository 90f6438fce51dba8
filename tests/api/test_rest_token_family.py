"""A token never outlives or outranks the token that made it (issue 10, finding 9).

A token made through ``POST /api/v1/tokens`` (or ``POST /api/v1/accounts``)
is a child of the token the request carried: its expiry is capped at the
parent's, it stops working when the parent expires or is revoked, and it never
serves a higher role than the parent's account holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from federation.services.demo import load_demo
from federation.storage.database import Database
from federation.storage.models import AuditEvent, Token
from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.conftest import Factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rest_status(client: FlaskClient, token: str) -> int:
    return client.get("/api/v1/tokens", headers=bearer(token)).status_code


def taxii_status(client: FlaskClient, token: str) -> int:
    headers = {**bearer(token), "Accept": TAXII_MEDIA_TYPE}
    return client.get("/taxii2/", headers=headers).status_code


def short_lived(client: FlaskClient, auth: dict[str, str], days: int = 1) -> dict[str, object]:
    """A token that expires in ``days``, made by the member's own (lasting) token."""
    response = client.post("/api/v1/tokens", json={"expires_in_days": days}, headers=auth)
    assert response.status_code == 201, response.json
    body: dict[str, object] = response.json
    return body


def expire(db: Database, token_id: object) -> None:
    """Let a token expire without waiting: its expiry a second in the past."""
    with db.session() as session:
        session.execute(
            update(Token)
            .where(Token.id == token_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()


def test_a_child_token_expires_no_later_than_its_parent(
    client: FlaskClient, factory: Factory
) -> None:
    reader = factory.member("Example ISP", role="reader")
    parent = short_lived(client, reader.auth)
    parent_expiry = datetime.fromisoformat(str(parent["expires_at"]))
    unlimited = client.post("/api/v1/tokens", json={}, headers=bearer(str(parent["token"])))
    longer = client.post(
        "/api/v1/tokens", json={"expires_in_days": 30}, headers=bearer(str(parent["token"]))
    )
    sooner_at = datetime.now(UTC) + timedelta(hours=1)
    sooner = client.post(
        "/api/v1/tokens",
        json={"expires_at": sooner_at.isoformat()},
        headers=bearer(str(parent["token"])),
    )
    assert [r.status_code for r in (unlimited, longer, sooner)] == [201, 201, 201]
    assert datetime.fromisoformat(unlimited.json["expires_at"]) == parent_expiry
    assert datetime.fromisoformat(longer.json["expires_at"]) == parent_expiry
    # An earlier expiry than the parent's is kept as asked.
    assert abs(datetime.fromisoformat(sooner.json["expires_at"]) - sooner_at) < timedelta(seconds=1)


def test_a_child_token_stops_working_when_its_parent_expires(
    client: FlaskClient, factory: Factory, db: Database
) -> None:
    reader = factory.member("Example ISP", role="reader")
    parent = short_lived(client, reader.auth)
    child = client.post("/api/v1/tokens", json={}, headers=bearer(str(parent["token"]))).json
    grandchild = client.post("/api/v1/tokens", json={}, headers=bearer(child["token"])).json
    assert rest_status(client, grandchild["token"]) == 200
    expire(db, parent["id"])
    for token in (str(parent["token"]), child["token"], grandchild["token"]):
        assert rest_status(client, token) == 401
        assert taxii_status(client, token) == 401
    # The member's own token, which made the parent, is untouched.
    assert rest_status(client, reader.token) == 200


def test_revoking_a_token_revokes_the_tokens_made_with_it(
    client: FlaskClient, factory: Factory, db: Database
) -> None:
    reader = factory.member("Example ISP", role="reader")
    parent = client.post("/api/v1/tokens", json={"label": "parent"}, headers=reader.auth).json
    child = client.post(
        "/api/v1/tokens", json={"label": "child"}, headers=bearer(parent["token"])
    ).json
    grandchild = client.post(
        "/api/v1/tokens", json={"label": "grandchild"}, headers=bearer(child["token"])
    ).json
    sibling = client.post("/api/v1/tokens", json={"label": "sibling"}, headers=reader.auth).json
    deleted = client.delete(f"/api/v1/tokens/{parent['id']}", headers=reader.auth)
    assert deleted.status_code == 204
    for token in (parent, child, grandchild):
        assert rest_status(client, token["token"]) == 401
        assert taxii_status(client, token["token"]) == 401
    assert rest_status(client, sibling["token"]) == 200
    listed = client.get("/api/v1/tokens", headers=reader.auth).json["tokens"]
    revoked = {t["label"] for t in listed if t["revoked_at"] is not None}
    assert revoked == {"parent", "child", "grandchild"}
    with db.session() as session:
        detail = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "admin.token.revoke")
        ).one()
    assert "2 token(s) made with it" in detail


def test_a_child_token_never_serves_a_higher_role_than_its_parent(
    client: FlaskClient, factory: Factory
) -> None:
    hub_admin = factory.member("Hub", sector="hub", role="hub-admin")
    admin = factory.member("Example ISP", role="org-admin")
    analyst = factory.member("Example ISP", role="analyst")
    child = client.post(
        "/api/v1/tokens", json={"account": analyst.account}, headers=admin.auth
    ).json
    assert rest_status(client, child["token"]) == 200
    admin_id = next(
        a["id"]
        for a in client.get("/api/v1/accounts", headers=hub_admin.auth).json["accounts"]
        if a["name"] == admin.account
    )
    demoted = client.patch(
        f"/api/v1/accounts/{admin_id}", json={"role": "reader"}, headers=hub_admin.auth
    )
    assert demoted.status_code == 200
    # The analyst's token made by a (now) reader would outrank its parent.
    assert rest_status(client, child["token"]) == 401
    assert taxii_status(client, child["token"]) == 401
    # The analyst's own token, made by nobody's, still works; so does the admin's.
    assert rest_status(client, analyst.token) == 200
    assert rest_status(client, admin.token) == 200


def test_a_short_lived_token_cannot_make_an_account_with_a_lasting_token(
    client: FlaskClient, factory: Factory, db: Database
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    parent = short_lived(client, admin.auth)
    created = client.post(
        "/api/v1/accounts",
        json={"name": "bot-from-short-token", "role": "analyst"},
        headers=bearer(str(parent["token"])),
    )
    assert created.status_code == 201, created.json
    first = created.json["token"]
    assert rest_status(client, first) == 200
    expire(db, parent["id"])
    assert rest_status(client, first) == 401
    assert taxii_status(client, first) == 401


def test_rotating_the_demo_tokens_revokes_the_tokens_made_with_them(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    with db.session() as session:
        first = load_demo(session, app.config["SECRET_KEY"])[0]
    child = client.post("/api/v1/tokens", json={}, headers=bearer(first.token)).json
    assert rest_status(client, child["token"]) == 200
    with db.session() as session:
        load_demo(session, app.config["SECRET_KEY"])
    assert rest_status(client, first.token) == 401
    assert rest_status(client, child["token"]) == 401
