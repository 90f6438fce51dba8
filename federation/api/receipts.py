"""Access receipts: ``/api/v1/receipts``, which sectors pulled an organisation's objects."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields, validate

from federation.api.blueprint import api, load_query, reply
from federation.api.openapi import operation
from federation.api.schemas import RequestSchema
from federation.services.access import organisations
from federation.web.auth import current_viewer
from federation.web.db import db_session


class SectorReceiptSchema(Schema):
    """How many organisations of one sector pulled the objects, and how many objects."""

    sector = fields.String()
    organisations = fields.Integer()
    objects = fields.Integer()
    last_at = fields.DateTime()


class ReceiptsSchema(Schema):
    """Receipts by sector; the reading organisations are never named."""

    organisation_id = fields.Integer()
    receipts = fields.List(fields.Nested(SectorReceiptSchema))


class ReceiptsQuerySchema(RequestSchema):
    org_id = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Hub admins: another organisation's receipts."},
    )


@api.get("/receipts")
@operation(
    "Which sectors pulled your organisation's objects (analysts and admins)",
    query=ReceiptsQuerySchema,
    response=ReceiptsSchema,
)
def get_receipts() -> Response:
    query = load_query(ReceiptsQuerySchema())
    org_id, found = organisations.receipts(db_session(), current_viewer(), query.get("org_id"))
    return reply(ReceiptsSchema(), {"organisation_id": org_id, "receipts": found})
