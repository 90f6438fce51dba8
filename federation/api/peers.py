"""Peers, the remote TAXII servers this hub syncs with: ``/api/v1/peers`` (hub admins).

Credentials are write-only: accepted when a peer is created, never returned.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, current_app, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.api.blueprint import api, load_body, load_query, no_content, reply
from federation.api.openapi import operation
from federation.api.schemas import Name, NoParameters, RequestSchema, StrictBoolean, StrictInteger
from federation.domain.peers import PEER_TLP_CHOICES, Direction
from federation.domain.sealing import PeerCredentials
from federation.services.peering import peers
from federation.web.audit import request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session


class PeerCountersSchema(Schema):
    pulled = fields.Integer()
    pushed = fields.Integer()
    failed = fields.Integer()


class PeerSchema(Schema):
    """A peer link, its checkpoints, health, lag and counters (never its credentials)."""

    name = fields.String()
    url = fields.String(metadata={"description": "The remote TAXII 2.1 API root."})
    collection = fields.String(metadata={"description": "The remote collection id."})
    local_collection = fields.String()
    direction = fields.String(validate=validate.OneOf([d.value for d in Direction]))
    max_tlp = fields.String(validate=validate.OneOf(PEER_TLP_CHOICES))
    trusted_amber = fields.Boolean()
    interval = fields.Integer(metadata={"description": "Seconds between passes."})
    auth = fields.String(validate=validate.OneOf(["basic", "bearer", "none"]))
    organisation = fields.String()
    account = fields.String(allow_none=True)
    pull_checkpoint = fields.String(allow_none=True)
    push_checkpoint = fields.String(allow_none=True)
    last_attempt = fields.String(allow_none=True)
    last_success = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    consecutive_failures = fields.Integer()
    next_attempt = fields.String()
    lag_objects = fields.Integer(allow_none=True)
    lag_seconds = fields.Float(allow_none=True)
    pulled = fields.Integer()
    pushed = fields.Integer()
    failed = fields.Integer()
    rejected = fields.Integer(metadata={"description": "Pulled objects that failed validation."})
    retry_pending = fields.Integer(metadata={"description": "Pushes waiting to be retried."})
    syncing = fields.Boolean()
    created_at = fields.String()
    counters = fields.Nested(PeerCountersSchema)


class PeerListSchema(Schema):
    peers = fields.List(fields.Nested(PeerSchema))


class PeerCreateSchema(RequestSchema):
    """A new peer link; ``password`` and ``token`` are write-only."""

    # What _one_kind_of_credentials checks: user and password together or
    # neither, and never a token beside them.
    json_schema: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "anyOf": [
                    {"required": ["user", "password"]},
                    {"not": {"anyOf": [{"required": ["user"]}, {"required": ["password"]}]}},
                ]
            },
            {"not": {"required": ["token", "user"]}},
        ]
    }

    name = Name(required=True, metadata={"checked": "Without '/'; no other peer has it."})
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"checked": "An http(s) URL of a TAXII 2.1 API root, without credentials."},
    )
    collection = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"checked": "The remote collection id or alias, without slashes."},
    )
    local_collection = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"checked": "Names a collection of this hub."},
    )
    direction = fields.String(
        load_default=Direction.BOTH.value, validate=validate.OneOf([d.value for d in Direction])
    )
    max_tlp = fields.String(
        load_default="green",
        validate=validate.OneOf(PEER_TLP_CHOICES),
        metadata={"checked": "amber only with trusted_amber."},
    )
    trusted_amber = StrictBoolean(load_default=False)
    interval = StrictInteger(
        load_default=peers.DEFAULT_INTERVAL, validate=validate.Range(1, 604800)
    )
    user = fields.String(validate=validate.Length(min=1, max=200))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=1000))
    token = fields.String(load_only=True, validate=validate.Length(min=1, max=1000))
    organisation = Name(metadata={"checked": "Names a member organisation, if given."})
    account = Name(metadata={"checked": "Names an account with the peer role."})

    @validates_schema
    def _one_kind_of_credentials(self, data: dict[str, object], **_: object) -> None:
        if ("user" in data) != ("password" in data):
            raise ValidationError("HTTP Basic needs both user and password.")
        if "token" in data and "user" in data:
            raise ValidationError("Give user and password, or token, not both.")


@api.get("/peers")
@operation("Peers and their health (hub admins)", query=NoParameters, response=PeerListSchema)
def list_peers() -> Response:
    load_query(NoParameters())
    reports = peers.peer_reports(db_session(), current_viewer())
    return reply(PeerListSchema(), {"peers": [r.as_dict() for r in reports]})


@api.post("/peers")
@operation(
    "Create a peer link (hub admins)", body=PeerCreateSchema, response=PeerSchema, status=201
)
def create_peer() -> Response:
    data = load_body(PeerCreateSchema())
    credentials = PeerCredentials(
        user=data.pop("user", None),
        password=data.pop("password", None),
        token=data.pop("token", None),
    )
    settings = peers.PeerSettings(credentials=credentials, **data)
    report = peers.create_peer(
        db_session(),
        current_viewer(),
        current_app.config["SECRET_KEY"],
        settings,
        meta=request_meta(),
    )
    location = url_for(".get_peer", name=report.name)
    return reply(PeerSchema(), report.as_dict(), 201, location)


# A peer's name as stored: 1 to 200 characters, no control character, no '/'.
PEER_PATH: dict[str, dict[str, Any]] = {
    "name": {"type": "string", "maxLength": 200, "pattern": "^[^/\\u0000-\\u001f]+$"}
}


@api.get("/peers/<name>")
@operation("One peer (hub admins)", query=NoParameters, response=PeerSchema, path=PEER_PATH)
def get_peer(name: str) -> Response:
    load_query(NoParameters())
    report = peers.peer_report(db_session(), current_viewer(), name)
    return reply(PeerSchema(), report.as_dict())


@api.delete("/peers/<name>")
@operation(
    "Remove a peer link; the objects it brought stay (hub admins)",
    query=NoParameters,
    status=204,
    path=PEER_PATH,
)
def delete_peer(name: str) -> Response:
    load_query(NoParameters())
    peers.delete_peer(db_session(), current_viewer(), name, meta=request_meta())
    return no_content()
