"""``federation org|account|token`` beyond adding: list, show, update, disable.

Every command goes through the services the REST API uses, as the operator's
own hub-admin account, so what it may do and what it audits are the same.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import click
from flask.cli import with_appcontext

from federation.cli.admin import account_group, org_group, token_group
from federation.cli.common import one_line_errors, session_scope
from federation.domain.roles import Role


def _document(info: object) -> dict[str, Any]:
    document: dict[str, Any] = asdict(info)  # type: ignore[call-overload]
    for key, value in document.items():
        if isinstance(value, datetime):
            document[key] = value.isoformat()
        elif isinstance(value, tuple):
            document[key] = list(value)
    return document


def _show(document: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(document))
        return
    for key, value in document.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        click.echo(f"{key.replace('_', ' ')}: {'-' if value in (None, '') else value}")


@org_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@with_appcontext
@one_line_errors
def org_list(as_json: bool) -> None:
    """Every member organisation with its sector and identity."""
    from federation.services.access import accounts, organisations

    with session_scope() as session:
        orgs = organisations.list_organisations(session, accounts.operator_viewer(session))
    if as_json:
        click.echo(json.dumps([_document(o) for o in orgs]))
        return
    for org in orgs:
        click.echo(f"{org.id}\t{org.name}\t{org.sector}\t{org.identity_id}")


@org_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
@one_line_errors
def org_show(name: str, as_json: bool) -> None:
    """Organisation NAME: sector, identity, contacts, trust groups."""
    from federation.services.access import accounts, organisations

    with session_scope() as session:
        org_id = accounts.organisation_named(session, name).id
        org = organisations.get_organisation(session, accounts.operator_viewer(session), org_id)
    _show(_document(org), as_json)


@org_group.command("update")
@click.argument("name")
@click.option("--contact-email")
@click.option("--contact-phone")
@click.option(
    "--unattributed-default/--attributed-default",
    default=None,
    help="Whether its accounts post unattributed unless they say otherwise.",
)
@with_appcontext
@one_line_errors
def org_update(
    name: str,
    contact_email: str | None,
    contact_phone: str | None,
    unattributed_default: bool | None,
) -> None:
    """Change the contacts or the unattributed default of organisation NAME."""
    from federation.services.access import accounts, organisations

    changes = organisations.OrganisationChanges(
        contact_email=contact_email,
        contact_phone=contact_phone,
        unattributed_default=unattributed_default,
    )
    if changes == organisations.OrganisationChanges():
        raise click.UsageError("give at least one option to change")
    with session_scope() as session:
        viewer = accounts.operator_viewer(session)
        org_id = accounts.organisation_named(session, name).id
        organisations.update_organisation(session, viewer, org_id, changes)
    click.echo(f"organisation {name} updated")


@account_group.command("list")
@click.option("--org", "organisation", help="Only this organisation's accounts.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@with_appcontext
@one_line_errors
def account_list(organisation: str | None, as_json: bool) -> None:
    """Every account with its organisation, role and whether it is disabled."""
    from federation.services.access import accounts, members

    with session_scope() as session:
        found = members.list_accounts(session, accounts.operator_viewer(session), organisation)
    if as_json:
        click.echo(json.dumps([_document(a) for a in found]))
        return
    for a in found:
        state = "disabled" if a.disabled else "active"
        click.echo(f"{a.id}\t{a.name}\t{a.organisation}\t{a.role}\t{state}")


@account_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
@one_line_errors
def account_show(name: str, as_json: bool) -> None:
    """Account NAME: organisation, role, state."""
    from federation.services.access import accounts, members

    with session_scope() as session:
        account_id = accounts.account_named(session, name).id
        found = members.get_account(session, accounts.operator_viewer(session), account_id)
    _show(_document(found), as_json)


def _update_account(name: str, **changes: Any) -> None:
    from federation.services.access import accounts, members

    with session_scope() as session:
        viewer = accounts.operator_viewer(session)
        account_id = accounts.account_named(session, name).id
        members.update_account(session, viewer, account_id, members.AccountChanges(**changes))


@account_group.command("update")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]))
@click.option(
    "--unattributed-default/--attributed-default",
    default=None,
    help="Whether the account posts unattributed unless it says otherwise.",
)
@with_appcontext
@one_line_errors
def account_update(name: str, role: str | None, unattributed_default: bool | None) -> None:
    """Change the role or the unattributed default of account NAME."""
    if role is None and unattributed_default is None:
        raise click.UsageError("give --role or --unattributed-default/--attributed-default")
    _update_account(name, role=role, unattributed_default=unattributed_default)
    click.echo(f"account {name} updated")


@account_group.command("disable")
@click.argument("name")
@with_appcontext
@one_line_errors
def account_disable(name: str) -> None:
    """Disable account NAME: its tokens and password stop working at once."""
    _update_account(name, disabled=True)
    click.echo(f"account {name} disabled")


@account_group.command("enable")
@click.argument("name")
@with_appcontext
@one_line_errors
def account_enable(name: str) -> None:
    """Enable account NAME again; tokens not revoked or expired work again."""
    _update_account(name, disabled=False)
    click.echo(f"account {name} enabled")


@token_group.command("list")
@click.option("--account", help="Only this account's tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@with_appcontext
@one_line_errors
def token_list(account: str | None, as_json: bool) -> None:
    """Tokens with their ids (for 'token revoke ID'), never their secrets."""
    from federation.services.access import accounts, members

    with session_scope() as session:
        viewer = accounts.operator_viewer(session)
        names = [account] if account else [a.name for a in members.list_accounts(session, viewer)]
        found = [t for name in names for t in members.list_tokens(session, viewer, name)]
    if as_json:
        click.echo(json.dumps([_document(t) for t in found]))
        return
    for t in found:
        if t.revoked_at:
            state = f"revoked {t.revoked_at.isoformat()}"
        elif t.expires_at:
            state = f"expires {t.expires_at.isoformat()}"
        else:
            state = "active"
        click.echo(f"{t.id}\t{t.account}\t{t.prefix}...\t{t.label or '-'}\t{state}")


def register(cli: click.Group) -> None:
    # The commands attach to the groups admin.py defines; admin.register adds those.
    cli.add_command(org_group)
    cli.add_command(account_group)
    cli.add_command(token_group)
