"""``federation audit`` and ``federation disclose``: the operator's view of who did what."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from federation.cli.common import one_line_errors, session_scope
from federation.services.access import accounts, audit, disclosure
from federation.services.access.collections import find_collection


@click.command("audit")
@click.option("--org", "organisation", help="Only this organisation's events.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
@one_line_errors
def audit_command(organisation: str | None, limit: int, as_json: bool) -> None:
    """Show the newest audit events (who, which organisation, what, how many)."""
    with session_scope() as session:
        viewer = accounts.operator_viewer(session)
        org_id = accounts.organisation_named(session, organisation).id if organisation else None
        events = audit.events(session, viewer, organisation_id=org_id, limit=limit)
        for event in events:
            row = {
                "at": event.at.isoformat(),
                "account": event.account_name,
                "organisation_id": event.organisation_id,
                "action": event.action,
                "collection_id": str(event.collection_id) if event.collection_id else None,
                "objects": event.object_count,
                "request_id": event.request_id,
                "client": event.client_address,
                "detail": event.detail,
            }
            if as_json:
                click.echo(json.dumps(row))
            else:
                click.echo(
                    f"{row['at']}  {event.account_name:20} {event.action:28} "
                    f"{event.object_count:6}  {row['collection_id'] or '-'}  {event.detail}"
                )


@click.command("disclose")
@click.argument("object_id")
@click.option("--collection", "collection_key", required=True, help="Collection id or alias.")
@click.option("--reason", required=True, help="The legal basis; written to the audit log.")
@with_appcontext
@one_line_errors
def disclose_command(object_id: str, collection_key: str, reason: str) -> None:
    """Reveal the organisation behind an unattributed object (audited)."""
    with session_scope() as session:
        collection = find_collection(session, collection_key)
        result = disclosure.disclose(
            session, accounts.operator_viewer(session), collection.id, object_id, reason
        )
    click.echo(f"{result.stix_id} was posted by {result.organisation} ({result.sector})")


def register(cli: click.Group) -> None:
    cli.add_command(audit_command)
    cli.add_command(disclose_command)
