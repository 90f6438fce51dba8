"""What every command shares: the checked database, a session, and errors as
one line and a non-zero exit."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click
from flask import Flask, current_app

from federation import ops
from federation.cli.announce import ANNOUNCE_DATABASE
from federation.domain.errors import FederationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from federation.storage.database import Database

P = ParamSpec("P")
R = TypeVar("R")

_CHECKED = "federation.cli.checked"


def announce_database(app: Flask) -> None:
    """Say on stderr, in one line, which database this command uses (no password)."""
    if ANNOUNCE_DATABASE.get():
        click.echo(f"database: {ops.describe_database(app.config['DATABASE_URL'])}", err=True)


def checked_database(*, allow: frozenset[str] = frozenset()) -> Database:
    """The app's database, once it is known to exist, be migrated and match SECRET_KEY.

    Runs before the command writes anything; a problem becomes one ``Error:``
    line naming the database and the command that fixes it. ``allow`` lists the
    :mod:`federation.ops` reasons a command can live with (``keys rotate`` the
    pending rotation it exists to finish). Checked once per process.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.extensions.get(_CHECKED):
        announce_database(app)
        state = ops.readiness(app)
        if not state.ready and state.reason not in allow:
            raise click.ClickException(state.detail)
        app.extensions[_CHECKED] = True
    from federation.web.db import database

    return database(app)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for one command.

    Commands write (even export records an audit event per page), and on
    SQLite a transaction that reads first and writes later fails at once
    ("database is locked") when another process wrote in between: the running
    hub or a second command. So each transaction takes the write lock at BEGIN
    and waits its turn (the busy timeout) instead.
    """
    # Imported here: SQLAlchemy is most of the start-up `--help` does not need.
    from sqlalchemy.orm import Session

    from federation.storage.database import WRITE_OPTION

    engine = checked_database().engine.execution_options(**{WRITE_OPTION: True})
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Report domain and database errors as ``Error: ...`` with exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return command(*args, **kwargs)
        except FederationError as exc:
            raise click.ClickException(exc.description) from None
        except (OperationalError, ProgrammingError) as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            name = ops.describe_database(current_app.config["DATABASE_URL"])
            raise click.ClickException(f"database error on {name}: {reason[:200]}") from None

    return wrapper
