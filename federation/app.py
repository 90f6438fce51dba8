"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from federation.config import instance_path, load_config
from federation.domain.errors import FederationError
from federation.web import connections, db, observability


def create_app(config: Mapping[str, Any] | None = None, *, http: bool = True) -> Flask:
    """Build the hub. ``config`` overrides the file and environment settings.

    With ``http=False`` the app has its configuration and database but none of
    its HTTP faces (TAXII, REST, console, metrics): what commands need, built
    without importing the views, which cost most of a command's start-up.
    """
    app = Flask("federation", instance_path=str(instance_path()))
    app.config.update(load_config(config))
    app.json.sort_keys = False  # type: ignore[attr-defined]
    db.init_app(app)
    if not http:
        observability.configure_logging(app.config["LOG_LEVEL"])
        return app
    # Imported here, not at the top: see ``http`` above.
    from federation import api, console, ops, taxii

    observability.init_app(app)
    connections.init_app(app)
    taxii.init_app(app)
    api.init_app(app)
    ops.init_app(app)
    console.init_app(app)
    _register_error_rendering(app)
    return app


def _register_error_rendering(app: Flask) -> None:
    """Render every error once, in the wire format of the endpoint it came from."""
    from federation import console
    from federation.taxii.blueprint import is_taxii_path
    from federation.taxii.errors import render_error as render_taxii_error
    from federation.web.problems import render_problem

    def render(error: Exception) -> ResponseReturnValue:
        if is_taxii_path(request.path):
            return render_taxii_error(error)
        if request.blueprint == console.blueprint.console.name:
            return console.blueprint.render_error(error)
        return render_problem(error)

    app.register_error_handler(FederationError, render)
    app.register_error_handler(HTTPException, render)
    app.register_error_handler(Exception, render)
