"""Server discovery (TAXII 2.1 section 4.1)."""

from __future__ import annotations

from flask import Response, current_app, request

from federation.services.access.collections import list_api_roots
from federation.taxii.blueprint import taxii, taxii_response
from federation.web.db import db_session


@taxii.get("/")
def get_discovery() -> Response:
    """The discovery resource: title, contact and the API roots' URLs."""
    roots = list_api_roots(db_session())
    base = request.host_url + "taxii2/"
    urls = [f"{base}{root.name}/" for root in roots]
    body: dict[str, object] = {
        "title": current_app.config["TITLE"],
        "description": current_app.config["DESCRIPTION"],
        "api_roots": urls,
    }
    if current_app.config["CONTACT"]:
        body["contact"] = current_app.config["CONTACT"]
    default = current_app.config["DEFAULT_API_ROOT"]
    if default and any(root.name == default for root in roots):
        body["default"] = f"{base}{default}/"
    elif urls:
        body["default"] = urls[0]
    return taxii_response(body)
