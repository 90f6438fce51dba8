"""The ``federation`` console script: a Flask CLI group (see DESIGN.md "Interfaces")."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import FlaskGroup

from federation.app import create_app
from federation.cli import admin, audit, data, db, demo, peers, routing, schemas, serve
from federation.config import ConfigError

# Click >= 8.2 reports a bare group invocation (which shows its help) as a usage error.
_HELP_INSTEAD = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _UsageLine(click.ClickException):
    """A usage error as one ``Error: ...`` line, without click's usage banner."""

    exit_code = 2


def _one_line(error: click.UsageError) -> click.ClickException:
    hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
    return _UsageLine(error.format_message() + hint)


class FederationGroup(FlaskGroup):
    """Turns configuration and usage errors into one line and a non-zero exit."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            if isinstance(exc, _HELP_INSTEAD):
                raise
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        # Sub-commands parse their arguments here, inside the group's invoke.
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            if isinstance(exc, _HELP_INSTEAD):
                raise
            raise _one_line(exc) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
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


for module in (admin, audit, data, db, demo, peers, routing, schemas, serve):
    module.register(cli)


def main() -> None:
    """Entry point of the console script."""
    cli.main(prog_name="federation")
