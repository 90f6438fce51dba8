"""The REST admin API under ``/api/v1/``: one module per resource, JSON in and
out, errors as problem JSON, no SQL (DESIGN.md, "Interfaces that scripts rely on")."""

from __future__ import annotations

from flask import Flask

from federation.api import (
    accounts,
    audit,
    collections,
    docs,
    groups,
    incidents,
    openapi,
    orgs,
    peers,
    receipts,
    roots,
    routing,
    tokens,
)
from federation.api.blueprint import api


def init_app(app: Flask) -> None:
    """Serve the REST API under ``/api/v1/``."""
    # Import for their route registrations on the blueprint.
    _ = (
        accounts,
        audit,
        collections,
        docs,
        groups,
        incidents,
        openapi,
        orgs,
        peers,
        receipts,
        roots,
        routing,
        tokens,
    )
    app.register_blueprint(api)
