"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when
FEDERATION_TEST_DATABASE_URL names one), the app, its client and CLI runner,
and factories for members and collections.

Services own their transactions and commit, and several tests need real
commits (concurrent writers, live servers), so each test starts from empty
tables rather than rolling back a savepoint.

Under pytest-xdist each worker has a database of its own: a fresh SQLite file
in its temporary folder, or on PostgreSQL the named database with the worker
id appended (``test`` becomes ``test_gw0``), created when missing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from federation import create_app
from federation.services.access import accounts, collections
from federation.storage import migrations
from federation.storage.base import Base
from federation.storage.database import Database
from federation.web.db import database
from tests.helpers import ROOT, Member

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Session fixtures that start live servers: the tests using one share an xdist worker.
_SHARED_SERVERS = ("fleet", "live_hub")


# First: xdist's own hook turns the group markers into node ids, so it must see them.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group tests for ``pytest -n N --dist loadgroup`` (``make test``).

    The tests on a session's live servers stay on one worker, so the servers
    start once per run rather than once per worker; a module with fixtures of
    module scope (a hub of its own, say) stays on one worker, so they are built
    once. Every other test goes wherever a worker is free.
    """
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        used = getattr(item, "fixturenames", ())
        group = next((name for name in _SHARED_SERVERS if name in used), None)
        if group is None and _uses_module_fixtures(item):
            group = item.nodeid.split("::")[0]
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _uses_module_fixtures(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        definition.scope == "module"
        for definitions in info.name2fixturedefs.values()
        for definition in definitions
    )


def _worker_database(url: str) -> str:
    """This xdist worker's own database beside the one ``url`` names (the same outside xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    named = make_url(url)
    return named.set(database=f"{named.database}_{worker}").render_as_string(hide_password=False)


def _postgres_unavailable(url: str) -> str | None:
    """Why the PostgreSQL pass cannot run, or None once ``url``'s database exists.

    A missing database is created through the server's maintenance database
    (``postgres``); nothing else on the server is touched.
    """
    named = make_url(url)
    if _unreachable(named) is None:
        return None
    maintenance = named.set(database="postgres")
    problem = _unreachable(maintenance, create=named.database)
    if problem is None:
        return None
    return f"PostgreSQL at {named.render_as_string(hide_password=True)}: {problem}"


def _unreachable(url: URL, *, create: str | None = None) -> str | None:
    """None if ``url`` answers (after creating the database ``create`` if missing), else why not."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": create}
            )
            if create and not exists:
                quoted = engine.dialect.identifier_preparer.quote(create)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    except Exception as exc:
        return str(exc)
    finally:
        engine.dispose()
    return None


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated once for the whole run, with Alembic."""
    url = os.environ.get("FEDERATION_TEST_DATABASE_URL")
    if url:
        url = _worker_database(url)
        problem = _postgres_unavailable(url)
        if problem:
            message = f"the PostgreSQL test pass needs a database: {problem}"
            if IN_CI:
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'federation.db'}"
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") is None:
        return
    if not os.environ.get("FEDERATION_TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL-only test: it runs in the PostgreSQL pass (make test-postgres)")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    os.environ["FEDERATION_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    flask_app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            "METRICS_TOKEN": "test-metrics-token",
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
            "PAGE_LIMIT_DEFAULT": 100,
            "PAGE_LIMIT_MAX": 1000,
        }
    )
    yield flask_app
    database(flask_app).dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    with database(app).engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def db(app: Flask) -> Database:
    return database(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class Factory:
    """Creates members, API roots and collections through the services."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.db = database(app)

    def member(
        self, organisation: str = "Example ISP", *, sector: str = "isp", role: str = "analyst"
    ) -> Member:
        with self.db.session() as session:
            try:
                org = accounts.organisation_named(session, organisation)
            except Exception:
                org = accounts.add_organisation(session, organisation, sector)
            name = f"{role}-{uuid.uuid4().hex[:8]}"
            accounts.add_account(session, name, org.name, role)
            issued = accounts.issue_token(session, self.app.config["SECRET_KEY"], name)
            return Member(name, org.name, issued.token, org.identity_id)

    def root(self, name: str = ROOT) -> str:
        with self.db.session() as session:
            try:
                collections.api_root_named(session, name)
            except Exception:
                collections.add_api_root(session, name, f"Test root {name}")
        return name

    def collection(self, *, read: str = "*", write: str = "*", **kwargs: Any) -> str:
        root = self.root(kwargs.pop("root", ROOT))
        with self.db.session() as session:
            collection = collections.add_collection(
                session,
                root=root,
                title=kwargs.pop("title", f"Test {uuid.uuid4().hex[:8]}"),
                read=read,
                write=write,
                **kwargs,
            )
            return str(collection.id)


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)
