"""``federation org network|webhook`` and ``federation webhooks deliver``: routing to members."""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

from federation.cli.admin import org_group
from federation.cli.common import one_line_errors, session_scope

if TYPE_CHECKING:
    from federation.services.routing.webhooks import DeliveryReport


@click.group("network")
def network_group() -> None:
    """IP prefixes and AS numbers an organisation is responsible for."""


@network_group.command("add")
@click.argument("org")
@click.argument("prefix_or_asn")
@with_appcontext
@one_line_errors
def network_add(org: str, prefix_or_asn: str) -> None:
    """Declare that ORG is responsible for PREFIX_OR_ASN (198.51.100.0/24, AS64500).

    The operator's declaration is the hub's word: it is approved at once.
    """
    from federation.services.access.accounts import organisation_named
    from federation.services.routing import networks

    root = current_app.config["DEFAULT_API_ROOT"]
    with session_scope() as session:
        org_id = organisation_named(session, org).id
        info = networks.add_network(session, None, org_id, prefix_or_asn, inbox_root=root)
    click.echo(f"{org} is responsible for {info.value} (id {info.id})")


@network_group.command("remove")
@click.argument("org")
@click.argument("prefix_or_asn")
@with_appcontext
@one_line_errors
def network_remove(org: str, prefix_or_asn: str) -> None:
    """Withdraw ORG's declaration of PREFIX_OR_ASN."""
    from federation.services.access.accounts import organisation_named
    from federation.services.routing import networks

    with session_scope() as session:
        org_id = organisation_named(session, org).id
        info = networks.remove_network(session, None, org_id, prefix_or_asn)
    click.echo(f"{org} is no longer responsible for {info.value}")


@network_group.command("list")
@click.argument("org")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
@one_line_errors
def network_list(org: str, as_json: bool) -> None:
    """The prefixes and AS numbers ORG declared (with their state), its inbox and webhook."""
    from federation.services.access.accounts import organisation_named
    from federation.services.routing import networks

    with session_scope() as session:
        info = networks.routing_info(session, None, organisation_named(session, org).id)
    if as_json:
        document = {
            "organisation": org,
            "networks": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "value": n.value,
                    "state": n.state,
                    "reason": n.reason,
                    "decision_note": n.decision_note,
                }
                for n in info.networks
            ],
            "inbox_collection_id": (
                str(info.inbox_collection_id) if info.inbox_collection_id else None
            ),
            "inbox_api_root": info.inbox_api_root,
            "webhook_url": info.webhook_url,
        }
        click.echo(json.dumps(document))
        return
    for network in info.networks:
        click.echo(f"{network.id}\t{network.kind}\t{network.value}\t{network.state}")
    if info.inbox_collection_id:
        click.echo(f"inbox: /taxii2/{info.inbox_api_root}/collections/{info.inbox_collection_id}/")
    if info.webhook_url:
        click.echo(f"webhook: {info.webhook_url}")


@network_group.command("pending")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
@with_appcontext
@one_line_errors
def network_pending(as_json: bool) -> None:
    """Claims waiting for the hub's approval, oldest first, with why they wait."""
    from federation.services.routing import networks
    from federation.stix.timestamps import format_timestamp

    with session_scope() as session:
        found = networks.list_claims(session, None, networks.PENDING)
    for claim in found:
        network = claim.network
        if as_json:
            document = {
                "id": network.id,
                "organisation": claim.organisation,
                "kind": network.kind,
                "value": network.value,
                "reason": network.reason,
                "created_at": format_timestamp(network.created_at),
            }
            click.echo(json.dumps(document))
        else:
            click.echo(f"{network.id}\t{claim.organisation}\t{network.value}\t{network.reason}")


@network_group.command("approve")
@click.argument("org")
@click.argument("prefix_or_asn")
@click.option("--note", default="", help="Why; shown to the organisation.")
@with_appcontext
@one_line_errors
def network_approve(org: str, prefix_or_asn: str, note: str) -> None:
    """Approve ORG's pending claim of PREFIX_OR_ASN: it routes from now on."""
    from federation.services.access.accounts import organisation_named
    from federation.services.routing import networks

    with session_scope() as session:
        org_id = organisation_named(session, org).id
        info = networks.decide_network(session, None, org_id, prefix_or_asn, True, note=note)
    click.echo(f"{org} is responsible for {info.value} (id {info.id}): approved")


@network_group.command("reject")
@click.argument("org")
@click.argument("prefix_or_asn")
@click.option("--note", default="", help="Why; shown to the organisation.")
@with_appcontext
@one_line_errors
def network_reject(org: str, prefix_or_asn: str, note: str) -> None:
    """Reject ORG's pending claim of PREFIX_OR_ASN: it stays listed as rejected, routing nothing."""
    from federation.services.access.accounts import organisation_named
    from federation.services.routing import networks

    with session_scope() as session:
        org_id = organisation_named(session, org).id
        info = networks.decide_network(session, None, org_id, prefix_or_asn, False, note=note)
    click.echo(f"{org}'s claim of {info.value} (id {info.id}): rejected")


