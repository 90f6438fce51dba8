"""Passwords for people who sign in to the console (``federation account password``)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from federation.cli.admin import account_group
from federation.cli.common import one_line_errors, session_scope
from federation.services.access import accounts, signin


@account_group.command("password")
@click.argument("name")
@click.option(
    "--stdin", "from_stdin", is_flag=True, help="Read it from one line of standard input."
)
@with_appcontext
@one_line_errors
def account_password(name: str, from_stdin: bool) -> None:
    """Set the console password of account NAME (asked twice unless --stdin).

    Setting it ends every console session of the account and unlocks it.
    """
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope() as session:
        signin.set_password(session, accounts.operator_viewer(session), name, password)
    click.echo(f"password set for account {name}")


def register(group: click.Group) -> None:
    """The command is on the ``account`` group, registered by ``admin``."""
