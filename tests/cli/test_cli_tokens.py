"""``federation account add`` and ``token add|revoke`` go through the audited
member service as the hub operator, in-process against the test database."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from federation.cli import cli
from federation.storage.models import Account, AuditEvent, Token
from federation.taxii.media import TAXII_MEDIA_TYPE
from federation.web.db import database
from tests.conftest import Factory


def events(app: Flask, action: str) -> list[AuditEvent]:
    with database(app).session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def discovery(client: FlaskClient, account: str, token: str) -> int:
    headers = {"Accept": TAXII_MEDIA_TYPE}
    return client.get("/taxii2/", headers=headers, auth=(account, token)).status_code


def test_account_add_creates_account_token_and_audit_event_together(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, factory: Factory
) -> None:
    factory.member("Example ISP")
    args = ["account", "add", "cli-bot", "--org", "Example ISP", "--role", "analyst", "--json"]
    result = runner.invoke(cli, args=args)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"account", "token"}
    assert discovery(client, "cli-bot", printed["token"]) == 200
    [event] = events(app, "admin.account.create")
    assert event.account_name == "operator"
    assert "'cli-bot'" in event.detail
    # A second add of the same name fails whole: no account, token or event.
    with database(app).session() as session:
        tokens_before = session.scalar(select(func.count()).select_from(Token))
    again = runner.invoke(cli, args=args)
    assert again.exit_code == 1
    assert "already exists" in again.output
    with database(app).session() as session:
        assert session.scalar(select(func.count()).select_from(Token)) == tokens_before
        names = session.scalars(select(Account.name).where(Account.name == "cli-bot")).all()
    assert names == ["cli-bot"]
    assert len(events(app, "admin.account.create")) == 1


def test_token_add_and_revoke_are_audited(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, factory: Factory
) -> None:
    member = factory.member("Example ISP")
    added = runner.invoke(cli, args=["token", "add", member.account, "--label", "ci", "--json"])
    assert added.exit_code == 0, added.output
    issued = json.loads(added.output)
    assert discovery(client, member.account, issued["token"]) == 200
    [created] = events(app, "admin.token.create")
    assert f"token {issued['id']} for account {member.account!r}" in created.detail
    revoked = runner.invoke(cli, args=["token", "revoke", str(issued["id"])])
    assert revoked.exit_code == 0, revoked.output
    assert discovery(client, member.account, issued["token"]) == 401
    [revocation] = events(app, "admin.token.revoke")
    assert revocation.account_name == "operator"
    assert f"token {issued['id']}" in revocation.detail


def test_token_add_with_a_parent_is_capped_and_revoked_with_it(
    app: Flask, runner: FlaskCliRunner, client: FlaskClient, factory: Factory
) -> None:
    member = factory.member("Example ISP")
    parent = json.loads(
        runner.invoke(
            cli, args=["token", "add", member.account, "--expires-in-days", "2", "--json"]
        ).output
    )
    child = runner.invoke(
        cli, args=["token", "add", member.account, "--parent", str(parent["id"]), "--json"]
    )
    assert child.exit_code == 0, child.output
    secret = json.loads(child.output)["token"]
    with database(app).session() as session:
        rows = {t.id: t for t in session.scalars(select(Token))}
    child_row = next(t for t in rows.values() if t.parent_id == parent["id"])
    assert isinstance(child_row.expires_at, datetime)
    assert child_row.expires_at == rows[parent["id"]].expires_at
    assert discovery(client, member.account, secret) == 200
    assert runner.invoke(cli, args=["token", "revoke", str(parent["id"])]).exit_code == 0
    assert discovery(client, member.account, secret) == 401
    unknown = runner.invoke(cli, args=["token", "add", member.account, "--parent", "987654"])
    assert unknown.exit_code == 1
    assert "987654" in unknown.output
