"""REST admin API: authentication, media types and request validation.

Bad input gets a problem JSON naming what was wrong, and nothing is stored.
"""

from __future__ import annotations

import re
from base64 import b64encode
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from federation.api.blueprint import is_public
from federation.storage.database import Database
from federation.storage.models import Account, Organisation, Token
from tests.conftest import Factory
from tests.helpers import assert_problem


def stored_rows(db: Database) -> list[int]:
    """How many organisations, accounts and tokens are stored."""
    with db.session() as session:
        return [
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Organisation, Account, Token)
        ]


def test_every_endpoint_requires_authentication(app: Flask, client: FlaskClient) -> None:
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and not is_public(rule.endpoint)
    ]
    assert len(rules) >= 17
    for rule in rules:
        path = re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={})
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer fed_not-a-real-token", "Basic bm9ib2R5OnNlY3JldA==", "Basic !!!", "Digest x"],
)
def test_bad_credentials_get_401(client: FlaskClient, factory: Factory, authorization: str) -> None:
    factory.member()
    assert_problem(client.get("/api/v1/orgs", headers={"Authorization": authorization}), 401)


def test_basic_with_the_wrong_account_name_gets_401(client: FlaskClient, factory: Factory) -> None:
    one = factory.member()
    other = factory.member()
    mixed = b64encode(f"{other.account}:{one.token}".encode()).decode()
    assert_problem(client.get("/api/v1/orgs", headers={"Authorization": f"Basic {mixed}"}), 401)


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
def test_bearer_and_token_schemes_are_accepted(
    client: FlaskClient, factory: Factory, scheme: str
) -> None:
    member = factory.member()
    response = client.get("/api/v1/orgs", headers={"Authorization": f"{scheme} {member.token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Acme", "sector": "isp", "colour": "red"}, "colour"),
        ({"name": "Acme", "sector": "bakery"}, "sector"),
        ({"name": "", "sector": "isp"}, "name"),
        ({"name": "   ", "sector": "isp"}, "name"),
        ({"name": "x" * 201, "sector": "isp"}, "name"),
        ({"name": "bell\x07", "sector": "isp"}, "name"),
        ({"name": 5, "sector": "isp"}, "name"),
        ({"name": ["Acme"], "sector": "isp"}, "name"),
        ({"name": "Acme", "sector": "isp", "unattributed_default": "yes"}, "unattributed_default"),
        ({"name": "Acme", "sector": "isp", "unattributed_default": 1}, "unattributed_default"),
        ({"name": "Acme", "sector": "isp", "contact_phone": "call me"}, "contact_phone"),
        (
            {"name": "Acme", "sector": "isp", "contact_email": "x" * 330 + "@a.example"},
            "contact_email",
        ),
        ({"sector": "isp"}, "name"),
        ({"name": "Acme"}, "sector"),
        ({"name": None, "sector": "isp"}, "name"),
    ],
)
def test_an_invalid_organisation_is_rejected_naming_the_field(
    client: FlaskClient, factory: Factory, db: Database, body: dict[str, Any], field: str
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    before = stored_rows(db)
    problem = assert_problem(client.post("/api/v1/orgs", json=body, headers=hub.auth), 422)
    assert field in problem["errors"]
    assert stored_rows(db) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "bot", "role": "superuser"}, "role"),
        ({"name": "bot", "role": 3}, "role"),
        ({"name": "bot"}, "role"),
        ({"name": "bot", "role": "reader", "token": "fed_chosen"}, "token"),
        ({"name": "bot", "role": "reader", "organisation": ""}, "organisation"),
        ({"name": "bot", "role": "reader", "unattributed_default": "true"}, "unattributed_default"),
    ],
)
def test_an_invalid_account_is_rejected_naming_the_field(
    client: FlaskClient, factory: Factory, db: Database, body: dict[str, Any], field: str
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    before = stored_rows(db)
    problem = assert_problem(client.post("/api/v1/accounts", json=body, headers=hub.auth), 422)
    assert field in problem["errors"]
    assert stored_rows(db) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires_in_days": "5"}, "expires_in_days"),
        ({"expires_in_days": 1.5}, "expires_in_days"),
        ({"expires_in_days": True}, "expires_in_days"),
        ({"expires_in_days": 99999}, "expires_in_days"),
        ({"expires_at": "next tuesday"}, "expires_at"),
        ({"label": "x" * 201}, "label"),
        ({"digest": "abc"}, "digest"),
    ],
)
def test_an_invalid_token_request_is_rejected_naming_the_field(
    client: FlaskClient, factory: Factory, db: Database, body: dict[str, Any], field: str
) -> None:
    member = factory.member()
    before = stored_rows(db)
    problem = assert_problem(client.post("/api/v1/tokens", json=body, headers=member.auth), 422)
    assert field in problem["errors"]
    assert stored_rows(db) == before


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"name": "Acme",}', b"\xff\xfe"])
def test_malformed_json_is_a_400_problem(
    client: FlaskClient, factory: Factory, db: Database, body: bytes
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    before = stored_rows(db)
    response = client.post(
        "/api/v1/orgs", data=body, headers={**hub.auth, "Content-Type": "application/json"}
    )
    assert_problem(response, 400)
    assert stored_rows(db) == before


@pytest.mark.parametrize("body", [b"[]", b'"Acme"', b"null", b"42"])
def test_a_body_that_is_not_an_object_is_a_422_problem(
    client: FlaskClient, factory: Factory, body: bytes
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    response = client.post(
        "/api/v1/orgs", data=body, headers={**hub.auth, "Content-Type": "application/json"}
    )
    assert assert_problem(response, 422)["errors"]


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_a_415_problem(
    client: FlaskClient, factory: Factory, db: Database, content_type: str | None
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    before = stored_rows(db)
    headers = dict(hub.auth)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(
        "/api/v1/orgs", data='{"name": "Acme", "sector": "isp"}', headers=headers
    )
    assert_problem(response, 415)
    assert stored_rows(db) == before


def test_json_with_a_charset_is_accepted(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    response = client.post(
        "/api/v1/orgs",
        data='{"name": "Acme", "sector": "isp"}',
        headers={**hub.auth, "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/orgs?colour=red", "colour"),
        ("/api/v1/accounts?organisation=Hub", "organisation"),
        ("/api/v1/audit?limit=0", "limit"),
        ("/api/v1/audit?limit=lots", "limit"),
        ("/api/v1/audit?limit=1001", "limit"),
        ("/api/v1/audit?before=-1", "before"),
        ("/api/v1/tokens?account=", "account"),
        ("/api/v1/receipts?org_id=x", "org_id"),
    ],
)
def test_a_bad_query_string_is_rejected_naming_the_parameter(
    client: FlaskClient, factory: Factory, url: str, field: str
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    assert field in assert_problem(client.get(url, headers=hub.auth), 422)["errors"]


def test_an_empty_change_is_rejected(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    org = client.get("/api/v1/orgs", headers=hub.auth).json["organisations"][0]["id"]
    assert assert_problem(client.patch(f"/api/v1/orgs/{org}", json={}, headers=hub.auth), 422)
    fixed = client.patch(f"/api/v1/orgs/{org}", json={"sector": "isp"}, headers=hub.auth)
    assert "sector" in assert_problem(fixed, 422)["errors"]


def test_unknown_ids_and_routes_are_404_problems(client: FlaskClient, factory: Factory) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    for url in ("/api/v1/orgs/999999", "/api/v1/accounts/999999", "/api/v1/nothing"):
        assert_problem(client.get(url, headers=hub.auth), 404)
    assert_problem(client.put("/api/v1/orgs", json={}, headers=hub.auth), 405)


def test_a_whole_number_written_with_a_fraction_is_an_integer(
    client: FlaskClient, factory: Factory
) -> None:
    # JSON Schema, and so the OpenAPI document, counts 30.0 as the integer 30.
    member = factory.member()
    response = client.post("/api/v1/tokens", json={"expires_in_days": 30.0}, headers=member.auth)
    assert response.status_code == 201, response.get_data(as_text=True)
