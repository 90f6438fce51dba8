"""Member organisations: ``/api/v1/orgs``."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.api.blueprint import api, load_body, load_query, reply
from federation.api.openapi import operation
from federation.api.schemas import (
    Name,
    NoParameters,
    RequestSchema,
    StrictBoolean,
    described,
    email_or_empty,
    no_commas,
)
from federation.domain.roles import Sector
from federation.services.access import organisations
from federation.web.audit import request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session

_PHONE = validate.Regexp(r"^[0-9+()./ -]*$", error="Digits, spaces and + ( ) . / - only.")


@described(**{"not": {"pattern": r"^\s*(\*\s*$|sector:|group:)"}})
def _not_a_grant_keyword(value: str) -> None:
    # Collection grants mix organisation names with these forms.
    if value == "*" or value.startswith(("sector:", "group:")):
        raise ValidationError("Must not be '*' or start with 'sector:' or 'group:'.")


class OrganisationSchema(Schema):
    """A member organisation."""

    id = fields.Integer()
    name = fields.String()
    sector = fields.String(validate=validate.OneOf([s.value for s in Sector]))
    identity_id = fields.String(metadata={"description": "The hub's STIX identity id for it."})
    contact_email = fields.String()
    contact_phone = fields.String()
    unattributed_default = fields.Boolean()
    groups = fields.List(fields.String(), metadata={"description": "Trust group names."})
    created_at = fields.DateTime()


class OrganisationListSchema(Schema):
    organisations = fields.List(fields.Nested(OrganisationSchema))


class OrganisationCreateSchema(RequestSchema):
    """A new member organisation."""

    name = Name(required=True, validate=[no_commas, _not_a_grant_keyword])
    sector = fields.String(required=True, validate=validate.OneOf([s.value for s in Sector]))
    contact_email = fields.String(
        load_default="", validate=[validate.Length(max=320), email_or_empty]
    )
    contact_phone = fields.String(load_default="", validate=[validate.Length(max=64), _PHONE])
    unattributed_default = StrictBoolean(load_default=False)


class OrganisationPatchSchema(RequestSchema):
    """Changes to an organisation; fields left out stay as they are."""

    json_schema: ClassVar[dict[str, Any]] = {"minProperties": 1}

    contact_email = fields.String(validate=[validate.Length(max=320), email_or_empty])
    contact_phone = fields.String(validate=[validate.Length(max=64), _PHONE])
    unattributed_default = StrictBoolean()

    @validates_schema
    def _not_empty(self, data: dict[str, object], **_: object) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.")


@api.get("/orgs")
@operation(
    "Organisations: all for hub admins, your own otherwise",
    query=NoParameters,
    response=OrganisationListSchema,
)
def list_orgs() -> Response:
    load_query(NoParameters())
    orgs = organisations.list_organisations(db_session(), current_viewer())
    return reply(OrganisationListSchema(), {"organisations": orgs})


@api.post("/orgs")
@operation(
    "Admit an organisation (hub admins)",
    body=OrganisationCreateSchema,
    response=OrganisationSchema,
    status=201,
)
def create_org() -> Response:
    data = load_body(OrganisationCreateSchema())
    org = organisations.create_organisation(
        db_session(), current_viewer(), meta=request_meta(), **data
    )
    return reply(OrganisationSchema(), org, 201, url_for(".get_org", org_id=org.id))


@api.get("/orgs/<int:org_id>")
@operation(
    "One organisation (hub admins, its members)", query=NoParameters, response=OrganisationSchema
)
def get_org(org_id: int) -> Response:
    load_query(NoParameters())
    org = organisations.get_organisation(db_session(), current_viewer(), org_id)
    return reply(OrganisationSchema(), org)


@api.patch("/orgs/<int:org_id>")
@operation(
    "Change contact details and defaults (hub admins, the org's admins)",
    body=OrganisationPatchSchema,
    response=OrganisationSchema,
)
def update_org(org_id: int) -> Response:
    changes = organisations.OrganisationChanges(**load_body(OrganisationPatchSchema()))
    org = organisations.update_organisation(
        db_session(), current_viewer(), org_id, changes, meta=request_meta()
    )
    return reply(OrganisationSchema(), org)
