"""Trust groups that collection grants name as ``group:NAME``: ``/api/v1/groups``."""

from __future__ import annotations

from flask import Response
from marshmallow import Schema, fields, validate

from federation.api.blueprint import api, load_body, load_query, no_content, reply
from federation.api.openapi import operation
from federation.api.schemas import Name, NoParameters, RequestSchema, no_commas
from federation.services.access import groups as trust_groups
from federation.web.audit import request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session


class GroupSchema(Schema):
    """A trust group and its member organisations."""

    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    members = fields.List(fields.String(), metadata={"description": "Organisation names."})
    created_at = fields.DateTime()


class GroupListSchema(Schema):
    groups = fields.List(fields.Nested(GroupSchema))


class GroupCreateSchema(RequestSchema):
    """A new trust group."""

    name = Name(max_length=100, required=True, validate=[no_commas])
    description = fields.String(load_default="", validate=validate.Length(max=500))


class GroupMemberSchema(RequestSchema):
    """An organisation to add to a group."""

    organisation = Name(required=True, metadata={"description": "Organisation name."})


@api.get("/groups")
@operation("Trust groups and their members", query=NoParameters, response=GroupListSchema)
def list_groups() -> Response:
    load_query(NoParameters())
    return reply(GroupListSchema(), {"groups": trust_groups.list_groups(db_session())})


@api.post("/groups")
@operation(
    "Create a trust group (hub admins)", body=GroupCreateSchema, response=GroupSchema, status=201
)
def create_group() -> Response:
    data = load_body(GroupCreateSchema())
    group = trust_groups.create_group(db_session(), current_viewer(), meta=request_meta(), **data)
    return reply(GroupSchema(), group, 201)


@api.post("/groups/<int:group_id>/members")
@operation(
    "Add an organisation to a trust group (hub admins)",
    body=GroupMemberSchema,
    response=GroupSchema,
    status=201,
)
def add_group_member(group_id: int) -> Response:
    data = load_body(GroupMemberSchema())
    group = trust_groups.add_group_member(
        db_session(), current_viewer(), group_id, data["organisation"], meta=request_meta()
    )
    return reply(GroupSchema(), group, 201)


@api.delete("/groups/<int:group_id>/members/<int:org_id>")
@operation("Remove an organisation from a trust group (hub admins)", query=NoParameters, status=204)
def remove_group_member(group_id: int, org_id: int) -> Response:
    load_query(NoParameters())
    trust_groups.remove_group_member(
        db_session(), current_viewer(), group_id, org_id, meta=request_meta()
    )
    return no_content()
