"""TAXII 2.1 over HTTP: one module per resource, no SQL (OASIS TAXII 2.1, sections 4-5)."""

from __future__ import annotations

from flask import Flask

from federation.taxii import api_roots, collections, discovery, manifest, objects, status
from federation.taxii.blueprint import refuse_redirects, taxii


def init_app(app: Flask) -> None:
    """Serve TAXII 2.1 under ``/taxii2/``."""
    # Import for their route registrations on the blueprint.
    _ = (api_roots, collections, discovery, manifest, objects, status)
    app.register_blueprint(taxii)
    app.before_request(refuse_redirects)
