"""A delivered webhook body is what schemas/webhook.schema.json promises to members."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from jsonschema import Draft202012Validator

from federation.domain import webhooks
from federation.services.routing.webhooks import deliver_pending
from federation.storage.database import Database
from tests.helpers import project_root
from tests.service.test_webhooks import Receiver, Routed, receiver, routed

__all__ = ["receiver", "routed"]  # fixtures of the webhook tests, used here by name

SCHEMA = project_root() / "schemas" / "webhook.schema.json"


def validator() -> Draft202012Validator:
    schema: dict[str, Any] = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_a_delivered_body_matches_the_published_schema(
    app: Flask, db: Database, receiver: Receiver, routed: Routed
) -> None:
    with db.session() as session:
        assert deliver_pending(session, app.config["SECRET_KEY"], allow_private=True).delivered == 1
    [(headers, body)] = receiver.received
    payload = json.loads(body)
    errors = [error.message for error in validator().iter_errors(payload)]
    assert errors == []
    assert payload["objects"]
    sent = datetime.fromisoformat(payload["timestamp"])
    assert int(sent.timestamp()) == int(headers[webhooks.TIMESTAMP_HEADER])
    assert sent.tzinfo == UTC


def test_the_schema_refuses_a_body_that_names_more_than_it_promises() -> None:
    body = {
        "event": "routed",
        "delivery": 1,
        "api_root": "hub",
        "collection": "5c2b8e8e-8a8e-4b8e-9a8e-8e8e8e8e8e8e",
        "objects": ["indicator--5c2b8e8e-8a8e-4b8e-9a8e-8e8e8e8e8e8e"],
        "timestamp": "2026-12-03T17:00:00.000Z",
    }
    assert list(validator().iter_errors(body)) == []
    leaky = {**body, "poster": "identity--5c2b8e8e-8a8e-4b8e-9a8e-8e8e8e8e8e8e"}
    assert [error.validator for error in validator().iter_errors(leaky)] == ["additionalProperties"]
