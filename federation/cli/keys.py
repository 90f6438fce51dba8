"""``federation keys``: rotating the hub's secret key."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from federation import ops
from federation.cli.common import checked_database, one_line_errors
from federation.services.keys import rotate_keys


@click.group("keys")
def keys_group() -> None:
    """The secret key: fingerprint and rotation."""


@keys_group.command("rotate")
@with_appcontext
@one_line_errors
def rotate() -> None:
    """Re-seal peer credentials and webhook secrets under FEDERATION_SECRET_KEY.

    Set the new key as FEDERATION_SECRET_KEY and the old one in
    FEDERATION_PREVIOUS_SECRET_KEYS first, then restart the hub and workers.
    Tokens hashed under a previous key keep working while it stays listed.
    """
    database = checked_database(allow=frozenset({ops.ROTATION_PENDING}))
    with database.session() as session:
        rotation = rotate_keys(
            session, current_app.config["SECRET_KEY"], current_app.config["PREVIOUS_SECRET_KEYS"]
        )
    click.echo(
        f"re-sealed {rotation.peers} peer credential(s) and {rotation.webhooks} webhook "
        "secret(s); the database now records the new key"
    )
    if current_app.config["PREVIOUS_SECRET_KEYS"]:
        click.echo(
            "keep FEDERATION_PREVIOUS_SECRET_KEYS while tokens issued before the rotation "
            "are in use; restart the hub and workers now"
        )


def register(cli: click.Group) -> None:
    cli.add_command(keys_group)
