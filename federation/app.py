"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from federation import api, ops, taxii
from federation.config import instance_path, load_config
from federation.domain.errors import FederationError
from federation.taxii.blueprint import is_taxii_path
from federation.taxii.errors import render_error as render_taxii_error
from federation.web import connections, db, observability
from federation.web.problems import render_problem


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the hub. ``config`` overrides the file and environment settings."""
    app = Flask("federation", instance_path=str(instance_path()))
    app.config.update(load_config(config))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    observability.init_app(app)
    connections.init_app(app)
    db.init_app(app)
    taxii.init_app(app)
    api.init_app(app)
    ops.init_app(app)
    _register_error_rendering(app)
    return app


def _register_error_rendering(app: Flask) -> None:
    """Render every error once, in the wire format of the endpoint it came from."""

    def render(error: Exception) -> Response:
        if is_taxii_path(request.path):
            return render_taxii_error(error)
        return render_problem(error)

    app.register_error_handler(FederationError, render)
    app.register_error_handler(HTTPException, render)
    app.register_error_handler(Exception, render)
