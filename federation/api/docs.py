"""The API page for people: ``/api/v1/docs``, rendered on the server from the
OpenAPI document, so it lists exactly the operations the hub serves.

Self-contained on purpose: inline CSS, no scripts, no fonts or styles from a
CDN. A hub often runs where the internet is not reachable, and a page that
loads third-party code would leak its users' visits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, render_template

from federation.api.blueprint import api, load_query, public
from federation.api.openapi import build_document, operation
from federation.api.schemas import NoParameters

HTML_MEDIA_TYPE = "text/html"


@dataclass(frozen=True, slots=True)
class Field:
    """One parameter or schema property as the page shows it."""

    name: str
    where: str
    type: str
    required: bool
    rules: str
    description: str
    link: str | None


@dataclass(frozen=True, slots=True)
class Reply:
    status: str
    media_type: str
    schema: str | None
    fields: list[Field]


@dataclass(frozen=True, slots=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    public: bool
    parameters: list[Field]
    body_schema: str | None
    body: list[Field]
    replies: list[Reply]


@api.get("/docs")
@public
@operation(
    "This API described for people, as HTML (no credentials needed)",
    query=NoParameters,
    media_type=HTML_MEDIA_TYPE,
)
def get_docs() -> Response:
    """The API page: every operation with its parameters, body and reply fields."""
    load_query(NoParameters())
    doc = build_document()
    schemas: dict[str, Any] = doc["components"]["schemas"]
    html = render_template(
        "api_docs.html",
        title=doc["info"]["title"],
        operations=_operations(doc, schemas),
        schemas={name: _properties(schema, "body") for name, schema in schemas.items()},
        descriptions={name: schema.get("description", "") for name, schema in schemas.items()},
        schema_rules={name: _rules(schema) for name, schema in schemas.items()},
    )
    return current_app.response_class(html, content_type=f"{HTML_MEDIA_TYPE}; charset=utf-8")


def _operations(doc: dict[str, Any], schemas: dict[str, Any]) -> list[Operation]:
    found = []
    for path, methods in doc["paths"].items():
        for method, spec in methods.items():
            body_name = None
            body: list[Field] = []
            if "requestBody" in spec:
                body_name = _ref_name(spec["requestBody"]["content"]["application/json"]["schema"])
            if body_name is not None:
                body = _properties(schemas[body_name], "body")
            found.append(
                Operation(
                    anchor=re.sub(r"[^A-Za-z0-9]+", "-", f"{method}-{path}").strip("-"),
                    method=method.upper(),
                    path=path,
                    summary=spec["summary"],
                    public=spec.get("security") == [],
                    parameters=[_parameter(p) for p in spec["parameters"]],
                    body_schema=body_name,
                    body=body,
                    replies=[
                        _reply(status, reply, schemas)
                        for status, reply in spec["responses"].items()
                    ],
                )
            )
    return found


def _reply(status: str, reply: dict[str, Any], schemas: dict[str, Any]) -> Reply:
    for media_type, content in reply.get("content", {}).items():
        name = _ref_name(content["schema"])
        if status == "default":
            # The problem shape is the same everywhere: link it, do not repeat it.
            return Reply("any other (error)", media_type, name, [])
        return Reply(status, media_type, name, _properties(schemas[name], "body") if name else [])
    return Reply(status, "", None, [])


def _parameter(parameter: dict[str, Any]) -> Field:
    # OpenAPI puts a parameter's description beside its schema, not in it.
    spec = {**parameter["schema"], "description": parameter.get("description", "")}
    return _field(parameter["name"], parameter["in"], spec, bool(parameter.get("required")))


def _properties(schema: dict[str, Any], where: str) -> list[Field]:
    required = set(schema.get("required", []))
    return [
        _field(name, where, spec, name in required)
        for name, spec in schema.get("properties", {}).items()
    ]


def _field(name: str, where: str, spec: dict[str, Any], required: bool) -> Field:
    kind, link = _type(spec)
    return Field(name, where, kind, required, _rules(spec), spec.get("description", ""), link)


def _type(spec: dict[str, Any]) -> tuple[str, str | None]:
    """A readable type, and the schema it links to if any."""
    name = _ref_name(spec)
    if name:
        return name, name
    if spec.get("type") == "array":
        inner, link = _type(spec.get("items", {}))
        return f"array of {inner}", link
    kind = spec.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if "format" in spec:
        kind = f"{kind} ({spec['format']})"
    return str(kind), None


_RULES = {
    "minLength": "length ≥ {}",
    "maxLength": "length ≤ {}",
    "minimum": "≥ {}",
    "maximum": "≤ {}",
    "exclusiveMinimum": "> {}",
    "exclusiveMaximum": "< {}",
    "minItems": "items ≥ {}",
    "maxItems": "items ≤ {}",
    "default": "default {}",
}


def _rules(spec: dict[str, Any]) -> str:
    return "; ".join(_rule_texts(spec))


def _rule_texts(spec: dict[str, Any]) -> list[str]:
    """Each constraint of a JSON Schema in words, nested combinations included."""
    rules = [text.format(_show(spec[key])) for key, text in _RULES.items() if key in spec]
    if "enum" in spec:
        rules.insert(0, "one of " + ", ".join(_show(value) for value in spec["enum"]))
    if "format" in spec and "type" not in spec:
        rules.append(f"a {spec['format']}")
    if "pattern" in spec:
        rules.append(f"matches {spec['pattern']}")
    if "minProperties" in spec:
        rules.append(f"at least {spec['minProperties']} field(s)")
    if "required" in spec and "properties" not in spec:
        rules.append("has " + " and ".join(spec["required"]))
    for part in spec.get("allOf", []):
        rules.extend(_rule_texts(part))
    if "anyOf" in spec:
        rules.append(" or ".join(_rules(part) for part in spec["anyOf"]))
    if "not" in spec:
        rules.append(f"not ({_rules(spec['not'])})")
    return rules


def _show(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _ref_name(spec: dict[str, Any]) -> str | None:
    ref = spec.get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref else None
