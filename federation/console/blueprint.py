"""What every console page shares: the signed-in person, CSRF checks, security
headers and HTML error pages.

A page never decides what someone may see: it calls the services the REST API
calls, with the viewer of the browser's session.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from federation.domain.errors import FederationError, UnauthenticatedError
from federation.domain.signin import SigninPolicy
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer
from federation.services.access import signin
from federation.web.db import db_session

csrf = CSRFProtect()
console = Blueprint(
    "console",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/console/static",
)
# Pages anyone may open: signing in, and the files pages load.
_OPEN_ENDPOINTS = {"console.login", "console.sign_in", "console.static"}
# No inline script or style anywhere, so the policy can forbid both.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def policy() -> SigninPolicy:
    """The sign-in policy from the configuration."""
    config = current_app.config
    return SigninPolicy(
        idle=timedelta(minutes=config["CONSOLE_IDLE_MINUTES"]),
        absolute=timedelta(hours=config["CONSOLE_ABSOLUTE_HOURS"]),
        lock_threshold=config["SIGNIN_LOCK_THRESHOLD"],
        lock_duration=timedelta(minutes=config["SIGNIN_LOCK_MINUTES"]),
    )


def secret_key() -> str:
    key: str = current_app.config["SECRET_KEY"]
    return key


def viewer() -> Viewer:
    """The signed-in person of this request (every page but sign-in has one)."""
    person: Viewer = g.viewer
    return person


@console.before_request
def _signed_in() -> ResponseReturnValue | None:
    if request.method == "POST":
        # Before anything else: a form from another site changes nothing.
        csrf.protect()
    if request.endpoint in _OPEN_ENDPOINTS:
        return None
    secret = session.get("sid")
    if not isinstance(secret, str):
        return _to_login()
    try:
        g.viewer = signin.resume(db_session(), secret_key(), secret, policy())
    except UnauthenticatedError:
        session.clear()
        return _to_login()
    if signin.totp_required(db_session(), g.viewer) and request.endpoint not in (
        "console.account",
        "console.start_totp",
        "console.confirm_totp",
        "console.logout",
    ):
        return redirect(url_for("console.account", _anchor="second-factor"))
    return None


@console.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "console.static":
        # Pages show what one person may see: no shared cache keeps them.
        response.headers["Cache-Control"] = "no-store"
    return response


@console.app_context_processor
def _page_globals() -> dict[str, Any]:
    return {"csrf_token": generate_csrf, "signed_in": g.get("viewer")}


@console.app_template_global()
def field_label(name: str) -> str:
    """How an error summary names a field: ``indicators-2-value`` is "Indicator 3 value"."""
    parts = name.split("-")
    if len(parts) == 3 and parts[0] == "indicators" and parts[1].isdigit():
        return f"Indicator {int(parts[1]) + 1} {parts[2]}"
    return name.replace("_", " ").capitalize()


@console.app_template_global()
def tlp_class(level: Tlp | str | None) -> str:
    """The CSS class of a TLP badge."""
    if level is None:
        return "tlp-none"
    label = level.label if isinstance(level, Tlp) else str(level)
    return "tlp-" + label.lower().replace("+", "-")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another host."""
    if not target:
        return url_for("console.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("console.dashboard")
    return target


def _to_login() -> WerkzeugResponse:
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("console.login", next=target))


def render_error(error: Exception) -> WerkzeugResponse:
    """An HTML error page for a console URL (the APIs answer in their own formats)."""
    if isinstance(error, CSRFError):
        status, title = 400, "This form has expired"
        message = (
            "The form was not sent from this page, or it is too old. "
            "Go back, reload the page and try again."
        )
    elif isinstance(error, UnauthenticatedError):
        return _to_login()
    elif isinstance(error, FederationError):
        status, title, message = error.status, error.title, error.description
    elif isinstance(error, HTTPException):
        status, title = error.code or 500, error.name
        message = error.description or error.name
    else:
        current_app.logger.exception("unhandled error")
        status, title, message = 500, "Something went wrong", "The hub could not show this page."
    if status == 404:
        message = "There is no such page, or you may not see it."
    body = render_template("error.html", status=status, title=title, message=message)
    response = current_app.response_class(body, status=status)
    return _security_headers(response)
