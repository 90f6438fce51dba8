"""The OpenAPI 3.1 document of the REST API, built from the routes and their marshmallow schemas.

Each view declares its schemas with :func:`operation`; the document walks the
app's URL map, so it lists exactly the routes that exist. A small converter
turns marshmallow fields into JSON Schema: type, nullability, required, enums
(``OneOf``), lengths and ranges.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response, current_app, jsonify
from marshmallow import Schema, fields, missing, validate

from federation.api.blueprint import JSON_MEDIA_TYPE, api, is_public, load_query, public
from federation.api.schemas import INT32_MAX, NoParameters, Problem, RequestSchema

View = TypeVar("View", bound=Callable[..., Response])
_PATH_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_PROBLEM_MEDIA_TYPE = "application/problem+json"
# What blueprint._check_path lets through to a view: Flask's int converter
# takes no sign, and ids are 32-bit INTEGER keys.
_PATH_ID = {"type": "integer", "minimum": 0, "maximum": INT32_MAX}


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    query: type[Schema] | None
    body: type[Schema] | None
    response: type[Schema] | None
    status: int
    media_type: str
    path: dict[str, dict[str, Any]]


_operations: dict[str, Operation] = {}


def operation(
    summary: str,
    *,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    status: int = 200,
    media_type: str = JSON_MEDIA_TYPE,
    path: dict[str, dict[str, Any]] | None = None,
) -> Callable[[View], View]:
    """Declare what a view takes and returns, for the OpenAPI document.

    ``path`` gives the JSON Schema of string path parameters whose form is
    known (a STIX id, say); others are plain strings.
    """

    def register(view: View) -> View:
        _operations[_key(view)] = Operation(
            summary, query, body, response, status, media_type, dict(path or {})
        )
        return view

    return register


def _key(view: Callable[..., Any]) -> str:
    return f"{view.__module__}.{view.__qualname__}"


@api.get("/openapi.json")
@public
@operation("This OpenAPI document (no credentials needed)", query=NoParameters)
def get_openapi() -> Response:
    """The OpenAPI 3.1 document describing ``/api/v1/``.

    Public, like the page at ``/api/v1/docs``: it describes the shape every
    hub of this version serves, never data, and client generators and people
    in a browser should not need a token to read it.
    """
    load_query(NoParameters())
    return jsonify(build_document())


def build_document() -> dict[str, Any]:
    """The OpenAPI document for the current app's API routes."""
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(f"{api.name}."):
            continue
        op = _operations.get(_key(current_app.view_functions[rule.endpoint]))
        if op is None:
            continue
        path = _PATH_PARAMETER.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            doc = _operation(rule.rule, op, components)
            if is_public(rule.endpoint):
                doc["security"] = []
            paths.setdefault(path, {})[method.lower()] = doc
    components["Problem"] = schema_to_json_schema(Problem(), components)
    return {
        "openapi": "3.1.0",
        "info": {"title": current_app.config.get("TITLE", "Federation"), "version": "1"},
        "security": [{"basic": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def _operation(rule: str, op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _PATH_ID if converter == "int" else op.path.get(name, {"type": "string"}),
        }
        for converter, name in _PATH_PARAMETER.findall(rule)
    ]
    if op.query is not None:
        for name, field in op.query().load_fields.items():
            parameters.append(
                {
                    "name": field.data_key or name,
                    "in": "query",
                    "required": field.required,
                    "schema": field_to_json_schema(field, components),
                }
            )
    problem = {_PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    success: dict[str, Any] = {"description": "Success"}
    if op.response is not None:
        success["content"] = {op.media_type: {"schema": _ref(op.response(), components)}}
    elif op.media_type != JSON_MEDIA_TYPE:
        success["content"] = {op.media_type: {"schema": {"type": "string"}}}
    doc: dict[str, Any] = {
        "summary": op.summary,
        "parameters": parameters,
        "responses": {
            str(op.status): success,
            "default": {"description": "Problem details", "content": problem},
        },
    }
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(op.body(), components)}},
        }
    return doc


def schema_to_json_schema(schema: Schema, components: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema object for ``schema``; nested schemas go into ``components``."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        properties[key] = field_to_json_schema(field, components)
        if field.required:
            required.append(key)
    doc: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        doc["required"] = required
    if isinstance(schema, RequestSchema):
        doc["additionalProperties"] = False
    # Rules of the whole schema, written in Python (validates_schema), say here what they check.
    doc.update(getattr(schema, "json_schema", {}))
    if schema.__doc__:
        doc["description"] = " ".join(schema.__doc__.split())
    return doc


def field_to_json_schema(field: fields.Field[Any], components: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema for one marshmallow field."""
    doc: dict[str, Any]
    if isinstance(field, fields.Nested):
        doc = _ref(field.schema, components)
    elif isinstance(field, fields.List):
        doc = {"type": "array", "items": field_to_json_schema(field.inner, components)}
    elif isinstance(field, fields.Dict):
        doc = {"type": "object"}
    elif isinstance(field, fields.Boolean):
        doc = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        doc = {"type": "integer"}
    elif isinstance(field, fields.Float):
        doc = {"type": "number"}
    elif isinstance(field, fields.DateTime):
        doc = {"type": "string", "format": "date-time"}
    elif isinstance(field, fields.UUID):
        doc = {"type": "string", "format": "uuid"}
    else:
        doc = {"type": "string"}
    for validator in field.validators:
        for key, value in _validator_to_json_schema(validator, doc.get("type")).items():
            if key in ("pattern", "anyOf", "not") and key in doc:
                # Several rules of one kind must all hold.
                doc.setdefault("allOf", []).append({key: value})
            else:
                doc[key] = value
    if field.load_default is not missing and not callable(field.load_default):
        doc["default"] = field.load_default
    if field.allow_none and "type" in doc:
        doc["type"] = [doc["type"], "null"]
    description = field.metadata.get("description")
    if description:
        doc["description"] = description
    # A rule no JSON Schema keyword states (a cursor this server issued, an
    # address that parses, a collection the caller may write): named for
    # clients, which then know a well-formed value may still be refused.
    checked = field.metadata.get("checked")
    if checked:
        doc["x-checked"] = checked
    return doc


def _validator_to_json_schema(validator: object, kind: object) -> dict[str, Any]:
    described: dict[str, Any] | None = getattr(validator, "json_schema", None)
    if described is not None:
        return described
    if isinstance(validator, validate.Regexp):
        return {"pattern": validator.regex.pattern}
    if isinstance(validator, validate.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, validate.Length):
        prefix = "Items" if kind == "array" else "Length"
        bounds = {f"min{prefix}": validator.min, f"max{prefix}": validator.max}
        return {key: value for key, value in bounds.items() if value is not None}
    if isinstance(validator, validate.Range):
        low = "minimum" if validator.min_inclusive else "exclusiveMinimum"
        high = "maximum" if validator.max_inclusive else "exclusiveMaximum"
        bounds = {low: validator.min, high: validator.max}
        return {key: value for key, value in bounds.items() if value is not None}
    return {}


def _ref(schema: Schema, components: dict[str, Any]) -> dict[str, Any]:
    name = type(schema).__name__.removesuffix("Schema")
    if name not in components:
        components[name] = {}  # placeholder: breaks cycles while the schema converts
        components[name] = schema_to_json_schema(schema, components)
    return {"$ref": f"#/components/schemas/{name}"}
