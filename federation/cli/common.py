"""What every command shares: a session, and errors as one line and a non-zero exit."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click
from flask import current_app

from federation.domain.errors import FederationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

P = ParamSpec("P")
R = TypeVar("R")


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
    from federation.web.db import database

    engine = database(current_app).engine.execution_options(**{WRITE_OPTION: True})
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
            raise click.ClickException(
                f"database error ({reason[:200]}); has 'federation db upgrade' been run?"
            ) from None

    return wrapper
