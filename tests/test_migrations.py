"""Migrations: upgrade from empty matches the models, and each step downgrades."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from federation.storage import migrations
from federation.storage.base import Base
from federation.storage.revision import HEAD_REVISION, current_revision


def test_upgrade_from_empty_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrations.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_the_code_names_alembics_head_and_reads_revisions_as_alembic_does(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_current_head() == HEAD_REVISION
    url = f"sqlite:///{tmp_path / 'read.db'}"
    engine = create_engine(url)
    with engine.connect() as connection:
        assert current_revision(connection) is None
    for revision in ("0005_peers", "head"):
        migrations.upgrade(url, revision)
        with engine.connect() as connection:
            expected = MigrationContext.configure(connection).get_current_revision()
            assert current_revision(connection) == expected
    assert expected == HEAD_REVISION
    engine.dispose()


def test_every_revision_downgrades_one_step_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'steps.db'}"
    script = ScriptDirectory.from_config(migrations.alembic_config())
    revisions = [r.revision for r in script.walk_revisions()]
    migrations.upgrade(url)
    engine = create_engine(url)
    for revision in revisions:
        migrations.downgrade(url, "-1")
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() != revision
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(url)
    assert "object_versions" in inspect(engine).get_table_names()
    engine.dispose()


def test_readiness_reports_an_unmigrated_database(tmp_path: Path) -> None:
    from federation import create_app

    missing = tmp_path / "missing.db"
    empty = tmp_path / "empty.db"
    empty.touch()
    for path, reason in ((empty, "database not migrated"), (missing, "database missing")):
        app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "k"})
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["reason"] == reason
    # Asking must not create the database: only `federation db upgrade` does.
    assert not missing.exists()


def test_claims_made_before_approvals_existed_stay_approved(tmp_path: Path) -> None:
    # Issue 10: only approved claims route, and the claims already declared
    # were made by the operator or trusted admins; routing must not change.
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    migrations.upgrade(url, "0005_peers")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisations (id, name, sector, identity_id, unattributed_default,"
                " created_at) VALUES (1, 'Example ISP', 'isp', 'identity--x', 0,"
                " '2026-12-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO organisation_networks (organisation_id, kind, value, created_at)"
                " VALUES (1, 'prefix', '198.51.100.0/24', '2026-12-01 00:00:00'),"
                " (1, 'asn', 'AS64500', '2026-12-01 00:00:00')"
            )
        )
    migrations.upgrade(url, "0007_claim_approval")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT value, state, reason, decided_by FROM organisation_networks ORDER BY id")
        ).all()
    engine.dispose()
    # Reviewed, as the hub stood: a wider prefix approved later leaves them be.
    assert [tuple(row) for row in rows] == [
        ("198.51.100.0/24", "approved", "", "before claim approvals"),
        ("AS64500", "approved", "", "before claim approvals"),
    ]
