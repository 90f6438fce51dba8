"""The audit log: ``/api/v1/audit``, newest first, paged by a keyset cursor."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields, validate

from federation.api.blueprint import api, load_query, reply
from federation.api.openapi import operation
from federation.api.schemas import INT64_MAX, RequestSchema
from federation.services.access.audit import events
from federation.web.auth import current_viewer
from federation.web.db import db_session


class AuditEventSchema(Schema):
    """Who did what, in which organisation and collection, to how many objects."""

    id = fields.Integer(metadata={"description": "Pass as `before` to page on."})
    at = fields.DateTime()
    account = fields.String(attribute="account_name")
    organisation_id = fields.Integer(allow_none=True)
    action = fields.String()
    collection_id = fields.UUID(allow_none=True)
    object_count = fields.Integer()
    request_id = fields.String()
    client_address = fields.String()
    detail = fields.String()


class AuditPageSchema(Schema):
    events = fields.List(fields.Nested(AuditEventSchema))
    more = fields.Boolean()
    next = fields.Integer(
        allow_none=True, metadata={"description": "The `before` of the next page, when more."}
    )


class AuditQuerySchema(RequestSchema):
    org_id = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Hub admins: one organisation's events."},
    )
    # Audit event ids are bigint, wider than the default bound of integers.
    before = fields.Integer(
        validate=validate.Range(min=1, max=INT64_MAX),
        metadata={"description": "Events older than this id."},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


@api.get("/audit")
@operation(
    "The audit log (org admins: their organisation; hub admins: all)",
    query=AuditQuerySchema,
    response=AuditPageSchema,
)
def get_audit() -> Response:
    query = load_query(AuditQuerySchema())
    limit: int = query["limit"]
    # One more than asked tells whether another page exists without counting.
    found = events(
        db_session(),
        current_viewer(),
        organisation_id=query.get("org_id"),
        before_id=query.get("before"),
        limit=limit + 1,
    )
    page = found[:limit]
    more = len(found) > limit
    return reply(
        AuditPageSchema(),
        {"events": page, "more": more, "next": page[-1].id if more else None},
    )
