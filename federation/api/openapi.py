"""The OpenAPI 3.1 document of the REST API, built from the routes and their marshmallow schemas.

Each view declares its schemas with :func:`operation`; the document walks the
app's URL map, so it lists exactly the routes that exist. apispec's marshmallow
plugin turns the schemas into JSON Schema; :class:`_Converter` teaches it what
our schemas state beyond marshmallow's own validators (rules written in Python
that name their JSON Schema keywords, several patterns that must all hold, and
``x-checked`` for what no keyword can say).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from flask import Response, current_app, jsonify
from marshmallow import Schema, fields, validate

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
    spec = APISpec(
        title=current_app.config.get("TITLE", "Federation"),
        version="1",
        openapi_version="3.1.0",
        plugins=[_Plugin()],
        security=[{"basic": []}, {"bearer": []}],
    )
    spec.components.security_scheme("basic", {"type": "http", "scheme": "basic"})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", schema=Problem)
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith(f"{api.name}."):
            continue
        op = _operations.get(_key(current_app.view_functions[rule.endpoint]))
        if op is None:
            continue
        operations = {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            doc = _operation(rule.rule, op)
            if is_public(rule.endpoint):
                doc["security"] = []
            operations[method.lower()] = doc
        spec.path(path=_PATH_PARAMETER.sub(r"{\2}", rule.rule), operations=operations)
    document = spec.to_dict()
    components = document["components"]
    components["schemas"] = dict(sorted(components["schemas"].items()))
    return document


def _operation(rule: str, op: Operation) -> dict[str, Any]:
    """One operation in apispec's input form: schema classes stand where their JSON Schema goes."""
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
        parameters.append({"in": "query", "schema": op.query})
    success: dict[str, Any] = {"description": "Success"}
    if op.response is not None:
        success["content"] = {op.media_type: {"schema": op.response}}
    elif op.media_type != JSON_MEDIA_TYPE:
        success["content"] = {op.media_type: {"schema": {"type": "string"}}}
    doc: dict[str, Any] = {
        "summary": op.summary,
        "parameters": parameters,
        "responses": {
            str(op.status): success,
            "default": {
                "description": "Problem details",
                "content": {_PROBLEM_MEDIA_TYPE: {"schema": Problem}},
            },
        },
    }
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.body}},
        }
    return doc


class _Converter(OpenAPIConverter):
    """apispec's converter, with what our schemas and fields say beyond marshmallow's."""

    def init_attribute_functions(self) -> None:
        super().init_attribute_functions()  # type: ignore[no-untyped-call]
        # Our rules replace apispec's single-pattern step: a field may have
        # several patterns (all must hold) and validators that name their
        # JSON Schema keywords. Nullability stays last, since it reads the type.
        self.attribute_functions = [
            self.validators2properties if f == self.field2pattern else f
            for f in self.attribute_functions
            if f != self.field2nullable
        ]
        self.attribute_functions += [self.checked2properties, self.field2nullable]

    def field2type_and_format(self, field: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
        found: dict[str, Any] = super().field2type_and_format(field, **kwargs)
        if not found and not isinstance(field, (fields.Raw, fields.Nested)):
            # A field class of ours (a cursor, say) reads text from a query or body.
            found = {"type": "string"}
        return found

    def validators2properties(self, field: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
        """Patterns, and the keywords of validators written in Python (see ``described``)."""
        ret: dict[str, Any] = kwargs["ret"]
        found: dict[str, Any] = {}
        for validator in field.validators:
            described: dict[str, Any] | None = getattr(validator, "json_schema", None)
            if described is None and isinstance(validator, validate.Regexp):
                described = {"pattern": validator.regex.pattern}
            for key, value in (described or {}).items():
                if key in ("pattern", "anyOf", "not") and (key in found or key in ret):
                    # Several rules of one kind must all hold.
                    found.setdefault("allOf", []).append({key: value})
                else:
                    found[key] = value
        return found

    def checked2properties(self, field: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
        """``x-checked``: a rule no JSON Schema keyword states (a cursor this
        server issued, an address that parses, a collection the caller may
        write), named so clients know a well-formed value may still be refused."""
        checked = field.metadata.get("checked")
        return {"x-checked": checked} if checked else {}

    def field2nullable(self, field: fields.Field[Any], ret: dict[str, Any]) -> dict[str, Any]:
        # OpenAPI 3.1 is JSON Schema: null joins the type, or a reference is one of two.
        if not field.allow_none:
            return {}
        if "$ref" in ret:
            return {"anyOf": [{"$ref": ret.pop("$ref")}, {"type": "null"}]}
        if "type" in ret:
            kinds = ret["type"] if isinstance(ret["type"], list) else [ret["type"]]
            return {"type": [*kinds, "null"]}
        return {}

    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        doc: dict[str, Any] = super().schema2jsonschema(schema)  # type: ignore[no-untyped-call]
        instance = schema if isinstance(schema, Schema) else schema()
        # apispec closes every schema that refuses unknown fields; marshmallow
        # refuses them by default, yet only request schemas are closed on
        # purpose (replies may grow fields).
        doc.pop("additionalProperties", None)
        if isinstance(instance, RequestSchema):
            doc["additionalProperties"] = False
        # Rules of the whole schema, written in Python (validates_schema), say here what they check.
        doc.update(getattr(instance, "json_schema", {}))
        if type(instance).__doc__:
            doc["description"] = " ".join(str(type(instance).__doc__).split())
        return doc


class _Plugin(MarshmallowPlugin):
    Converter = _Converter
