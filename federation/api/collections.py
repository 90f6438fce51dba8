"""TAXII collections as hub admins manage them: ``/api/v1/collections`` (hub admins only).

TAXII clients read and write a collection at ``/taxii2/<root>/collections/<id>/``;
this is where it is made, who may use it is set, and it is removed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.api.blueprint import api, load_body, load_query, no_content, reply
from federation.api.openapi import operation
from federation.api.roots import ROOT_NAME_PATTERN
from federation.api.schemas import Name, NoParameters, RequestSchema, no_commas
from federation.domain.tlp import Tlp
from federation.services.access import catalog
from federation.web.audit import request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session

TLP_LABELS = [level.label for level in Tlp]
_ALIAS_FORM = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
_ALIAS_ERROR = "Letters, digits, '.', '-' and '_', up to 100, starting with a letter or digit."
_ALIAS = validate.Regexp(f"^{_ALIAS_FORM}$", error=_ALIAS_ERROR)
# A collection in the path is its id or its alias (an id has the alias form too).
COLLECTION_PATH: dict[str, dict[str, Any]] = {
    "collection": {"type": "string", "pattern": f"^{_ALIAS_FORM}$"}
}
# In a change, the empty alias removes it.
_ALIAS_OR_EMPTY = validate.Regexp(f"^({_ALIAS_FORM})?$", error=_ALIAS_ERROR + " Or empty.")
_GRANTEE_CHECK = (
    "Each names a member organisation, 'sector:S' with a known sector, 'group:G' or '*'."
)


def _grantees(**kwargs: Any) -> fields.List[Any]:
    return fields.List(
        Name(max_length=220, validate=[no_commas]),
        validate=validate.Length(max=100),
        metadata={"checked": _GRANTEE_CHECK},
        **kwargs,
    )


class CollectionSchema(Schema):
    """A collection and who may read and write it (grants by organisation name)."""

    id = fields.UUID()
    root = fields.String(metadata={"description": "The API root that serves it."})
    title = fields.String()
    description = fields.String()
    alias = fields.String(allow_none=True)
    default_tlp = fields.String(validate=validate.OneOf(TLP_LABELS))
    read = fields.List(fields.String())
    write = fields.List(fields.String())
    objects = fields.Integer(metadata={"description": "Object versions it holds."})
    created_at = fields.DateTime()


class CollectionListSchema(Schema):
    collections = fields.List(fields.Nested(CollectionSchema))


class CollectionQuerySchema(RequestSchema):
    root = fields.String(
        validate=validate.Regexp(ROOT_NAME_PATTERN, error="An API root name."),
        metadata={"description": "Only this API root's collections."},
    )


class CollectionCreateSchema(RequestSchema):
    """A new collection; its title is unique within its API root."""

    root = fields.String(
        required=True,
        validate=validate.Regexp(ROOT_NAME_PATTERN, error="An API root name."),
        metadata={"checked": "Names an API root of this hub."},
    )
    title = Name(required=True, metadata={"checked": "No other collection of the root has it."})
    id = fields.UUID(metadata={"checked": "No other collection has it (default: random)."})
    alias = fields.String(validate=_ALIAS, metadata={"checked": "No other collection has it."})
    description = fields.String(load_default="", validate=validate.Length(max=10000))
    read = _grantees(load_default=lambda: ["*"])
    write = _grantees(load_default=list)
    default_tlp = fields.String(load_default="amber", validate=validate.OneOf(TLP_LABELS))


class CollectionPatchSchema(RequestSchema):
    """Changes to a collection; fields left out stay as they are, ``read`` and
    ``write`` replace the grants whole, and an empty ``alias`` removes it."""

    json_schema: ClassVar[dict[str, Any]] = {"minProperties": 1}

    title = Name(metadata={"checked": "No other collection of the root has it."})
    alias = fields.String(
        validate=_ALIAS_OR_EMPTY,
        metadata={"checked": "No other collection has it."},
    )
    description = fields.String(validate=validate.Length(max=10000))
    read = _grantees()
    write = _grantees()
    default_tlp = fields.String(validate=validate.OneOf(TLP_LABELS))

    @validates_schema
    def _not_empty(self, data: dict[str, object], **_: object) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.")


@api.get("/collections")
@operation(
    "Collections with their grants (hub admins)",
    query=CollectionQuerySchema,
    response=CollectionListSchema,
)
def list_collections() -> Response:
    query = load_query(CollectionQuerySchema())
    found = catalog.list_collections(db_session(), current_viewer(), query.get("root"))
    return reply(CollectionListSchema(), {"collections": found})


@api.post("/collections")
@operation(
    "Create a collection (hub admins)",
    body=CollectionCreateSchema,
    response=CollectionSchema,
    status=201,
)
def create_collection() -> Response:
    data = load_body(CollectionCreateSchema())
    made = catalog.create_collection(
        db_session(),
        current_viewer(),
        root=data["root"],
        title=data["title"],
        collection_id=data.get("id"),
        alias=data.get("alias"),
        description=data["description"],
        read=",".join(data["read"]),
        write=",".join(data["write"]),
        default_tlp=data["default_tlp"],
        meta=request_meta(),
    )
    location = url_for(".get_collection", collection=str(made.id))
    return reply(CollectionSchema(), made, 201, location)


@api.get("/collections/<collection>")
@operation(
    "One collection (hub admins)",
    query=NoParameters,
    response=CollectionSchema,
    path=COLLECTION_PATH,
)
def get_collection(collection: str) -> Response:
    load_query(NoParameters())
    found = catalog.get_collection(db_session(), current_viewer(), collection)
    return reply(CollectionSchema(), found)


@api.patch("/collections/<collection>")
@operation(
    "Change a collection's title, alias, description, default TLP or grants (hub admins)",
    body=CollectionPatchSchema,
    response=CollectionSchema,
    path=COLLECTION_PATH,
)
def update_collection(collection: str) -> Response:
    # An absent collection is absent whatever the body says (after the
    # query string, which no operation with a body takes).
    load_query(NoParameters())
    catalog.get_collection(db_session(), current_viewer(), collection)
    data = load_body(CollectionPatchSchema())
    for access in ("read", "write"):
        if access in data:
            data[access] = ",".join(data[access])
    found = catalog.update_collection(
        db_session(),
        current_viewer(),
        collection,
        catalog.CollectionChanges(**data),
        meta=request_meta(),
    )
    return reply(CollectionSchema(), found)


@api.delete("/collections/<collection>")
@operation(
    "Remove a collection that holds no objects and no peer links (hub admins)",
    query=NoParameters,
    status=204,
    path=COLLECTION_PATH,
)
def delete_collection(collection: str) -> Response:
    load_query(NoParameters())
    catalog.delete_collection(db_session(), current_viewer(), collection, meta=request_meta())
    return no_content()
