"""The ``federation`` console script: a Flask CLI group (see DESIGN.md "Interfaces")."""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any

import click
from flask.cli import FlaskGroup

from federation.config import ConfigError

# Each top-level command, the modules under federation/cli that build it (each
# adds its part through its ``register``), and its one-line help. A module is
# imported only when its command runs: importing every service and view costs
# seconds, and `federation --help` or `federation org list` needs a fraction.
# tests/cli/test_cli_operators.py checks this table against the commands.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "account": (("admin", "members", "passwords"), "Accounts of people and machines."),
    "audit": (
        ("audit",),
        "Show the newest audit events (who, which organisation, what, how many).",
    ),
    "collection": (("catalog",), "TAXII collections and who may read and write them."),
    "db": (("db",), "Database schema migrations (Alembic)."),
    "demo": (
        ("demo",),
        "Load demo members and collections (idempotent) and print fresh demo tokens.",
    ),
    "disclose": (("audit",), "Reveal the organisation behind an unattributed object (audited)."),
    "keys": (("keys",), "The secret key: fingerprint and rotation."),
    "export": (("data",), "Write every visible version in a collection as one STIX bundle."),
    "import": (("data",), "Add the objects of a STIX bundle FILE to a collection."),
    "openapi": (
        ("schemas",),
        "Print the REST API's OpenAPI document (what `make schemas` checks in).",
    ),
    "org": (("admin", "members", "routing"), "Member organisations."),
    "peer": (("peers",), "Remote TAXII 2.1 servers this hub pulls from and pushes to."),
    "root": (("catalog",), "TAXII API roots."),
    "serve": (("serve",), "Serve the hub with gunicorn on HOST:PORT."),
    "status": (
        ("status",),
        "Database, migrations, workers seen, peers' lag and errors, webhook queue.",
    ),
    "sync": (
        ("peers",),
        "One pass over every due peer: pull, then push, by each peer's direction.",
    ),
    "token": (("admin", "members"), "API tokens (stored only as keyed hashes)."),
    "webhooks": (("routing",), "The webhook outbox."),
    "worker": (
        ("peers",),
        "Sync every peer on its interval, and post due webhooks, until SIGTERM or SIGINT.",
    ),
}

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

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Not FlaskGroup's: it would build the app to look for more commands.
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # From the table, so the help lists every command without importing them.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=text).get_short_help_str(limit))
            for name, (_, text) in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)


@click.group(
    cls=FederationGroup,
    create_app=lambda: _command_app(),
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
def cli() -> None:
    """Operate a Federation hub."""


def _command_app() -> Any:
    from federation.app import create_app

    return create_app(http=False)


@functools.cache
def load_command(name: str) -> click.Command:
    """The top-level command ``name``, built by the modules that contribute to it."""
    group = click.Group()
    for module in COMMANDS[name][0]:
        importlib.import_module(f"federation.cli.{module}").register(group)
    return group.commands[name]


def main() -> None:
    """Entry point of the console script."""
    from federation.cli.announce import ANNOUNCE_DATABASE

    # An operator at a terminal is told which database each command uses.
    ANNOUNCE_DATABASE.set(True)
    cli.main(prog_name="federation")
