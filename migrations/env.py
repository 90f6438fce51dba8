"""Alembic environment: needs only the models' metadata, never the app."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from federation.storage import models  # noqa: F401  (registers every table)
from federation.storage.base import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("FEDERATION_DATABASE_URL")
    if not url:
        raise RuntimeError("set FEDERATION_DATABASE_URL or pass a database URL")
    return url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = _url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