@click.group("webhook")
def webhook_group() -> None:
    """Where routed incidents are POSTed, signed."""


@webhook_group.command("set")
@click.argument("org")
@click.argument("url")
@click.option(
    "--secret-env",
    metavar="VAR",
    help="Read the signing secret from environment variable VAR (default: make one).",
)
@with_appcontext
@one_line_errors
def webhook_set(org: str, url: str, secret_env: str | None) -> None:
    """POST ORG's routed deliveries to URL, signed with a secret."""
    from federation.services.access.accounts import organisation_named
    from federation.services.routing import networks

    secret = None
    if secret_env:
        # From the environment, so the secret stays out of shell history and ps.
        secret = os.environ.get(secret_env)
        if not secret:
            raise click.ClickException(f"environment variable {secret_env} is not set")
    with session_scope() as session:
        org_id = organisation_named(session, org).id
        _, made = networks.set_webhook(
            session,
            None,
            org_id,
            url,
            current_app.config["SECRET_KEY"],
            secret=secret,
            allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"],
        )
    click.echo(f"{org} webhook: {url.strip()}")
    if made:
        click.echo(f"signing secret (shown once): {made}")


@webhook_group.command("clear")
@click.argument("org")
@with_appcontext
@one_line_errors
def webhook_clear(org: str) -> None:
    """Stop POSTing ORG's routed deliveries (its inbox still receives them)."""
    from federation.services.access.accounts import organisation_named
    from federation.services.routing import networks

    with session_scope() as session:
        networks.clear_webhook(session, None, organisation_named(session, org).id)
    click.echo(f"{org} webhook cleared")


@click.group("webhooks")
def webhooks_group() -> None:
    """The webhook outbox."""


@webhooks_group.command("deliver")
@click.option("--once", is_flag=True, help="One pass over what is due, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between passes.",
)
@with_appcontext
@one_line_errors
def webhooks_deliver(once: bool, interval: float) -> None:
    """POST pending webhook deliveries, retrying failures with backoff."""
    from federation.services.routing.webhooks import deliver_pending

    secret_key = current_app.config["SECRET_KEY"]
    allow_private = current_app.config["WEBHOOK_ALLOW_PRIVATE"]
    while True:
        with session_scope() as session:
            report = deliver_pending(session, secret_key, allow_private=allow_private)
        if report.delivered or report.retrying or report.failed or once:
            click.echo(
                f"{report.delivered} delivered, {report.retrying} to retry, {report.failed} failed"
            )
        if once:
            _fail_if_undelivered(report)
            return
        time.sleep(interval)


def _fail_if_undelivered(report: DeliveryReport) -> None:
    """A single pass is what cron and scripts run: failures must show in the exit status."""
    undelivered = report.retrying + report.failed
    if undelivered:
        why = "; ".join(report.reasons) or "no reason recorded"
        raise click.ClickException(
            f"{undelivered} deliver{'y' if undelivered == 1 else 'ies'} still failing "
            f"({report.retrying} to retry, {report.failed} given up): {why}"
        )


@webhooks_group.command("list")
@click.option("--state", type=click.Choice(["pending", "delivered", "failed"]))
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
@with_appcontext
@one_line_errors
def webhooks_list(state: str | None, limit: int, as_json: bool) -> None:
    """The newest webhook deliveries, with their attempts and last error."""
    from federation.services.routing.webhooks import list_deliveries
    from federation.stix.timestamps import format_timestamp

    with session_scope() as session:
        found = list_deliveries(session, state=state, limit=limit)
    for item in found:
        if as_json:
            document = {
                "id": item.id,
                "organisation": item.organisation,
                "state": item.state,
                "attempts": item.attempts,
                "objects": item.object_count,
                "created_at": format_timestamp(item.created_at),
                "next_attempt_at": format_timestamp(item.next_attempt_at),
                "delivered_at": format_timestamp(item.delivered_at) if item.delivered_at else None,
                "last_error": item.last_error,
            }
            click.echo(json.dumps(document))
        else:
            error = f"\t{item.last_error}" if item.last_error else ""
            click.echo(
                f"{item.id}\t{item.state}\t{item.organisation}\t"
                f"{item.object_count} objects\t{item.attempts} attempts{error}"
            )


def register(cli: click.Group) -> None:
    org_group.add_command(network_group)
    org_group.add_command(webhook_group)
    cli.add_command(webhooks_group)
