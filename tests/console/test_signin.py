"""Signing in to the console: passwords, lock-out, sessions, CSRF, TOTP."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.domain.signin import SigninPolicy
from federation.services.access import accounts, signin
from federation.storage.base import utcnow
from federation.storage.models import AuditEvent, ConsoleSession, Credential
from federation.web.db import database
from tests.console.helpers import PASSWORD, csrf_token, post_form, sign_in
from tests.helpers import Member


def test_a_console_page_without_a_session_redirects_to_login(client: FlaskClient) -> None:
    for path in ("/", "/incidents", "/incidents/new", "/inbox", "/account"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_login_page_has_labelled_fields_and_a_strict_csp(client: FlaskClient) -> None:
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("account", "password", "totp"):
        assert f'<label for="{name}">' in page
        assert f'name="{name}"' in page
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in page
    assert "style=" not in page


def test_right_password_signs_in_and_the_dashboard_names_the_person(
    client: FlaskClient, analyst: Member
) -> None:
    sign_in(client, analyst)
    page = client.get("/").get_data(as_text=True)
    assert analyst.account in page
    assert "Example ISP" in page


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient, analyst: Member) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"account": analyst.account, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_wrong_password_and_unknown_account_get_the_same_answer(
    client: FlaskClient, analyst: Member
) -> None:
    answers = []
    for account, password in ((analyst.account, "wrong password!"), ("nobody", PASSWORD)):
        response = client.post(
            "/login",
            data={"account": account, "password": password, "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 401
        page = response.get_data(as_text=True).replace(account, "NAME")
        answers.append(re.sub(r'name="csrf_token" value="[^"]+"', "", page))
    assert signin.WRONG_CREDENTIALS in answers[0]
    assert answers[0] == answers[1]


def test_login_without_csrf_token_is_refused(client: FlaskClient, analyst: Member) -> None:
    client.get("/login")
    response = client.post("/login", data={"account": analyst.account, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_form_posted_without_its_csrf_token_changes_nothing(
    app: Flask, browser: FlaskClient, collection: str
) -> None:
    response = browser.post(
        "/incidents/new",
        data={
            "title": "Forged",
            "category": "ddos",
            "first_seen": "2026-11-30T10:00",
            "collection": collection,
            "tlp": "green",
        },
    )
    assert response.status_code == 400
    assert "Forged" not in browser.get("/incidents").get_data(as_text=True)


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(
    app: Flask, client: FlaskClient, analyst: Member
) -> None:
    for _ in range(9):
        response = client.post(
            "/login",
            data={
                "account": analyst.account,
                "password": "not it at all",
                "csrf_token": csrf_token(client),
            },
        )
        assert response.status_code == 401
    response = client.post(
        "/login",
        data={
            "account": analyst.account,
            "password": "not it at all",
            "csrf_token": csrf_token(client),
        },
    )
    assert "locked until" in response.get_data(as_text=True)
    # A second client stands for another worker: the lock is in the database.
    other = app.test_client()
    response = other.post(
        "/login",
        data={"account": analyst.account, "password": PASSWORD, "csrf_token": csrf_token(other)},
    )
    assert response.status_code == 401
    assert "locked until" in response.get_data(as_text=True)
    with database(app).session() as session:
        account = accounts.account_named(session, analyst.account)
        credential = session.get(Credential, account.id)
        assert credential is not None
        assert credential.locked_until is not None


def test_the_lock_ends_after_its_time(app: Flask, analyst: Member) -> None:
    policy = SigninPolicy(lock_threshold=2, lock_duration=timedelta(minutes=5))
    now = utcnow()
    with database(app).session() as session:
        for _ in range(2):
            with contextlib.suppress(signin.SigninError):
                signin.sign_in(session, "test-secret-key", analyst.account, "bad", "", policy, now)
        with pytest.raises(signin.LockedError):
            signin.sign_in(session, "test-secret-key", analyst.account, PASSWORD, "", policy, now)
        later = now + timedelta(minutes=6)
        secret = signin.sign_in(
            session, "test-secret-key", analyst.account, PASSWORD, "", policy, later
        )
        assert secret


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(
    app: Flask, client: FlaskClient, analyst: Member
) -> None:
    sign_in(client, analyst)
    stolen = client.get_cookie("federation_session")
    assert stolen is not None
    post_form(client, "/logout", {}, page="/")
    thief = app.test_client()
    thief.set_cookie("federation_session", stolen.value)
    assert thief.get("/").status_code == 302


def test_a_disabled_accounts_session_is_refused(
    app: Flask, browser: FlaskClient, analyst: Member
) -> None:
    assert browser.get("/").status_code == 200
    with database(app).session() as session:
        accounts.account_named(session, analyst.account).disabled = True
        session.commit()
    assert browser.get("/").status_code == 302


def test_idle_sessions_end(app: Flask, browser: FlaskClient, analyst: Member) -> None:
    with database(app).session() as session:
        row = session.scalars(select(ConsoleSession)).one()
        row.last_seen_at = utcnow() - timedelta(hours=1)
        session.commit()
    assert browser.get("/").status_code == 302


def test_sessions_end_after_the_absolute_timeout(app: Flask, browser: FlaskClient) -> None:
    with database(app).session() as session:
        row = session.scalars(select(ConsoleSession)).one()
        row.created_at = utcnow() - timedelta(hours=13)
        session.commit()
    assert browser.get("/").status_code == 302


def test_next_never_leads_to_another_host(client: FlaskClient, analyst: Member) -> None:
    for target, expected in (
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/incidents?q=x", "/incidents?q=x"),
    ):
        response = client.post(
            "/login",
            data={
                "account": analyst.account,
                "password": PASSWORD,
                "next": target,
                "csrf_token": csrf_token(client),
            },
        )
        assert response.headers["Location"] == expected
        post_form(client, "/logout", {}, page="/")


def test_totp_enrolment_then_sign_in_needs_the_code(
    app: Flask, browser: FlaskClient, analyst: Member
) -> None:
    post_form(browser, "/account/totp", {}, page="/account")
    page = browser.get("/account").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    with database(app).session() as session:
        viewer = accounts.viewer_for(accounts.account_named(session, analyst.account))
        enrolment = signin.pending_totp(session, "test-secret-key", viewer)
    assert enrolment is not None
    totp = pyotp.TOTP(enrolment.secret)
    response = post_form(browser, "/account/totp/confirm", {"code": totp.now()}, page="/account")
    assert response.status_code == 302
    client = app.test_client()
    response = client.post(
        "/login",
        data={"account": analyst.account, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 401
    assert "6-digit code" in response.get_data(as_text=True)
    # The code used to confirm cannot be replayed; the next step's code works.
    next_code = totp.at(utcnow() + timedelta(seconds=30))
    sign_in(client, analyst, totp=next_code)


def test_an_organisation_can_require_a_second_factor(
    app: Flask, browser: FlaskClient, analyst: Member
) -> None:
    with database(app).session() as session:
        account = accounts.account_named(session, analyst.account)
        signin.require_totp(
            session, accounts.operator_viewer(session), account.organisation_id, True
        )
    response = browser.get("/incidents")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account")


def test_changing_the_password_ends_other_sessions(
    app: Flask, browser: FlaskClient, analyst: Member
) -> None:
    other = sign_in(app.test_client(), analyst)
    new = "an even better passphrase"
    response = post_form(
        browser,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
        page="/account",
    )
    assert response.status_code == 302
    assert browser.get("/").status_code == 200
    assert other.get("/").status_code == 302
    sign_in(app.test_client(), analyst, password=new)


def test_a_short_password_is_refused_with_the_field_named(
    browser: FlaskClient,
) -> None:
    response = post_form(
        browser,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
        page="/account",
    )
    assert response.status_code == 422
    assert "at least 12 characters" in response.get_data(as_text=True)


def test_sign_ins_are_audited(app: Flask, browser: FlaskClient, analyst: Member) -> None:
    with database(app).session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.account_name == analyst.account)
        ).all()
    assert "console.signin" in actions


def test_a_person_creates_and_revokes_their_own_token(app: Flask, browser: FlaskClient) -> None:
    response = post_form(
        browser, "/account/tokens", {"label": "SIEM", "expires_in_days": "30"}, page="/account"
    )
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    token = page.split('<code class="token">')[1].split("<")[0]
    assert token.startswith("fed_")
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    listed = api.get("/api/v1/tokens", headers=bearer)
    assert listed.status_code == 200
    (token_id,) = [t["id"] for t in listed.get_json()["tokens"] if t["label"] == "SIEM"]
    post_form(browser, f"/account/tokens/{token_id}/revoke", {}, page="/account")
    assert api.get("/api/v1/tokens", headers=bearer).status_code == 401
