"""API tokens: ``/api/v1/tokens``. Listings show a short prefix, never the secret."""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar

from flask import Response, current_app
from marshmallow import Schema, fields, validate

from federation.api.blueprint import api, load_body, load_query, no_content, reply
from federation.api.openapi import operation
from federation.api.schemas import Name, NoParameters, RequestSchema, StrictInteger
from federation.services.access import members
from federation.web.audit import request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session


class TokenSchema(Schema):
    """An API token as listed: which account, a prefix to tell it apart, its dates."""

    id = fields.Integer()
    account = fields.String()
    prefix = fields.String(metadata={"description": "The first characters of the token."})
    label = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema))


class IssuedTokenSchema(TokenSchema):
    """A new token, with its secret shown this once only."""

    token = fields.String(metadata={"description": "The secret; store it now."})


class TokenQuerySchema(RequestSchema):
    account = Name(metadata={"description": "Whose tokens (default: your own)."})


class TokenCreateSchema(RequestSchema):
    """A new token for you, or for an account you manage."""

    # The service refuses both at once; expires_at must also lie in the future,
    # which no static schema can say.
    json_schema: ClassVar[dict[str, Any]] = {"not": {"required": ["expires_at", "expires_in_days"]}}

    account = Name(metadata={"description": "Whose token (default: your own)."})
    label = fields.String(load_default="", validate=validate.Length(max=200))
    expires_at = fields.AwareDateTime(
        default_timezone=UTC,
        metadata={"description": "ISO-8601, in the future (UTC unless a zone is given)."},
    )
    expires_in_days = StrictInteger(validate=validate.Range(min=1, max=3650))


@api.get("/tokens")
@operation(
    "Your tokens, or an account's you manage", query=TokenQuerySchema, response=TokenListSchema
)
def list_tokens() -> Response:
    query = load_query(TokenQuerySchema())
    found = members.list_tokens(db_session(), current_viewer(), query.get("account"))
    return reply(TokenListSchema(), {"tokens": found})


@api.post("/tokens")
@operation(
    "Issue a token (its secret is shown once)",
    body=TokenCreateSchema,
    response=IssuedTokenSchema,
    status=201,
)
def create_token() -> Response:
    data = load_body(TokenCreateSchema())
    issued = members.create_token(
        db_session(),
        current_viewer(),
        current_app.config["SECRET_KEY"],
        meta=request_meta(),
        **data,
    )
    return reply(IssuedTokenSchema(), issued, 201)


@api.delete("/tokens/<int:token_id>")
@operation("Revoke a token; it gets 401 everywhere from now on", query=NoParameters, status=204)
def revoke_token(token_id: int) -> Response:
    load_query(NoParameters())
    members.revoke_token(db_session(), current_viewer(), token_id, meta=request_meta())
    return no_content()
