"""Credentials from the Authorization header.

TAXII 2.1 section 1.6.9 makes HTTP Basic mandatory; we take the account name and
a token there, and also ``Bearer <token>`` and ``Token <token>`` (what
taxii2-client's TokenAuth sends).
"""

from __future__ import annotations

import base64
import binascii

from flask import current_app, g, request

from federation.domain.errors import UnauthenticatedError
from federation.domain.visibility import Viewer
from federation.services.access.accounts import authenticate
from federation.web.db import db_session


def current_viewer() -> Viewer:
    """The authenticated account of this request, or :class:`UnauthenticatedError`."""
    if "viewer" not in g:
        token, account = _credentials(request.headers.get("Authorization", ""))
        g.viewer = _authenticate(token, account)
    viewer: Viewer = g.viewer
    return viewer


def _authenticate(token: str, account: str | None) -> Viewer:
    # Tokens are stored as hashes keyed by SECRET_KEY and cannot be re-hashed
    # without their secret, so after a rotation those issued before it are
    # checked under each key in PREVIOUS_SECRET_KEYS, until it is dropped.
    keys = (current_app.config["SECRET_KEY"], *current_app.config["PREVIOUS_SECRET_KEYS"])
    for key in keys[:-1]:
        try:
            return authenticate(db_session(), key, token, account)
        except UnauthenticatedError:
            continue
    return authenticate(db_session(), keys[-1], token, account)


def _credentials(header: str) -> tuple[str, str | None]:
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme in ("bearer", "token") and value:
        return value, None
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise UnauthenticatedError("malformed Basic credentials") from None
        name, sep, token = decoded.partition(":")
        if sep and name and token:
            return token, name
    raise UnauthenticatedError("send HTTP Basic (account name and token) or a Bearer token")
