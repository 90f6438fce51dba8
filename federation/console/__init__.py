"""The web console: the hub for people, beside TAXII and REST for machines.

Server-rendered pages on the same services and the one visibility rule as the
APIs; they work without JavaScript, and htmx (vendored) only makes some parts
update in place. See ``blueprint`` for what every page shares.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from federation.console import account, dashboard, incidents, signin  # noqa: F401
from federation.console.blueprint import console, csrf


def init_app(app: Flask) -> None:
    """Serve the console at ``/`` with its cookie and CSRF settings."""
    app.config["SESSION_COOKIE_NAME"] = "federation_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config["CONSOLE_SECURE_COOKIES"]
    # The cookie only carries the session secret and the CSRF secret; it lives
    # no longer than the session's absolute timeout.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["CONSOLE_ABSOLUTE_HOURS"])
    # Only console forms carry CSRF tokens: TAXII and REST authenticate every
    # request with a token, which a browser never sends on its own.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    csrf.init_app(app)
    app.register_blueprint(console)
