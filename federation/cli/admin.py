"""``federation org|account|token``: admitting members (see members.py for the rest)."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from federation.cli.common import one_line_errors, session_scope
from federation.domain.roles import Role, Sector
from federation.domain.text import checked_name
from federation.services.access import accounts, members


@click.group("org")
def org_group() -> None:
    """Member organisations."""


@org_group.command("add")
@click.argument("name")
@click.option("--sector", required=True, type=click.Choice([s.value for s in Sector]))
@with_appcontext
@one_line_errors
def org_add(name: str, sector: str) -> None:
    """Admit organisation NAME."""
    from federation.services.access import organisations

    with session_scope() as session:
        org = organisations.create_organisation(
            session, accounts.operator_viewer(session), name=name, sector=sector
        )
        click.echo(f"organisation {org.name} ({org.sector}) identity {org.identity_id}")


@click.group("account")
def account_group() -> None:
    """Accounts of people and machines."""


@account_group.command("add")
@click.argument("name")
@click.option("--org", "organisation", required=True, help="Organisation name.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--json", "as_json", is_flag=True, help='Print {"account": ..., "token": ...}.')
@with_appcontext
@one_line_errors
def account_add(name: str, organisation: str, role: str, as_json: bool) -> None:
    """Create account NAME and print its first token (shown this once only)."""
    # The same service as POST /api/v1/accounts, as the hub operator: the
    # account, its token and the audit event commit together or not at all.
    with session_scope() as session:
        created = members.create_account(
            session,
            accounts.operator_viewer(session),
            current_app.config["SECRET_KEY"],
            name=checked_name(name),
            role=role,
            organisation=organisation,
        )
    if as_json:
        click.echo(json.dumps({"account": created.account.name, "token": created.token}))
    else:
        click.echo(f"account {created.account.name} ({role} in {organisation})")
        click.echo(f"token (shown once): {created.token}")


@click.group("token")
def token_group() -> None:
    """API tokens (stored only as keyed hashes)."""


@token_group.command("add")
@click.argument("account")
@click.option("--label", default="", help="What the token is for.")
@click.option("--expires-in-days", type=click.IntRange(min=1), help="Expire after N days.")
@click.option(
    "--parent",
    "parent_id",
    type=click.IntRange(min=1),
    help="Make it a child of token ID: it expires, is revoked and ranks no higher than it.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"id": ..., "token": ...}.')
@with_appcontext
@one_line_errors
def token_add(
    account: str, label: str, expires_in_days: int | None, parent_id: int | None, as_json: bool
) -> None:
    """Issue a new token for ACCOUNT (shown this once only)."""
    with session_scope() as session:
        issued = members.create_token(
            session,
            accounts.operator_viewer(session),
            current_app.config["SECRET_KEY"],
            account=account,
            label=label,
            expires_in_days=expires_in_days,
            parent_id=parent_id,
        )
    if as_json:
        click.echo(json.dumps({"id": issued.id, "account": issued.account, "token": issued.token}))
    else:
        click.echo(f"token {issued.id} for {issued.account} (shown once): {issued.token}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
@one_line_errors
def token_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID and the tokens made with it; they stop working at once."""
    with session_scope() as session:
        members.revoke_token(session, accounts.operator_viewer(session), token_id)
    click.echo(f"token {token_id} revoked")


def register(cli: click.Group) -> None:
    for group in (org_group, account_group, token_group):
        cli.add_command(group)
