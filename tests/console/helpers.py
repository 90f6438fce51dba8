"""Signing in to the console through its forms, as a browser would."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from federation.services.access import accounts, signin
from federation.web.db import database
from tests.helpers import Member

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def set_password(app: Flask, member: Member, password: str = PASSWORD) -> None:
    with database(app).session() as session:
        signin.set_password(session, accounts.operator_viewer(session), member.account, password)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = _CSRF.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(
    client: FlaskClient, member: Member, password: str = PASSWORD, totp: str = ""
) -> FlaskClient:
    """Post the sign-in form; assert it worked."""
    response = client.post(
        "/login",
        data={
            "account": member.account,
            "password": password,
            "totp": totp,
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not response.headers["Location"].startswith("/login"), response.headers["Location"]
    return client


def post_form(client: FlaskClient, path: str, data: dict[str, str], page: str | None = None):  # type: ignore[no-untyped-def]
    """Post a console form with the CSRF token of the page it is on."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)})
