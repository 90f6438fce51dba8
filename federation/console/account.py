"""The signed-in person's own account: password, second factor, API tokens."""

from __future__ import annotations

import segno
from flask import redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from federation.console.blueprint import console, secret_key, viewer
from federation.domain.errors import UnprocessableError
from federation.domain.tokens import token_digest
from federation.services.access import members, signin
from federation.web.audit import request_meta
from federation.web.db import db_session


def _page(status: int = 200, **extra: object) -> tuple[str, int]:
    db, person = db_session(), viewer()
    enrolment = signin.pending_totp(db, secret_key(), person)
    qr = segno.make(enrolment.uri).svg_data_uri(scale=4) if enrolment else None
    body = render_template(
        "account/account.html",
        tokens=members.list_tokens(db, person),
        has_totp=signin.has_totp(db, person),
        totp_required=signin.totp_required(db, person),
        enrolment=enrolment,
        qr=qr,
        errors=extra.pop("errors", {}),
        **extra,
    )
    return body, status


@console.get("/account")
def account() -> tuple[str, int]:
    return _page(changed=request.args.get("changed"))


@console.post("/account/password")
def change_password() -> ResponseReturnValue:
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return _page(422, errors={"confirm_password": ["The two new passwords differ."]})
    keep = token_digest(secret_key(), str(session.get("sid", "")))
    try:
        signin.change_password(db_session(), viewer(), current, new, keep)
    except UnprocessableError as exc:
        return _page(422, errors=exc.details or {"new_password": [exc.description]})
    return redirect(url_for("console.account", changed="password"))


@console.post("/account/totp")
def start_totp() -> ResponseReturnValue:
    signin.start_totp(db_session(), secret_key(), viewer())
    return redirect(url_for("console.account", _anchor="second-factor"))


@console.post("/account/totp/confirm")
def confirm_totp() -> ResponseReturnValue:
    try:
        signin.confirm_totp(db_session(), secret_key(), viewer(), request.form.get("code", ""))
    except UnprocessableError as exc:
        return _page(422, errors=exc.details or {"code": [exc.description]})
    return redirect(url_for("console.account", changed="totp"))


@console.post("/account/tokens")
def create_token() -> tuple[str, int]:
    label = request.form.get("label", "").strip()
    days = request.form.get("expires_in_days", "").strip()
    try:
        issued = members.create_token(
            db_session(),
            viewer(),
            secret_key(),
            label=label,
            expires_in_days=int(days) if days.isdigit() else None,
            meta=request_meta(),
        )
    except UnprocessableError as exc:
        return _page(422, errors=exc.details or {"label": [exc.description]})
    # Shown once, on this answer only: the hub keeps nothing but its hash.
    return _page(201, issued=issued)


@console.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int) -> ResponseReturnValue:
    members.revoke_token(db_session(), viewer(), token_id, meta=request_meta())
    return redirect(url_for("console.account", changed="token"))
