"""``federation db``: schema migrations, the only commands that create a database."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect

from federation import ops
from federation.cli.common import announce_database, one_line_errors
from federation.services.access.keys import KeyState, key_state, record_fingerprint
from federation.storage import migrations
from federation.storage.models import KeyFingerprint
from federation.web.db import database


@click.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@with_appcontext
@one_line_errors
def upgrade(revision: str) -> None:
    """Create or migrate the database to the newest schema, and record which
    secret key it is set up with."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    announce_database(app)
    path = ops.sqlite_file(app.config["DATABASE_URL"])
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_another_key(app)
    migrations.upgrade(app.config["DATABASE_URL"], revision)
    recorded = ""
    if _has_fingerprint_table(app):
        with database(app).session() as session:
            if key_state(session, app.config["SECRET_KEY"]) is KeyState.UNRECORDED:
                record_fingerprint(session, app.config["SECRET_KEY"])
                session.commit()
                recorded = " (secret key fingerprint recorded)"
    click.echo(f"database at {revision}{recorded}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
@one_line_errors
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    announce_database(app)
    state = ops.readiness(app)
    if state.reason == ops.DATABASE_MISSING:
        raise click.ClickException(state.detail)
    _refuse_another_key(app)
    migrations.downgrade(app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


def _has_fingerprint_table(app: Flask) -> bool:
    with database(app).engine.connect() as connection:
        return inspect(connection).has_table(KeyFingerprint.__tablename__)


def _refuse_another_key(app: Flask) -> None:
    # Migrating another hub's database with this key would "succeed" and leave
    # every token this process issues refused: stop before changing anything.
    path = ops.sqlite_file(app.config["DATABASE_URL"])
    if path is not None and not path.exists():
        return
    if not _has_fingerprint_table(app):
        return
    with database(app).session() as session:
        state = key_state(session, app.config["SECRET_KEY"], app.config["PREVIOUS_SECRET_KEYS"])
    if state is KeyState.OTHER:
        name = ops.describe_database(app.config["DATABASE_URL"])
        raise click.ClickException(
            f"database {name} was set up with another secret key; run with that hub's "
            "FEDERATION_SECRET_KEY (or its FEDERATION_INSTANCE_PATH)"
        )


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
