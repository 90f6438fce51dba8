"""REST admin API: the OpenAPI 3.1 document at /api/v1/openapi.json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from federation.api.accounts import AccountCreateSchema
from federation.cli import cli
from tests.conftest import Factory
from tests.helpers import project_root

PUBLISHED = project_root() / "schemas" / "openapi.json"


def document(client: FlaskClient, factory: Factory) -> dict[str, Any]:
    member = factory.member(role="reader")
    response = client.get("/api/v1/openapi.json", headers=member.auth)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json
    return body


def refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"]} if "$ref" in value else set()
        return found.union(*(refs(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(refs(item) for item in value))
    return set()


def test_openapi_lists_every_api_route_and_method(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    doc = document(client, factory)
    assert doc["openapi"] == "3.1.0"
    expected = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    listed = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert listed == expected
    assert ("/api/v1/orgs/{org_id}", "patch") in listed
    assert ("/api/v1/groups/{group_id}/members/{org_id}", "delete") in listed


def test_openapi_schemas_come_from_the_marshmallow_schemas(
    client: FlaskClient, factory: Factory
) -> None:
    doc = document(client, factory)
    schemas = doc["components"]["schemas"]
    create = schemas["OrganisationCreate"]
    assert create["required"] == ["name", "sector"]
    assert create["additionalProperties"] is False
    assert create["properties"]["sector"]["enum"] == [
        "isp",
        "law-enforcement",
        "government",
        "business",
        "csirt",
        "hub",
    ]
    assert create["properties"]["name"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "pattern": "^[^\\x00-\\x1f\\x7f]*$",
        "allOf": [{"pattern": "\\S"}, {"pattern": "^[^,]*$"}],
        "not": {"pattern": "^\\s*(\\*\\s*$|sector:|group:)"},
    }
    assert create["properties"]["contact_phone"]["pattern"] == "^[0-9+()./ -]*$"
    assert schemas["OrganisationPatch"]["minProperties"] == 1
    assert schemas["TokenCreate"]["not"] == {"required": ["expires_at", "expires_in_days"]}
    assert schemas["TokenCreate"]["properties"]["label"]["pattern"] == "^[^\\x00]*$"
    assert create["properties"]["unattributed_default"] == {"type": "boolean", "default": False}
    role = schemas["AccountCreate"]["properties"]["role"]
    assert role["enum"] == ["reader", "analyst", "org-admin", "hub-admin", "peer"]
    token = schemas["Token"]["properties"]
    assert token["expires_at"] == {"type": ["string", "null"], "format": "date-time"}
    assert "token" not in token
    assert "digest" not in token
    assert schemas["IssuedToken"]["properties"]["token"]["type"] == "string"
    post = doc["paths"]["/api/v1/accounts"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AccountCreate"
    }
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewAccount"
    }
    limit = next(
        p for p in doc["paths"]["/api/v1/audit"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert limit == {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "default": 100, "minimum": 1, "maximum": 1000},
    }


def test_every_reference_in_the_openapi_document_resolves(
    client: FlaskClient, factory: Factory
) -> None:
    doc = document(client, factory)
    names = {f"#/components/schemas/{name}" for name in doc["components"]["schemas"]}
    found = refs(doc)
    assert found
    assert found <= names


def test_making_a_request_schema_again_adds_no_rules_to_its_fields() -> None:
    # Schema instances share their fields' validator lists with the class: a
    # rule added at binding must not pile up once per request.
    first = AccountCreateSchema().fields["role"].validators
    for _ in range(3):
        AccountCreateSchema()
    assert AccountCreateSchema().fields["role"].validators == first
    assert len(first) == 2


def test_each_rule_of_a_field_is_documented_once(client: FlaskClient, factory: Factory) -> None:
    doc = document(client, factory)
    role = doc["components"]["schemas"]["AccountCreate"]["properties"]["role"]
    assert role["pattern"] == "^[^\\x00]*$"
    assert "allOf" not in role


def test_the_checked_in_document_is_the_one_the_app_serves(
    client: FlaskClient, factory: Factory
) -> None:
    published = json.loads(PUBLISHED.read_text())
    assert published == document(client, factory), "schemas/openapi.json is stale: `make schemas`"


def test_make_schemas_writes_exactly_the_checked_in_text(tmp_path: Path) -> None:
    written = tmp_path / "openapi.json"
    result = CliRunner().invoke(cli, ["openapi", "--output", str(written)])
    assert result.exit_code == 0, result.output
    assert written.read_text() == PUBLISHED.read_text()
    assert (
        "federation openapi --output schemas/openapi.json"
        in (project_root() / "Makefile").read_text()
    )
