"""What every command shares: a session, and errors as one line and a non-zero exit."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import click
from flask import current_app
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from federation.domain.errors import FederationError
from federation.web.db import database

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for one command."""
    session = database(current_app).session()
    try:
        yield session
    finally:
        session.close()


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Report domain and database errors as ``Error: ...`` with exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
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
