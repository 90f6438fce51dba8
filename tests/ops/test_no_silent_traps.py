"""Issue 15 item 2: the hub's database and key are found, named and checked,
never silently made up, whichever folder a command runs from."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from federation import create_app
from federation.config import database_url, instance_path
from federation.domain.sealing import key_fingerprint
from federation.storage.models import KeyFingerprint, Organisation
from federation.web.db import database
from tests.cli.console import FEDERATION, Hub


def federation(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FEDERATION), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def bare_environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDERATION_")}
    env.update(extra)
    return env


def count_organisations(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Organisation))
    engine.dispose()
    return int(count or 0)


def test_the_instance_folder_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)
    assert instance_path({}) == checkout / "instance"
    assert instance_path({"FEDERATION_INSTANCE_PATH": str(tmp_path / "x")}) == tmp_path / "x"
    folder = tmp_path / "instance"
    assert database_url(None, folder) == f"sqlite:///{folder / 'federation.db'}"
    assert database_url("sqlite:///hub-b.db", folder) == f"sqlite:///{folder / 'hub-b.db'}"
    assert database_url("sqlite:////srv/hub-b.db", folder) == "sqlite:////srv/hub-b.db"
    assert database_url("sqlite://", folder) == "sqlite://"
    postgres = "postgresql+psycopg://u@h/db"
    assert database_url(postgres, folder) == postgres


def test_commands_run_from_any_folder_use_the_same_database_and_say_which(
    tmp_path: Path,
) -> None:
    env = bare_environ(FEDERATION_INSTANCE_PATH=str(tmp_path / "instance"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    upgraded = federation(tmp_path / "a", env, "db", "upgrade")
    added = federation(tmp_path / "b", env, "org", "add", "Example ISP", "--sector", "isp")

    expected = f"database: sqlite:///{tmp_path / 'instance' / 'federation.db'}"
    assert upgraded.returncode == 0, upgraded.stderr
    assert "secret key fingerprint recorded" in upgraded.stdout
    assert added.returncode == 0, added.stderr
    assert upgraded.stderr.splitlines()[0] == expected
    assert added.stderr.splitlines() == [expected]
    assert not (tmp_path / "a" / "instance").exists()
    assert not (tmp_path / "b" / "instance").exists()


def test_a_relative_sqlite_url_names_a_file_in_the_instance_folder(tmp_path: Path) -> None:
    env = bare_environ(
        FEDERATION_INSTANCE_PATH=str(tmp_path / "instance"),
        FEDERATION_DATABASE_URL="sqlite:///hub-b.db",
    )
    result = federation(tmp_path, env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "instance" / "hub-b.db").exists()
    assert not (tmp_path / "hub-b.db").exists()


def test_only_db_upgrade_creates_a_database(tmp_path: Path) -> None:
    hub = Hub.in_folder(tmp_path)
    added, served, status = hub.run_all(
        [("org", "add", "Example ISP", "--sector", "isp"), ("serve", "--port", "9"), ("status",)]
    )
    problem = f"no database at {tmp_path / 'hub.db'}; create it with 'federation db upgrade'"
    for result in (added, served):
        assert result.returncode == 1, result
        assert result.stderr.splitlines()[-1] == f"Error: {problem}"
    assert status.returncode == 1
    assert f"NOT READY: {problem}" in status.stdout
    assert not (tmp_path / "hub.db").exists()


def test_an_unmigrated_database_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    hub = Hub.in_folder(tmp_path)
    hub.run("db", "upgrade", "--revision", "0005_peers")
    result = hub.run("org", "add", "Example ISP", "--sector", "isp", check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"database: {hub.database_url}",
        f"Error: database {hub.database_url} is at revision 0005_peers, the code needs "
        "0011_console; run 'federation db upgrade'",
    ]


def test_another_hubs_secret_key_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    hub = Hub.in_folder(tmp_path)
    hub.run("db", "upgrade")
    stranger = Hub(tmp_path, "the key of another hub")
    refused = stranger.run_all(
        [
            ("org", "add", "Example ISP", "--sector", "isp"),
            ("account", "add", "alice", "--org", "Example ISP", "--role", "analyst"),
            ("serve", "--port", "9"),
            ("db", "upgrade"),
        ]
    )
    message = (
        f"Error: database {hub.database_url} was set up with another secret key; run with "
        "that hub's FEDERATION_SECRET_KEY (or its FEDERATION_INSTANCE_PATH)"
    )
    for result in refused:
        assert result.returncode == 1, result
        assert result.stderr.splitlines()[-1] == message
    assert count_organisations(hub.database_url) == 0

    engine = create_engine(hub.database_url)
    with engine.connect() as connection:
        recorded = connection.scalar(select(KeyFingerprint.fingerprint))
    engine.dispose()
    assert recorded == key_fingerprint(hub.secret_key)
    assert hub.secret_key not in recorded

    app = create_app({"DATABASE_URL": hub.database_url, "SECRET_KEY": "the key of another hub"})
    response = app.test_client().get("/readyz")
    database(app).dispose()
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "reason": "secret key mismatch",
        "revision": "0011_console",
    }


def test_the_database_line_hides_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://operator:s3cret@127.0.0.1:1/federation"
    env = bare_environ(
        FEDERATION_INSTANCE_PATH=str(tmp_path / "instance"), FEDERATION_DATABASE_URL=url
    )
    result = federation(tmp_path, env, "org", "add", "Example ISP", "--sector", "isp")
    hidden = "postgresql+psycopg://operator:***@127.0.0.1:1/federation"
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"database: {hidden}"
    assert lines[1].startswith(f"Error: cannot use database {hidden}: ")
    assert len(lines) == 2
    assert "s3cret" not in result.stderr


def test_status_shows_the_database_peers_and_webhook_queue(tmp_path: Path) -> None:
    hub = Hub.in_folder(tmp_path)
    missing = hub.run("status", "--json", check=False)
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["ready"] is False

    hub.run("db", "upgrade")
    text, as_json = hub.run_all([("status",), ("status", "--json")], check=True)
    assert text.stdout.splitlines() == [
        f"database   {hub.database_url}",
        "migrations 0011_console (code: 0011_console), ready",
        "workers    none holding a peer now",
        "peers      0 (last attempt never)",
        "webhooks   0 pending (0 due, oldest -), 0 failed, 0 delivered",
    ]
    shown = json.loads(as_json.stdout)
    assert shown["ready"] is True
    assert shown["revision"] == shown["head_revision"] == "0011_console"
    assert shown["peers"] == []
    assert shown["webhooks"]["pending"] == 0
