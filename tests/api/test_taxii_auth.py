"""Authentication: HTTP Basic with account name and token, or a bearer token
(TAXII 2.1 section 1.6.9)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from federation.services.access import accounts
from federation.storage.base import utcnow
from federation.storage.models import Account, Token
from federation.taxii.media import TAXII_MEDIA_TYPE
from federation.web.db import database
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator, objects_url

ACCEPT = {"Accept": TAXII_MEDIA_TYPE}


def assert_taxii_error(response: TestResponse, status: int) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == TAXII_MEDIA_TYPE
    body = response.get_json()
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


def assert_unauthenticated(response: TestResponse, case: object = "") -> None:
    assert response.status_code == 401, (case, response.status_code)
    assert_taxii_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Basic "), case


def basic(name: str, token: str) -> dict[str, str]:
    raw = base64.b64encode(f"{name}:{token}".encode()).decode()
    return {**ACCEPT, "Authorization": f"Basic {raw}"}


def api_root(client: FlaskClient, headers: dict[str, str]) -> TestResponse:
    return client.get(f"/taxii2/{ROOT}/", headers=headers)


@pytest.fixture
def member(factory: Factory) -> Member:
    factory.root(ROOT)
    return factory.member()


def test_no_credentials_is_401_with_a_basic_challenge(client: FlaskClient, member: Member) -> None:
    response = api_root(client, ACCEPT)
    assert_unauthenticated(response)
    assert 'realm="federation"' in response.headers["WWW-Authenticate"]


def test_every_taxii_endpoint_requires_credentials(client: FlaskClient, factory: Factory) -> None:
    collection = factory.collection()
    base = f"/taxii2/{ROOT}/collections/{collection}/"
    one = f"{base}objects/indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c8/"
    headers = {**ACCEPT, "Content-Type": TAXII_MEDIA_TYPE}
    for method, url in (
        ("GET", "/taxii2/"),
        ("GET", f"/taxii2/{ROOT}/"),
        ("GET", f"/taxii2/{ROOT}/collections/"),
        ("GET", base),
        ("GET", f"{base}objects/"),
        ("POST", f"{base}objects/"),
        ("GET", f"{base}manifest/"),
        ("GET", one),
        ("DELETE", one),
        ("GET", f"{one}versions/"),
        ("GET", f"/taxii2/{ROOT}/status/6ba7b810-9dad-41d1-80b4-00c04fd430c8/"),
    ):
        response = client.open(url, method=method, headers=headers, json={"objects": [indicator()]})
        assert_unauthenticated(response, case=(method, url))


def test_anonymous_caller_gets_401_before_any_negotiation_error(
    client: FlaskClient, member: Member
) -> None:
    response = client.get(f"/taxii2/{ROOT}/", headers={"Accept": "application/json"})
    assert_unauthenticated(response)


def test_basic_with_account_name_and_token_is_accepted(client: FlaskClient, member: Member) -> None:
    assert api_root(client, member.headers).status_code == 200


def test_wrong_token_is_401(client: FlaskClient, member: Member) -> None:
    assert_unauthenticated(api_root(client, basic(member.account, member.token + "x")))
    assert_unauthenticated(api_root(client, basic(member.account, "fed_" + "A" * 43)))


def test_right_token_with_another_account_name_is_401(
    client: FlaskClient, factory: Factory, member: Member
) -> None:
    other = factory.member()
    assert_unauthenticated(api_root(client, basic(other.account, member.token)))
    assert_unauthenticated(api_root(client, basic("nobody", member.token)))


def test_wrong_token_and_wrong_name_get_the_same_answer(
    client: FlaskClient, member: Member
) -> None:
    wrong_token = api_root(client, basic(member.account, "fed_nope"))
    wrong_name = api_root(client, basic("nobody", member.token))
    assert wrong_token.json == wrong_name.json


def test_malformed_authorization_is_401(client: FlaskClient, member: Member) -> None:
    for header in (
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b":token-without-name").decode(),
        "Basic " + base64.b64encode(b"name-without-token:").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Bearer",
        "Bearer ",
        "Digest username=someone",
        "garbage",
    ):
        response = api_root(client, {**ACCEPT, "Authorization": header})
        assert_unauthenticated(response, case=header)


def test_bearer_and_token_schemes_are_accepted(client: FlaskClient, member: Member) -> None:
    for scheme in ("Bearer", "Token", "bearer"):
        headers = {**ACCEPT, "Authorization": f"{scheme} {member.token}"}
        assert api_root(client, headers).status_code == 200, scheme


def test_bearer_token_acts_as_its_account(client: FlaskClient, factory: Factory) -> None:
    member = factory.member()
    collection = factory.collection()
    bearer = {
        "Accept": TAXII_MEDIA_TYPE,
        "Content-Type": TAXII_MEDIA_TYPE,
        "Authorization": f"Bearer {member.token}",
    }
    posted = client.post(objects_url(collection), json={"objects": [indicator()]}, headers=bearer)
    assert posted.status_code == 202
    status = client.get(f"/taxii2/{ROOT}/status/{posted.json['id']}/", headers=member.headers)
    assert status.status_code == 200


def test_bearer_with_an_unknown_token_is_401(client: FlaskClient, member: Member) -> None:
    response = api_root(client, {**ACCEPT, "Authorization": "Bearer fed_unknown"})
    assert_unauthenticated(response)


def test_revoked_token_is_401(app: Flask, client: FlaskClient, member: Member) -> None:
    with database(app).session() as session:
        issued = accounts.issue_token(session, app.config["SECRET_KEY"], member.account)
    assert api_root(client, basic(member.account, issued.token)).status_code == 200
    with database(app).session() as session:
        accounts.revoke_token(session, issued.id)
    assert_unauthenticated(api_root(client, basic(member.account, issued.token)))
    bearer = {**ACCEPT, "Authorization": f"Bearer {issued.token}"}
    assert_unauthenticated(api_root(client, bearer))
    # The account's other token still works.
    assert api_root(client, member.headers).status_code == 200


def test_expired_token_is_401(app: Flask, client: FlaskClient, member: Member) -> None:
    with database(app).session() as session:
        expired = accounts.issue_token(
            session,
            app.config["SECRET_KEY"],
            member.account,
            expires_at=utcnow() - timedelta(seconds=1),
        )
        current = accounts.issue_token(
            session,
            app.config["SECRET_KEY"],
            member.account,
            expires_at=utcnow() + timedelta(hours=1),
        )
    assert_unauthenticated(api_root(client, basic(member.account, expired.token)))
    assert api_root(client, basic(member.account, current.token)).status_code == 200


def test_disabled_account_is_401(app: Flask, client: FlaskClient, member: Member) -> None:
    with database(app).session() as session:
        account = session.scalar(select(Account).where(Account.name == member.account))
        assert account is not None
        account.disabled = True
        session.commit()
    assert_unauthenticated(api_root(client, member.headers))


def test_tokens_table_holds_no_token_in_clear(
    app: Flask, client: FlaskClient, member: Member
) -> None:
    assert api_root(client, member.headers).status_code == 200
    with database(app).session() as session:
        rows = session.scalars(select(Token)).all()
        assert rows
        columns = [c.key for c in Token.__table__.columns]
        for row in rows:
            for column in columns:
                assert member.token not in str(getattr(row, column)), column
            assert len(row.prefix) < len(member.token) // 2
