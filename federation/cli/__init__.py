"""The ``federation`` console script: a Flask CLI group (see DESIGN.md "Interfaces")."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from federation.app import create_app
from federation.cli import admin, data, db, demo, serve
from federation.config import ConfigError


class FederationGroup(FlaskGroup):
    """Turns configuration errors into a one-line message and a non-zero exit."""

    def main(self, *args: object, **kwargs: object) -> object:
        try:
            return super().main(*args, **kwargs)  # type: ignore[arg-type]
        except ConfigError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)


@click.group(
    cls=FederationGroup,
    create_app=lambda: create_app(),
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def cli() -> None:
    """Operate a Federation hub."""


for module in (admin, data, db, demo, serve):
    module.register(cli)


def main() -> None:
    """Entry point of the console script."""
    cli.main(prog_name="federation")
