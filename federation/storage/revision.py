"""The schema revision the code needs and the one a database is at, read
without Alembic: every CLI command checks them, and importing Alembic would
cost a third of a second of each command's start-up."""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, select

# Alembic's head in migrations/versions; tests/test_migrations.py fails when a
# new migration is added without moving this along.
HEAD_REVISION = "0011_console"

# The table Alembic keeps its revision in (one row on a linear history).
_ALEMBIC_VERSION = Table("alembic_version", MetaData(), Column("version_num", String(32)))


def current_revision(connection: Connection) -> str | None:
    """The revision the database is migrated to; None for an empty database."""
    if not inspect(connection).has_table(_ALEMBIC_VERSION.name):
        return None
    return connection.execute(select(_ALEMBIC_VERSION.c.version_num)).scalar_one_or_none()
