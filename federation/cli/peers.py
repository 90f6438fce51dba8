"""``federation peer add|list|show|remove``, ``federation sync`` and ``federation worker``."""

from __future__ import annotations

import json
import os
import signal
import threading
from types import FrameType
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from federation.cli.common import checked_database, one_line_errors, session_scope
from federation.domain.peers import PEER_TLP_CHOICES, Direction
from federation.domain.sealing import PeerCredentials
from federation.services.access import accounts
from federation.services.peering import peers, worker

PASSWORD_ENV = "FEDERATION_PEER_PASSWORD"  # noqa: S105 - a variable name, not a secret
TOKEN_ENV = "FEDERATION_PEER_TOKEN"  # noqa: S105 - a variable name, not a secret


@click.group("peer")
def peer_group() -> None:
    """Remote TAXII 2.1 servers this hub pulls from and pushes to."""


@peer_group.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The remote TAXII 2.1 API root URL.")
@click.option("--collection", required=True, help="The remote collection id.")
@click.option("--local-collection", required=True, help="The local collection id or alias.")
@click.option(
    "--direction",
    type=click.Choice([d.value for d in Direction]),
    default=Direction.BOTH.value,
    show_default=True,
)
@click.option("--max-tlp", type=click.Choice(PEER_TLP_CHOICES), default="green", show_default=True)
@click.option("--trusted-amber", is_flag=True, help="The peer may receive TLP:AMBER.")
@click.option("--interval", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--user", help="HTTP Basic user name.")
@click.option("--password", help=f"HTTP Basic password (or set {PASSWORD_ENV}).")
@click.option("--token", help=f"Bearer token (or set {TOKEN_ENV}).")
@click.option("--org", "organisation", help="Local organisation the peer stands for.")
@click.option("--account", help="Local peer-role account the remote uses to push here.")
@click.option(
    "--no-check",
    "no_check",
    is_flag=True,
    help="Save without asking the remote first (offline set-up; see 'peer test').",
)
@click.option("--json", "as_json", is_flag=True, help="Print the peer as JSON.")
@with_appcontext
@one_line_errors
def peer_add(
    name: str,
    url: str,
    collection: str,
    local_collection: str,
    direction: str,
    max_tlp: str,
    trusted_amber: bool,
    interval: int,
    user: str | None,
    password: str | None,
    token: str | None,
    organisation: str | None,
    account: str | None,
    no_check: bool,
    as_json: bool,
) -> None:
    """Link this hub to collection COLLECTION of a remote TAXII server, as peer NAME.

    The remote is asked first, as 'peer test' does: the URL must be a TAXII 2.1
    API root, the credentials accepted, and the collection readable for pull
    and writable for push; otherwise nothing is saved and the error says why.
    """
    settings = peers.PeerSettings(
        name=name,
        url=url,
        collection=collection,
        local_collection=local_collection,
        direction=direction,
        max_tlp=max_tlp,
        trusted_amber=trusted_amber,
        interval=interval,
        credentials=_credentials(user, password, token),
        organisation=organisation,
        account=account,
    )
    with session_scope() as session:
        report = peers.create_peer(
            session,
            accounts.operator_viewer(session),
            current_app.config["SECRET_KEY"],
            settings,
            check=not no_check,
            timeout=min(current_app.config["PEER_TIMEOUT"], 30.0),
        )
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        click.echo(
            f"peer {report.name}: {report.direction} {report.url} collection "
            f"{report.collection} <-> local {report.local_collection} (max TLP {report.max_tlp})"
        )


def _credentials(user: str | None, password: str | None, token: str | None) -> PeerCredentials:
    if user is not None:
        if token is not None:
            raise click.UsageError("give --user/--password or --token, not both")
        password = password if password is not None else os.environ.get(PASSWORD_ENV)
        if not password:
            raise click.UsageError(f"--user needs --password (or {PASSWORD_ENV})")
        return PeerCredentials(user=user, password=password)
    if password is not None:
        raise click.UsageError("--password needs --user")
    token = token if token is not None else os.environ.get(TOKEN_ENV)
    return PeerCredentials(token=token) if token else PeerCredentials()


@peer_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@with_appcontext
@one_line_errors
def peer_list(as_json: bool) -> None:
    """Every peer with its health."""
    with session_scope() as session:
        reports = peers.reports(session)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports]))
        return
    for r in reports:
        health = "ok" if r.consecutive_failures == 0 else f"failing ({r.last_error})"
        click.echo(
            f"{r.name}\t{r.direction}\t{r.url}\tlast success {r.last_success or 'never'}\t{health}"
        )


