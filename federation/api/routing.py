"""Routing to the responsible network: ``/api/v1/orgs/<id>/networks`` and ``/webhook``.

Hub admins manage every organisation's networks and webhook, org admins their
own. An org admin's claim that needs the hub's word waits as ``pending`` until a
hub admin approves or rejects it (``/api/v1/networks`` lists the queue). The
webhook secret is write-only: no reply contains it, except the one the hub
makes when none is given, shown once.
"""

from __future__ import annotations

from flask import Response, current_app, url_for
from marshmallow import Schema, fields, validate

from federation.api.blueprint import api, load_body, load_query, no_content, reply
from federation.api.openapi import operation
from federation.api.schemas import NoParameters, RequestSchema, printable
from federation.domain.routing import ClaimLimits
from federation.domain.webhooks import MAX_SECRET_LENGTH, MAX_URL_LENGTH, MIN_SECRET_LENGTH
from federation.services.routing import networks
from federation.web.audit import request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session

_STATES = [networks.APPROVED, networks.PENDING, networks.REJECTED]


class NetworkSchema(Schema):
    """An IP prefix or AS number an organisation is responsible for."""

    id = fields.Integer()
    organisation_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(["prefix", "asn"]))
    value = fields.String(metadata={"description": "198.51.100.0/24, 2001:db8::/32 or AS64500."})
    created_at = fields.DateTime()
    state = fields.String(
        validate=validate.OneOf(_STATES),
        metadata={"description": "Only approved claims route; pending ones wait for a hub admin."},
    )
    reason = fields.String(metadata={"description": "Why the claim waits for a hub admin."})
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(metadata={"description": "The hub admin's answer."})


class ClaimSchema(NetworkSchema):
    """A claim in the hub admins' review queue."""

    organisation = fields.String()
    decided_by = fields.String(allow_none=True)


class ClaimListSchema(Schema):
    """Every organisation's claims in one state, oldest first."""

    networks = fields.List(fields.Nested(ClaimSchema))


class ClaimQuerySchema(RequestSchema):
    """Which claims to list."""

    state = fields.String(load_default=networks.PENDING, validate=validate.OneOf(_STATES))


class DecisionSchema(RequestSchema):
    """A hub admin's answer to a pending claim."""

    note = fields.String(
        load_default="",
        validate=[validate.Length(max=networks.MAX_NOTE_LENGTH), printable],
        metadata={"description": "Why; shown to the organisation and kept in the audit log."},
    )


class NetworkListSchema(Schema):
    """An organisation's networks and where routed incidents reach it."""

    networks = fields.List(fields.Nested(NetworkSchema))
    inbox_collection_id = fields.UUID(
        allow_none=True, metadata={"description": "Made when the first incident is routed."}
    )
    inbox_api_root = fields.String(allow_none=True)


class NetworkCreateSchema(RequestSchema):
    """A prefix or AS number to declare."""

    network = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=100), printable],
        metadata={
            "description": "198.51.100.0/24, 2001:db8::/32, AS64500 or 64500.",
            "checked": "A prefix without host bits, or an AS number, that no other member "
            "claims. An org admin's claim inside another member's network, wider than the "
            "hub's limit (default /16 for IPv4, /32 for IPv6), or of an AS number is stored "
            "as pending and routes nothing until a hub admin approves it.",
        },
    )


class WebhookSchema(Schema):
    """Where routed deliveries are POSTed. The secret is never shown."""

    url = fields.String(allow_none=True)
    secret_set = fields.Boolean()
    secret = fields.String(
        metadata={"description": "Only when the hub made the secret: shown this once."}
    )
    pending_deliveries = fields.Integer()
    failed_deliveries = fields.Integer(metadata={"description": "Given up after the last retry."})
    last_error = fields.String(metadata={"description": "The newest delivery error."})


class WebhookSetSchema(RequestSchema):
    """A webhook URL and, optionally, the signing secret (the hub makes one if left out)."""

    url = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=MAX_URL_LENGTH), printable],
        metadata={
            "checked": "An absolute http(s) URL without credentials whose host is a public "
            "address or a name resolving only to public addresses: no loopback, private, "
            "link-local, multicast, reserved or metadata address (unless the hub allows "
            "private webhooks). Checked again before every delivery."
        },
    )
    secret = fields.String(
        validate=validate.Length(min=MIN_SECRET_LENGTH, max=MAX_SECRET_LENGTH),
        metadata={
            "description": "HMAC-SHA256 key for X-Federation-Signature; write-only.",
            "checked": "Printable text, not blank.",
        },
    )


@api.get("/orgs/<int:org_id>/networks")
@operation(
    "An organisation's networks and inbox (hub admins, the org's admins)",
    query=NoParameters,
    response=NetworkListSchema,
)
def list_networks(org_id: int) -> Response:
    load_query(NoParameters())
    info = networks.routing_info(db_session(), current_viewer(), org_id)
    return reply(NetworkListSchema(), info)


