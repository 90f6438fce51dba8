"""TAXII API roots as hub admins manage them: ``/api/v1/roots`` (hub admins only).

What TAXII clients see of a root is at ``/taxii2/<name>/``; this is where it
is made, retitled and removed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.api.blueprint import api, load_body, load_query, no_content, reply
from federation.api.openapi import operation
from federation.api.schemas import Name, NoParameters, RequestSchema
from federation.services.access import catalog
from federation.web.audit import request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session

ROOT_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
# The path parameter as stored: the pattern root names are made with.
ROOT_PATH: dict[str, dict[str, Any]] = {"name": {"type": "string", "pattern": ROOT_NAME_PATTERN}}


class ApiRootSchema(Schema):
    """An API root, served to TAXII clients at ``/taxii2/<name>/``."""

    name = fields.String()
    title = fields.String()
    description = fields.String()
    collections = fields.Integer(metadata={"description": "How many collections it holds."})
    created_at = fields.DateTime()


class ApiRootListSchema(Schema):
    roots = fields.List(fields.Nested(ApiRootSchema))


class ApiRootCreateSchema(RequestSchema):
    """A new API root."""

    name = fields.String(
        required=True,
        validate=validate.Regexp(
            ROOT_NAME_PATTERN, error="Lower-case letters, digits, '-' and '_' (up to 100)."
        ),
    )
    title = Name(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=10000))


class ApiRootPatchSchema(RequestSchema):
    """Changes to an API root; fields left out stay as they are. Its name is fixed."""

    json_schema: ClassVar[dict[str, Any]] = {"minProperties": 1}

    title = Name()
    description = fields.String(validate=validate.Length(max=10000))

    @validates_schema
    def _not_empty(self, data: dict[str, object], **_: object) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.")


@api.get("/roots")
@operation("API roots (hub admins)", query=NoParameters, response=ApiRootListSchema)
def list_roots() -> Response:
    load_query(NoParameters())
    roots = catalog.list_roots(db_session(), current_viewer())
    return reply(ApiRootListSchema(), {"roots": roots})


@api.post("/roots")
@operation(
    "Create an API root (hub admins)", body=ApiRootCreateSchema, response=ApiRootSchema, status=201
)
def create_root() -> Response:
    data = load_body(ApiRootCreateSchema())
    root = catalog.create_root(db_session(), current_viewer(), meta=request_meta(), **data)
    return reply(ApiRootSchema(), root, 201, url_for(".get_root", name=root.name))


@api.get("/roots/<name>")
@operation("One API root (hub admins)", query=NoParameters, response=ApiRootSchema, path=ROOT_PATH)
def get_root(name: str) -> Response:
    load_query(NoParameters())
    return reply(ApiRootSchema(), catalog.get_root(db_session(), current_viewer(), name))


@api.patch("/roots/<name>")
@operation(
    "Change an API root's title or description (hub admins)",
    body=ApiRootPatchSchema,
    response=ApiRootSchema,
    path=ROOT_PATH,
)
def update_root(name: str) -> Response:
    # An absent root is absent whatever the body says (after the
    # query string, which no operation with a body takes).
    load_query(NoParameters())
    catalog.get_root(db_session(), current_viewer(), name)
    changes = catalog.RootChanges(**load_body(ApiRootPatchSchema()))
    root = catalog.update_root(db_session(), current_viewer(), name, changes, meta=request_meta())
    return reply(ApiRootSchema(), root)


@api.delete("/roots/<name>")
@operation(
    "Remove an API root that holds no collections (hub admins)",
    query=NoParameters,
    status=204,
    path=ROOT_PATH,
)
def delete_root(name: str) -> Response:
    load_query(NoParameters())
    catalog.delete_root(db_session(), current_viewer(), name, meta=request_meta())
    return no_content()