@peer_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
@one_line_errors
def peer_show(name: str, as_json: bool) -> None:
    """Settings, checkpoints, health, lag and counters of peer NAME."""
    with session_scope() as session:
        data = peers.report(session, peers.peer_named(session, name)).as_dict()
    if as_json:
        click.echo(json.dumps(data))
        return
    data.pop("counters")
    for key, value in data.items():
        click.echo(f"{key.replace('_', ' ')}: {'-' if value is None else value}")


@peer_group.command("remove")
@click.argument("name")
@with_appcontext
@one_line_errors
def peer_remove(name: str) -> None:
    """Remove peer NAME (the objects it brought stay).

    The organisation 'peer add' made for it goes too, when nothing else uses it.
    """
    with session_scope() as session:
        removed = peers.delete_peer(session, accounts.operator_viewer(session), name)
    click.echo(f"peer {name} removed" + "".join(f", and its {what}" for what in removed))


@peer_group.command("test")
@click.argument("name")
@with_appcontext
@one_line_errors
def peer_test(name: str) -> None:
    """Ask the remote of peer NAME what 'peer add' asks: API root, credentials, access."""
    with session_scope() as session:
        checked = peers.check_peer(
            session,
            current_app.config["SECRET_KEY"],
            name,
            timeout=min(current_app.config["PEER_TIMEOUT"], 30.0),
        )
    click.echo(f"peer {name}: the remote answers as the link needs: {checked.summary()}")


@click.command("sync")
@click.option("--peer", "peer_name", help="Sync this peer only, even if it is not due.")
@with_appcontext
@one_line_errors
def sync_command(peer_name: str | None) -> None:
    """One pass over every due peer: pull, then push, by each peer's direction."""
    stop = threading.Event()
    with _stopping_on_signals(stop):
        results = worker.sync_due(
            checked_database().session,
            current_app.config["SECRET_KEY"],
            peer_name=peer_name,
            progress=click.echo,
            stop=stop,
            timeout=current_app.config["PEER_TIMEOUT"],
        )
    if not results:
        click.echo("no peer is due")
    failed = [r for r in results if not r.ok]
    for result in results:
        if result.ok:
            click.echo(result.summary())
    for result in failed:
        click.echo(f"Error: {result.peer}: {result.error}", err=True)
    if failed:
        raise SystemExit(1)


@click.command("worker")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Longest sleep between looks for due peers, in seconds.",
)
@with_appcontext
@one_line_errors
def worker_command(poll: float) -> None:
    """Sync every peer on its interval, and post due webhooks, until SIGTERM or SIGINT."""
    stop = threading.Event()
    with _stopping_on_signals(stop):
        worker.run_worker(
            checked_database().session,
            current_app.config["SECRET_KEY"],
            stop,
            poll=poll,
            progress=click.echo,
            timeout=current_app.config["PEER_TIMEOUT"],
            allow_private_webhooks=current_app.config["WEBHOOK_ALLOW_PRIVATE"],
        )


class _stopping_on_signals:  # noqa: N801 - used like a function
    """Set ``stop`` on SIGTERM and SIGINT while inside; the work ends at a safe point."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.stop.set()

    def __enter__(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            self.previous[signum] = signal.signal(signum, self._handle)

    def __exit__(self, *_exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def register(cli: click.Group) -> None:
    for command in (peer_group, sync_command, worker_command):
        cli.add_command(command)
