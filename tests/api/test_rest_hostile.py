"""REST API: hostile input gets a 4xx problem JSON and stores nothing (DESIGN.md invariant 7).

The operations come from the OpenAPI document, so an endpoint added later is
probed too: NUL characters and unpaired surrogates in bodies, query strings and
paths, over-long strings, over-deep and non-object JSON, repeated and unknown
parameters, wrong media types, oversized bodies, unknown routes and methods.
PostgreSQL refuses NUL in text, so on that pass a missed case is a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from federation.storage.base import Base
from federation.storage.database import Database
from tests.api.incident_helpers import report
from tests.conftest import Factory
from tests.helpers import Member, assert_problem

NUL = "bad\u0000text"
SURROGATE = "bad\ud800text"
_PATH_PARAMETER = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    def url(self, ids: dict[str, Any], **override: str) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return override.get(name, str(ids.get(name, 1)))

        return _PATH_PARAMETER.sub(fill, self.path)

    def knows(self, ids: dict[str, Any]) -> bool:
        """Whether every path parameter names a resource that exists."""
        return all(name in ids for name in _PATH_PARAMETER.findall(self.path))

    @property
    def query(self) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == "query"]

    def body_schema(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        body = self.spec.get("requestBody")
        if body is None:
            return None
        ref: str = body["content"]["application/json"]["schema"]["$ref"]
        schema: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        return schema


@dataclass
class Hub:
    admin: Member
    doc: dict[str, Any]
    ids: dict[str, Any]

    def operations(self) -> Iterator[Operation]:
        for path, methods in self.doc["paths"].items():
            for method, spec in methods.items():
                yield Operation(method.upper(), path, spec)

    def with_body(self) -> Iterator[tuple[Operation, dict[str, Any]]]:
        for op in self.operations():
            schema = op.body_schema(self.doc)
            if schema is not None:
                yield op, schema


@pytest.fixture
def hub(client: FlaskClient, factory: Factory) -> Hub:
    """A hub admin, the OpenAPI document, and one real resource of each kind."""
    admin = factory.member("Hub", sector="hub", role="hub-admin")
    doc = client.get("/api/v1/openapi.json", headers=admin.auth).json
    accounts = client.get("/api/v1/accounts", headers=admin.auth).json["accounts"]
    group = client.post("/api/v1/groups", json={"name": "trusted"}, headers=admin.auth).json
    token = client.post("/api/v1/tokens", json={"label": "spare"}, headers=admin.auth).json
    org_id = accounts[0]["organisation_id"]
    network = client.post(
        f"/api/v1/orgs/{org_id}/networks", json={"network": "192.0.2.0/24"}, headers=admin.auth
    ).json
    incident = client.post(
        "/api/v1/incidents", json=report(factory.collection()), headers=admin.auth
    ).json
    ids = {
        "org_id": org_id,
        "account_id": accounts[0]["id"],
        "group_id": group["id"],
        "token_id": token["id"],
        "network_id": network["id"],
        "incident_id": incident["id"],
    }
    return Hub(admin, doc, ids)


def stored(db: Database) -> dict[str, int]:
    """Rows per table: a refused request leaves every count as it was."""
    with db.session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def send(
    client: FlaskClient, op: Operation, url: str, member: Member, body: str | bytes | None = None
) -> TestResponse:
    headers = dict(member.auth)
    if body is not None:
        headers["Content-Type"] = "application/json"
    return client.open(url, method=op.method, data=body, headers=headers)


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "unpaired-surrogate"])
def test_unstorable_text_in_any_body_field_is_a_422_naming_it(
    client: FlaskClient, db: Database, hub: Hub, text: str
) -> None:
    before = stored(db)
    probed = 0
    for op, schema in hub.with_body():
        for field in schema["properties"]:
            # json.dumps writes the surrogate as the escape a hostile client sends.
            response = send(client, op, op.url(hub.ids), hub.admin, json.dumps({field: text}))
            problem = assert_problem(response, 422 if op.knows(hub.ids) else None)
            if response.status_code == 422:
                assert field in problem["errors"], (op, field)
            probed += 1
    assert probed >= 15
    assert stored(db) == before


@pytest.mark.parametrize("text", [NUL, SURROGATE], ids=["nul", "unpaired-surrogate"])
def test_unstorable_text_deep_in_a_body_or_in_a_key_is_refused(
    client: FlaskClient, db: Database, hub: Hub, text: str
) -> None:
    before = stored(db)
    for op, schema in hub.with_body():
        field = next(iter(schema["properties"]))
        for body in ({field: [{"x": text}]}, {text: 1}):
            response = send(client, op, op.url(hub.ids), hub.admin, json.dumps(body))
            assert_problem(response, 422 if op.knows(hub.ids) else None)
    assert stored(db) == before


def test_every_over_long_string_is_a_422_naming_the_field(
    client: FlaskClient, db: Database, hub: Hub
) -> None:
    before = stored(db)
    probed = 0
    for op, schema in hub.with_body():
        for field, spec in schema["properties"].items():
            if "maxLength" not in spec:
                continue
            body = json.dumps({field: "x" * (spec["maxLength"] + 1)})
            problem = assert_problem(send(client, op, op.url(hub.ids), hub.admin, body), None)
            if problem["status"] == 422:
                assert field in problem["errors"], (op, field)
            probed += 1
    for op in hub.operations():
        for parameter in op.query:
            if "maxLength" in parameter["schema"]:
                long = "x" * (parameter["schema"]["maxLength"] + 1)
                url = f"{op.url(hub.ids)}?{parameter['name']}={long}"
                problem = assert_problem(send(client, op, url, hub.admin), 422)
                assert parameter["name"] in problem["errors"]
                probed += 1
    assert probed >= 8
    assert stored(db) == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(b"[" * 40 + b"]" * 40, 400, id="nested-40"),
        pytest.param(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400, id="nested-100000"),
        pytest.param(b"{not json", 400, id="malformed"),
        pytest.param(b"", 400, id="empty"),
        pytest.param(b"\xff\xfe{}", 400, id="not-utf8"),
        pytest.param(b'{"a": NaN}', 400, id="nan"),
        pytest.param(b'{"a": 1' + b"0" * 5000 + b"}", 400, id="huge-number"),
        pytest.param(b"[]", 422, id="array"),
        pytest.param(b'"text"', 422, id="string"),
        pytest.param(b"null", 422, id="null"),
        pytest.param(b"42", 422, id="number"),
    ],
)
def test_every_body_that_is_not_a_sane_json_object_is_refused(
    client: FlaskClient, db: Database, hub: Hub, body: bytes, status: int
) -> None:
    before = stored(db)
    for op, _ in hub.with_body():
        response = send(client, op, op.url(hub.ids), hub.admin, body)
        assert_problem(response, status if op.knows(hub.ids) else None)
    assert stored(db) == before


def test_a_field_given_twice_in_a_body_is_a_422_naming_it(
    client: FlaskClient, db: Database, hub: Hub
) -> None:
    before = stored(db)
    body = '{"name": "Acme", "name": "Evil", "sector": "isp"}'
    problem = assert_problem(
        send(client, hub_op(hub, "POST", "/api/v1/orgs"), "/api/v1/orgs", hub.admin, body), 422
    )
    assert "name" in problem["errors"]
    assert stored(db) == before


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_every_body_in_another_media_type_is_a_415(
    client: FlaskClient, db: Database, hub: Hub, content_type: str | None
) -> None:
    before = stored(db)
    for op, _ in hub.with_body():
        headers = dict(hub.admin.auth)
        if content_type:
            headers["Content-Type"] = content_type
        response = client.open(op.url(hub.ids), method=op.method, data="{}", headers=headers)
        assert_problem(response, 415)
    assert stored(db) == before


def test_every_oversized_body_is_a_413(
    app: Flask, client: FlaskClient, db: Database, hub: Hub
) -> None:
    before = stored(db)
    body = json.dumps({"label": "x" * app.config["MAX_CONTENT_LENGTH"]})
    for op, _ in hub.with_body():
        assert_problem(send(client, op, op.url(hub.ids), hub.admin, body), 413)
    assert stored(db) == before


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        pytest.param("{name}=a%00b", "Must not contain NUL", id="nul-value"),
        pytest.param("{name}=1&{name}=2", "Give this parameter once", id="repeated"),
    ],
)
def test_every_query_parameter_refuses_nul_and_repetition(
    client: FlaskClient, db: Database, hub: Hub, query: str, problem: str
) -> None:
    before = stored(db)
    probed = 0
    for op in hub.operations():
        for parameter in op.query:
            url = f"{op.url(hub.ids)}?{query.format(name=parameter['name'])}"
            errors = assert_problem(send(client, op, url, hub.admin), 422)["errors"]
            assert any(problem in message for message in errors[parameter["name"]])
            probed += 1
    assert probed >= 5
    assert stored(db) == before


def test_surrogates_encoded_in_a_url_are_never_a_server_error(
    client: FlaskClient, db: Database, hub: Hub
) -> None:
    # %ED%A0%80 is U+D800 in (invalid) UTF-8; the URL decoder keeps such bytes
    # percent-encoded, so they reach a view as harmless text, never as a surrogate.
    before = stored(db)
    probed = 0
    for op in hub.operations():
        body = "{}" if op.body_schema(hub.doc) is not None else None
        urls = [op.url(hub.ids, **{name: "%ED%A0%80"}) for name in _PATH_PARAMETER.findall(op.path)]
        urls += [f"{op.url(hub.ids)}?{p['name']}=a%ED%A0%80b" for p in op.query]
        for url in urls:
            response = send(client, op, url, hub.admin, body)
            assert response.status_code < 500, (url, response.get_data(as_text=True))
            if response.status_code >= 400:
                assert_problem(response, response.status_code)
            probed += 1
    assert probed >= 12
    # Reads that succeed (an incident list searched for such text) are audited,
    # as every read is (DESIGN.md invariant 8); nothing else may be written.
    audited = {"audit_events", "access_receipts"}
    assert {k: v for k, v in stored(db).items() if k not in audited} == {
        k: v for k, v in before.items() if k not in audited
    }


@pytest.mark.parametrize(
    ("name", "named"), [("colour", "colour"), ("a%00b", "_schema")], ids=["unknown", "nul-name"]
)
def test_every_operation_refuses_an_unknown_query_parameter(
    client: FlaskClient, db: Database, hub: Hub, name: str, named: str
) -> None:
    before = stored(db)
    for op in hub.operations():
        # Operations with a body take no query parameters at all.
        body = "{}" if op.body_schema(hub.doc) is not None else None
        response = send(client, op, f"{op.url(hub.ids)}?{name}=1", hub.admin, body)
        assert named in assert_problem(response, 422)["errors"], op
    assert stored(db) == before


def test_ids_and_path_segments_no_row_can_have_are_404(
    client: FlaskClient, db: Database, hub: Hub
) -> None:
    before = stored(db)
    probed = 0
    for op in hub.operations():
        names = _PATH_PARAMETER.findall(op.path)
        body = "{}" if op.body_schema(hub.doc) is not None else None
        for name in names:
            for bad in ("2147483648", "99999999999999999999999", "1%00", "a%00b"):
                response = send(client, op, op.url(hub.ids, **{name: bad}), hub.admin, body)
                assert_problem(response, 404)
                probed += 1
    assert probed >= 20
    assert stored(db) == before


def test_query_integers_beyond_a_column_are_a_422(client: FlaskClient, hub: Hub) -> None:
    for url in ("/api/v1/receipts?org_id=2147483648", "/api/v1/audit?org_id=99999999999999999999"):
        problem = assert_problem(client.get(url, headers=hub.admin.auth), 422)
        assert "org_id" in problem["errors"]
    assert client.get("/api/v1/audit?before=4294967296", headers=hub.admin.auth).status_code == 200


def test_a_date_that_overflows_in_utc_is_a_422(client: FlaskClient, db: Database, hub: Hub) -> None:
    before = stored(db)
    body = {"expires_at": "9999-12-31T23:59:59-10:00"}
    problem = assert_problem(client.post("/api/v1/tokens", json=body, headers=hub.admin.auth), 422)
    assert "expires_at" in problem["errors"]
    assert stored(db) == before


@pytest.mark.parametrize("authenticated", [True, False], ids=["member", "anonymous"])
def test_unknown_routes_under_the_api_are_404_problems(
    client: FlaskClient, hub: Hub, authenticated: bool
) -> None:
    headers = hub.admin.auth if authenticated else {}
    for url in ("/api/v1/nothing", "/api/v1/orgs/1/nothing", "/api/v1/org%00s", "/api/v1/orgs/x"):
        assert_problem(client.get(url, headers=headers), 404)


def test_a_method_a_route_does_not_take_is_a_405_problem_with_allow(
    client: FlaskClient, hub: Hub
) -> None:
    for op in hub.operations():
        allowed = {m.upper() for m in hub.doc["paths"][op.path]}
        unused = next(m for m in ("PUT", "PATCH", "DELETE", "POST") if m not in allowed)
        response = client.open(op.url(hub.ids), method=unused, headers=hub.admin.auth)
        assert_problem(response, 405)
        assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def hub_op(hub: Hub, method: str, path: str) -> Operation:
    return next(op for op in hub.operations() if (op.method, op.path) == (method, path))
