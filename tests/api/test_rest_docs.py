"""REST API: the page for people at /api/v1/docs, and which descriptions are public."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from federation.api.blueprint import is_public


def page(client: FlaskClient) -> str:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    return html.unescape(response.get_data(as_text=True))


def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json
    return doc


def test_the_api_page_and_the_openapi_document_need_no_credentials(
    app: Flask, client: FlaskClient
) -> None:
    public = {rule.rule for rule in app.url_map.iter_rules() if is_public(rule.endpoint)}
    assert public == {"/api/v1/docs", "/api/v1/openapi.json"}
    doc = document(client)
    for path in public:
        assert doc["paths"][path]["get"]["security"] == []
    assert "security" not in doc["paths"]["/api/v1/orgs"]["get"]


def test_the_api_page_lists_every_operation_of_the_openapi_document(client: FlaskClient) -> None:
    text = page(client)
    doc = document(client)
    operations = [(m.upper(), path) for path, ops in doc["paths"].items() for m in ops]
    assert len(operations) >= 19
    for method, path in operations:
        heading = f'<span class="method {method}">{method}</span> <span class="path">{path}</span>'
        assert heading in text, (method, path)
        summary = doc["paths"][path][method.lower()]["summary"]
        assert summary in text


def test_the_api_page_shows_parameters_body_and_reply_fields(client: FlaskClient) -> None:
    text = page(client)
    doc = document(client)
    for path, ops in doc["paths"].items():
        for spec in ops.values():
            for parameter in spec["parameters"]:
                assert f"<code>{parameter['name']}</code>" in text, (path, parameter)
    for name, schema in doc["components"]["schemas"].items():
        assert f'id="schema-{name}"' in text
        for field in schema["properties"]:
            assert f"<code>{field}</code>" in text
    create = text[text.index('id="post-api-v1-orgs"') :]
    create = create[: create.index("</section>")]
    assert '<a href="#schema-OrganisationCreate">OrganisationCreate</a>' in create
    assert "<code>sector</code>" in create
    assert '"law-enforcement"' in create
    assert '<a href="#schema-Organisation">Organisation</a>' in create
    assert "application/problem+json" in create


def test_the_api_page_loads_nothing_from_elsewhere(client: FlaskClient) -> None:
    text = page(client)
    assert not re.search(r"https?://|//[a-z0-9]", text, re.IGNORECASE)
    assert "<script" not in text
    assert "<link" not in text
    assert "@import" not in text
    references = re.findall(r'(?:src|href|action)="([^"]*)"', text)
    assert references
    assert all(ref.startswith("#") or ref == "openapi.json" for ref in references)


def test_the_api_page_refuses_query_parameters(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs?theme=dark")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
