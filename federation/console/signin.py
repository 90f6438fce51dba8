"""Signing in and out (DESIGN.md: ``/login`` posts ``account``, ``password`` and ``totp``)."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from federation.console.blueprint import console, policy, safe_next, secret_key
from federation.services.access import signin
from federation.web.db import db_session


@console.get("/login")
def login() -> str:
    return render_template("login.html", account="", next=request.args.get("next", ""), error=None)


@console.post("/login")
def sign_in() -> ResponseReturnValue:
    name = request.form.get("account", "").strip()
    password = request.form.get("password", "")
    code = request.form.get("totp", "")
    target = request.form.get("next", "")
    try:
        secret = signin.sign_in(db_session(), secret_key(), name, password, code, policy())
    except signin.SecondFactorNeededError as exc:
        page = render_template(
            "login.html", account=name, next=target, error=exc.description, ask_totp=True
        )
        return page, 401
    except signin.SigninError as exc:
        page = render_template(
            "login.html", account=name, next=target, error=exc.description, ask_totp=bool(code)
        )
        return page, 401
    # A new cookie for a new session: nothing from before signing in carries over.
    session.clear()
    session.permanent = True
    session["sid"] = secret
    return redirect(safe_next(target))


@console.post("/logout")
def logout() -> ResponseReturnValue:
    secret = session.get("sid")
    if isinstance(secret, str):
        signin.sign_out(db_session(), secret_key(), secret)
    session.clear()
    return redirect(url_for("console.login"))
