"""``federation db``: schema migrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from federation.storage import migrations


@click.group("db")
def db_group() -> None:
    """Database schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@with_appcontext
def upgrade(revision: str) -> None:
    """Migrate the database to the newest schema."""
    migrations.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1)."""
    migrations.downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
