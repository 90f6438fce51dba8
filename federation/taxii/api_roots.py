"""API root information (TAXII 2.1 section 4.2)."""

from __future__ import annotations

from flask import Response, current_app

from federation.services.access.collections import api_root_named
from federation.taxii.blueprint import taxii, taxii_response
from federation.taxii.media import TAXII_MEDIA_TYPE
from federation.web.db import db_session


@taxii.get("/<root>/")
def get_api_root(root: str) -> Response:
    """Title, versions and the largest request body this root accepts."""
    api_root = api_root_named(db_session(), root)
    body: dict[str, object] = {
        "title": api_root.title,
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": current_app.config["MAX_CONTENT_LENGTH"],
    }
    if api_root.description:
        body["description"] = api_root.description
    return taxii_response(body)
