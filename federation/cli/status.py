"""``federation status``: the hub's health on one screen."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from federation import ops
from federation.cli.common import announce_database, one_line_errors
from federation.services.status import HubStatus, hub_status
from federation.storage.revision import HEAD_REVISION
from federation.web.db import database


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@with_appcontext
@one_line_errors
def status_command(as_json: bool) -> None:
    """Database, migrations, workers seen, peers' lag and errors, webhook queue.

    Exits 1 when the database is not ready, so scripts can check it.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    announce_database(app)
    readiness = ops.readiness(app)
    summary: dict[str, object] = {
        "database": ops.describe_database(app.config["DATABASE_URL"]),
        "ready": readiness.ready,
        "problem": readiness.detail if not readiness.ready else None,
        "revision": readiness.revision,
        "head_revision": HEAD_REVISION,
    }
    hub: HubStatus | None = None
    if readiness.ready:
        with database(app).session() as session:
            hub = hub_status(session)
        summary.update(hub.as_dict())
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_text(summary, hub)
    if not readiness.ready:
        raise SystemExit(1)


def _print_text(summary: dict[str, object], hub: HubStatus | None) -> None:
    click.echo(f"database   {summary['database']}")
    state = "ready" if summary["ready"] else f"NOT READY: {summary['problem']}"
    revision = summary["revision"] or "none"
    click.echo(f"migrations {revision} (code: {summary['head_revision']}), {state}")
    if hub is None:
        return
    workers = ", ".join(hub.workers) if hub.workers else "none holding a peer now"
    click.echo(f"workers    {workers}")
    last = hub.last_peer_attempt or "never"
    click.echo(f"peers      {len(hub.peers)} (last attempt {last})")
    for peer in hub.peers:
        lag = "-" if peer.lag_objects is None else str(peer.lag_objects)
        error = f"  error: {peer.last_error}" if peer.last_error else ""
        click.echo(
            f"  {peer.name:20} {peer.direction:5} lag {lag:>6} objects  "
            f"failures {peer.consecutive_failures}  last success {peer.last_success or 'never'}"
            f"{error}"
        )
    queue = hub.webhooks
    click.echo(
        f"webhooks   {queue.pending} pending ({queue.due} due, "
        f"oldest {queue.oldest_pending or '-'}), {queue.failed} failed, {queue.delivered} delivered"
    )
    if queue.last_error:
        click.echo(f"  last error: {queue.last_error}")


def register(cli: click.Group) -> None:
    cli.add_command(status_command)