@api.post("/orgs/<int:org_id>/networks")
@operation(
    "Declare a prefix or AS number (hub admins, the org's admins; may wait for approval)",
    body=NetworkCreateSchema,
    response=NetworkSchema,
    status=201,
)
def create_network(org_id: int) -> Response:
    data = load_body(NetworkCreateSchema())
    info = networks.add_network(
        db_session(),
        current_viewer(),
        org_id,
        data["network"],
        inbox_root=current_app.config["DEFAULT_API_ROOT"],
        limits=ClaimLimits(
            current_app.config["CLAIM_PREFIX_LIMIT_IPV4"],
            current_app.config["CLAIM_PREFIX_LIMIT_IPV6"],
        ),
        meta=request_meta(),
    )
    location = url_for(".list_networks", org_id=org_id)
    return reply(NetworkSchema(), info, 201, location)


@api.get("/networks")
@operation(
    "Every organisation's claims in one state, pending by default (hub admins)",
    query=ClaimQuerySchema,
    response=ClaimListSchema,
)
def list_claims() -> Response:
    query = load_query(ClaimQuerySchema())
    found = networks.list_claims(db_session(), current_viewer(), query["state"])
    body = {
        "networks": [
            {**_network(c.network), "organisation": c.organisation, "decided_by": c.decided_by}
            for c in found
        ]
    }
    return reply(ClaimListSchema(), body)


@api.post("/orgs/<int:org_id>/networks/<int:network_id>/approve")
@operation(
    "Approve a pending claim: it routes from now on (hub admins)",
    body=DecisionSchema,
    response=NetworkSchema,
)
def approve_network(org_id: int, network_id: int) -> Response:
    return _decide(org_id, network_id, approve=True)


@api.post("/orgs/<int:org_id>/networks/<int:network_id>/reject")
@operation(
    "Reject a pending claim: it stays listed as rejected and routes nothing (hub admins)",
    body=DecisionSchema,
    response=NetworkSchema,
)
def reject_network(org_id: int, network_id: int) -> Response:
    return _decide(org_id, network_id, approve=False)


def _decide(org_id: int, network_id: int, *, approve: bool) -> Response:
    data = load_body(DecisionSchema())
    info = networks.decide_network(
        db_session(),
        current_viewer(),
        org_id,
        network_id,
        approve,
        note=data["note"],
        meta=request_meta(),
    )
    return reply(NetworkSchema(), info)


def _network(info: networks.NetworkInfo) -> dict[str, object]:
    return {
        "id": info.id,
        "organisation_id": info.organisation_id,
        "kind": info.kind,
        "value": info.value,
        "created_at": info.created_at,
        "state": info.state,
        "reason": info.reason,
        "decided_at": info.decided_at,
        "decision_note": info.decision_note,
    }


@api.delete("/orgs/<int:org_id>/networks/<int:network_id>")
@operation("Withdraw a declaration (hub admins, the org's admins)", query=NoParameters, status=204)
def delete_network(org_id: int, network_id: int) -> Response:
    load_query(NoParameters())
    networks.remove_network(db_session(), current_viewer(), org_id, network_id, meta=request_meta())
    return no_content()


@api.get("/orgs/<int:org_id>/webhook")
@operation(
    "An organisation's webhook (hub admins, the org's admins)",
    query=NoParameters,
    response=WebhookSchema,
)
def get_webhook(org_id: int) -> Response:
    load_query(NoParameters())
    info = networks.routing_info(db_session(), current_viewer(), org_id)
    return reply(WebhookSchema(), _webhook(info))


@api.put("/orgs/<int:org_id>/webhook")
@operation(
    "Set the webhook routed deliveries are POSTed to (hub admins, the org's admins)",
    body=WebhookSetSchema,
    response=WebhookSchema,
)
def set_webhook(org_id: int) -> Response:
    data = load_body(WebhookSetSchema())
    info, made = networks.set_webhook(
        db_session(),
        current_viewer(),
        org_id,
        data["url"],
        current_app.config["SECRET_KEY"],
        secret=data.get("secret"),
        allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"],
        meta=request_meta(),
    )
    body = _webhook(info)
    if made:
        body["secret"] = made
    return reply(WebhookSchema(), body)


@api.delete("/orgs/<int:org_id>/webhook")
@operation("Stop webhook deliveries (hub admins, the org's admins)", query=NoParameters, status=204)
def clear_webhook(org_id: int) -> Response:
    load_query(NoParameters())
    networks.clear_webhook(db_session(), current_viewer(), org_id, meta=request_meta())
    return no_content()


def _webhook(info: networks.RoutingInfo) -> dict[str, object]:
    return {
        "url": info.webhook_url,
        "secret_set": info.webhook_secret_set,
        "pending_deliveries": info.pending_deliveries,
        "failed_deliveries": info.failed_deliveries,
        "last_error": info.last_error,
    }
