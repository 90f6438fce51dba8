"""Accounts of people and machines: ``/api/v1/accounts``."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, current_app, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.api.blueprint import api, load_body, load_query, reply
from federation.api.openapi import operation
from federation.api.schemas import (
    Name,
    NoParameters,
    RequestSchema,
    StrictBoolean,
    described,
)
from federation.domain.roles import Role
from federation.services.access import members
from federation.web.audit import request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session

_ROLES = validate.OneOf([r.value for r in Role])


@described(pattern="^[^:]*$")
def _no_colon(value: str) -> None:
    # HTTP Basic sends "name:token" and splits at the first colon.
    if ":" in value:
        raise ValidationError("Must not contain ':' (HTTP Basic could not carry it).")


class AccountSchema(Schema):
    """An account inside one organisation."""

    id = fields.Integer()
    name = fields.String()
    organisation = fields.String(metadata={"description": "The organisation's name."})
    organisation_id = fields.Integer()
    role = fields.String(validate=_ROLES)
    disabled = fields.Boolean()
    unattributed_default = fields.Boolean()
    created_at = fields.DateTime()


class AccountListSchema(Schema):
    accounts = fields.List(fields.Nested(AccountSchema))


class NewAccountSchema(Schema):
    """A new account and its first token, shown this once only."""

    account = fields.Nested(AccountSchema)
    token = fields.String(metadata={"description": "The secret; store it now."})


class AccountQuerySchema(RequestSchema):
    org = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Only this organisation's accounts (by name)."},
    )


class AccountCreateSchema(RequestSchema):
    """A new account. Org admins may leave out the organisation (their own)."""

    name = Name(required=True, validate=[_no_colon])
    organisation = Name(metadata={"description": "Organisation name; default: your own."})
    role = fields.String(required=True, validate=_ROLES)
    unattributed_default = StrictBoolean(load_default=False)


class AccountPatchSchema(RequestSchema):
    """Changes to an account; fields left out stay as they are."""

    json_schema: ClassVar[dict[str, Any]] = {"minProperties": 1}

    role = fields.String(validate=_ROLES)
    disabled = StrictBoolean()
    unattributed_default = StrictBoolean()

    @validates_schema
    def _not_empty(self, data: dict[str, object], **_: object) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.")


@api.get("/accounts")
@operation(
    "Accounts: all (hub admins), your organisation's (org admins), your own (others)",
    query=AccountQuerySchema,
    response=AccountListSchema,
)
def list_accounts() -> Response:
    query = load_query(AccountQuerySchema())
    found = members.list_accounts(db_session(), current_viewer(), query.get("org"))
    return reply(AccountListSchema(), {"accounts": found})


@api.post("/accounts")
@operation(
    "Create an account and its first token",
    body=AccountCreateSchema,
    response=NewAccountSchema,
    status=201,
)
def create_account() -> Response:
    data = load_body(AccountCreateSchema())
    created = members.create_account(
        db_session(),
        current_viewer(),
        current_app.config["SECRET_KEY"],
        meta=request_meta(),
        **data,
    )
    location = url_for(".get_account", account_id=created.account.id)
    return reply(NewAccountSchema(), created, 201, location)


@api.get("/accounts/<int:account_id>")
@operation("One account", query=NoParameters, response=AccountSchema)
def get_account(account_id: int) -> Response:
    load_query(NoParameters())
    return reply(AccountSchema(), members.get_account(db_session(), current_viewer(), account_id))


@api.patch("/accounts/<int:account_id>")
@operation(
    "Change an account's role, disabled flag or unattributed default",
    body=AccountPatchSchema,
    response=AccountSchema,
)
def update_account(account_id: int) -> Response:
    changes = members.AccountChanges(**load_body(AccountPatchSchema()))
    account = members.update_account(
        db_session(), current_viewer(), account_id, changes, meta=request_meta()
    )
    return reply(AccountSchema(), account)
