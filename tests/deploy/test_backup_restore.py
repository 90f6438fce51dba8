"""Backups as docs/deployment.md describes them: pg_dump, pg_restore into an
empty database, and the restored hub serves the same members and tokens.

Runs against the PostgreSQL server of the test pass (FEDERATION_TEST_DATABASE_URL),
in two scratch databases it creates and drops itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from federation import create_app
from federation.taxii.media import TAXII_MEDIA_TYPE
from federation.web.db import database
from tests.cli.console import FEDERATION

SERVER = os.environ.get("FEDERATION_TEST_DATABASE_URL", "")
pytestmark = [
    pytest.mark.skipif(
        not SERVER, reason="needs PostgreSQL: runs in the PostgreSQL pass (make test-postgres)"
    ),
    pytest.mark.skipif(
        shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
        reason="pg_dump and pg_restore are not installed",
    ),
]
SECRET = "the production secret key"


@pytest.fixture
def scratch() -> Iterator[tuple[URL, URL]]:
    """Two new, empty databases on the test server: the hub's and the restore target."""
    base = make_url(SERVER)
    names = [f"{base.database}_{role}_{os.getpid()}" for role in ("backup", "restored")]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=names[0]), base.set(database=names[1])
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def federation(url: URL, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDERATION_")}
    env.update(
        FEDERATION_DATABASE_URL=url.render_as_string(hide_password=False),
        FEDERATION_SECRET_KEY=SECRET,
    )
    result = subprocess.run(
        [str(FEDERATION), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def libpq(url: URL) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_pg_dump_restored_into_an_empty_database_serves_the_same_hub(
    scratch: tuple[URL, URL], tmp_path: Path
) -> None:
    live, restored = scratch
    federation(live, "db", "upgrade")
    federation(live, "org", "add", "Example ISP", "--sector", "isp")
    issued = json.loads(
        federation(
            live, "account", "add", "alice", "--org", "Example ISP", "--role", "analyst", "--json"
        ).stdout
    )
    dump = tmp_path / "federation.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", libpq(live)], check=True, timeout=120
    )
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={libpq(restored)}", str(dump)],
        check=True,
        timeout=120,
    )

    status = json.loads(federation(restored, "status", "--json").stdout)
    assert status["ready"] is True
    assert status["revision"] == status["head_revision"]

    app = create_app(
        {"DATABASE_URL": restored.render_as_string(hide_password=False), "SECRET_KEY": SECRET}
    )
    answer = app.test_client().get(
        "/taxii2/", headers={"Accept": TAXII_MEDIA_TYPE}, auth=("alice", issued["token"])
    )
    database(app).dispose()
    assert answer.status_code == 200

    stranger = create_app(
        {"DATABASE_URL": restored.render_as_string(hide_password=False), "SECRET_KEY": "other"}
    )
    assert stranger.test_client().get("/readyz").json["reason"] == "secret key mismatch"
    database(stranger).dispose()
