"""Migration 0010_collection_titles: duplicate titles are renamed, never dropped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from federation.storage import migrations


def test_existing_duplicate_titles_are_numbered_oldest_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "0005_peers")
    engine = create_engine(url)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [uuid.uuid4() for _ in range(4)]
    with engine.begin() as connection:
        for root in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO api_roots (id, name, title, description, created_at)"
                    " VALUES (:id, :name, 'r', '', :at)"
                ),
                {"id": root, "name": f"root{root}", "at": start},
            )
        # Three alike in root 1 (one already called like a renamed copy), one in root 2.
        rows = [(1, "Incidents"), (1, "Incidents"), (1, "Incidents (2)"), (2, "Incidents")]
        for n, (collection_id, (root, title)) in enumerate(zip(made, rows, strict=True)):
            connection.execute(
                text(
                    "INSERT INTO collections (id, api_root_id, title, description,"
                    " default_tlp, created_at) VALUES (:id, :root, :title, '', 'amber', :at)"
                ),
                {
                    "id": collection_id.hex,
                    "root": root,
                    "title": title,
                    "at": start + timedelta(minutes=n),
                },
            )
        connection.execute(
            text(
                "INSERT INTO collections (id, api_root_id, title, description,"
                " default_tlp, created_at) VALUES (:id, 1, 'Incidents', '', 'amber', :at)"
            ),
            {"id": uuid.uuid4().hex, "at": start + timedelta(hours=1)},
        )

    migrations.upgrade(url)

    with engine.connect() as connection:
        titles = connection.execute(
            text("SELECT api_root_id, title FROM collections ORDER BY created_at")
        ).all()
    assert [tuple(row) for row in titles] == [
        (1, "Incidents"),
        (1, "Incidents (3)"),
        (1, "Incidents (2)"),
        (2, "Incidents"),
        (1, "Incidents (4)"),
    ]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO collections (id, api_root_id, title, description,"
                " default_tlp, created_at) VALUES (:id, 2, 'Incidents', '', 'amber', :at)"
            ),
            {"id": uuid.uuid4().hex, "at": start},
        )
    engine.dispose()
