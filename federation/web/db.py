"""One database session per request, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from federation.storage.database import Database

EXTENSION = "federation.db"


def init_app(app: Flask) -> None:
    """Create the app's engine and close each request's session at teardown."""
    app.extensions[EXTENSION] = Database(app.config["DATABASE_URL"])

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


def database(app: Flask | None = None) -> Database:
    """The app's database."""
    target = app or current_app
    db: Database = target.extensions[EXTENSION]
    return db


def db_session() -> Session:
    """The current request's session."""
    if "db_session" not in g:
        g.db_session = database().session()
    session: Session = g.db_session
    return session
