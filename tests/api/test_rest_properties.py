"""REST API: property-based tests with schemathesis against the hub's own OpenAPI document.

Every operation the document lists is exercised, so an endpoint added later is
covered without touching this file: no 500s, and every response (errors
included) has a status, media type and body that the document describes.
Generated both as valid requests and as requests that break the schema, as a
hub admin and as an org admin. Deterministic (derandomized, no example
database) and bounded, so it stays fast and gives the same verdict every run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from federation.services.access import accounts
from federation.storage.models import TrustGroup
from federation.web.db import database
from tests.conftest import Factory

# Refusals of valid-looking input that depend on the clock, which no static
# schema can express (the document's descriptions say so instead).
# Likewise references to resources that must exist and be writable: a schema
# can say "a collection id or alias", not "one you may write to".
RULES_OUTSIDE_THE_SCHEMA = [
    {"expires_at": ["Must be in the future."]},
    {"collection": ["No collection you may write has this id or alias."]},
]


def _declares_a_further_check(ctx: Any, case: schemathesis.Case, name: str) -> bool:
    """Whether the document says field ``name`` of this operation is checked
    beyond its schema (``x-checked``, anywhere inside its schema)."""
    document = case.operation.schema.raw_schema
    spec = document["paths"][case.operation.path][case.operation.method.lower()]
    candidates = [p.get("schema", {}) for p in spec.get("parameters", []) if p["name"] == name]
    body = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "schema" in body:
        candidates.append(_resolve(document, body["schema"]).get("properties", {}).get(name, {}))
    return any("x-checked" in json.dumps(_expand(document, c)) for c in candidates)


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _expand(document: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """``schema`` with its references replaced, a few levels deep."""
    if depth > 5:
        return schema
    if isinstance(schema, dict):
        schema = _resolve(document, schema)
        return {k: _expand(document, v, depth + 1) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_expand(document, v, depth + 1) for v in schema]
    return schema


def valid_input_is_accepted(ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """Input the document calls valid is never refused as malformed (400, 422):
    the document promises exactly what the server accepts."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    # A rule outside the schema may refuse a well-formed value: as a 422, or
    # as a 400 where the value is a cursor this server did not hand out.
    if response.status_code in (400, 422):
        errors = response.json().get("errors")
        if errors in RULES_OUTSIDE_THE_SCHEMA:
            return
        if (
            isinstance(errors, dict)
            and errors
            and all(_declares_a_further_check(ctx, case, name) for name in errors)
        ):
            return
    assert response.status_code not in (400, 422), response.text


CHECKS = [
    valid_input_is_accepted,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Generated cases per role and kind of run, shared among the operations: enough
# to reach each operation's branches (valid, invalid, absent ids) while the test
# stays well under a minute on a busy two-core machine, however many operations
# later branches add (each then gets fewer cases, never fewer than the floor).
CASE_BUDGET = 190
MIN_CASES = 4
# Random ids almost never exist; the seeded runs aim the generated bodies and
# query strings at real resources so the success paths are exercised too.
ROLES = {"hub-admin": ("Hub", "hub"), "org-admin": ("Example ISP", "isp")}


@dataclass(frozen=True)
class Caller:
    headers: dict[str, str]
    ids: dict[str, int]


def run_operation(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    caller: Caller,
    path_parameters: dict[str, int] | None = None,
) -> None:
    """Call ``operation`` with generated cases; raise on the first failed check."""
    strategy = operation.as_strategy(
        generation_mode=mode, headers=caller.headers, path_parameters=path_parameters
    )

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    check()


def new_caller(app: Flask, factory: Factory, role: str, group_id: int) -> Caller:
    """A fresh account of ``role``, with the ids of resources it may touch.

    Fresh for each run: generated cases may revoke its token or disable it,
    which must not turn every later run into a string of 401s.
    """
    organisation, sector = ROLES[role]
    member = factory.member(organisation, sector=sector, role=role)
    with database(app).session() as session:
        spare = accounts.issue_token(
            session, app.config["SECRET_KEY"], member.account, label="spare"
        )
        account = accounts.account_named(session, member.account)
        ids = {
            "org_id": account.organisation_id,
            "account_id": account.id,
            "token_id": spare.id,
            "group_id": group_id,
        }
    return Caller({"Authorization": f"Bearer {member.token}"}, ids)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_operation_answers_as_the_openapi_document_says(
    app: Flask, factory: Factory, role: str
) -> None:
    document = app.test_client().get("/api/v1/openapi.json").json
    # from_dict rather than from_wsgi: schemathesis skips the operation that
    # served a schema it loaded, and openapi.json is an operation like any other.
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    with database(app).session() as session:
        group = TrustGroup(name="partners")
        session.add(group)
        session.commit()
        group_id = group.id

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(methods) for methods in document["paths"].values()) >= 19
    cases = max(MIN_CASES, CASE_BUDGET // len(operations))
    for operation in operations:
        spec = document["paths"][operation.path][operation.method.lower()]
        run_operation(
            operation,
            GenerationMode.POSITIVE,
            cases,
            new_caller(app, factory, role, group_id),
        )
        # Nothing to break in an operation without parameters or a body.
        if spec["parameters"] or "requestBody" in spec:
            run_operation(
                operation,
                GenerationMode.NEGATIVE,
                max(MIN_CASES, cases // 2),
                new_caller(app, factory, role, group_id),
            )
        names = [p["name"] for p in spec["parameters"] if p["in"] == "path"]
        if names:
            caller = new_caller(app, factory, role, group_id)
            # A path parameter this test does not know yet is left to generation.
            known = {name: caller.ids[name] for name in names if name in caller.ids}
            run_operation(operation, GenerationMode.POSITIVE, cases, caller, known)
