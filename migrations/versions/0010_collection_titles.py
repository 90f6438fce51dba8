"""Collection titles are unique per API root.

Reviewed by hand. Existing duplicates are renamed before the constraint is
added: the oldest collection keeps its title and each later namesake gets
" (2)", " (3)", ... so no collection, object or link is lost, and clients that
find collections by id keep working. The revision id is fixed so the
integrator can re-chain it after other branches.

Revision ID: 0010_collection_titles
Revises: 0009_key_fingerprint
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_collection_titles"
down_revision = "0009_key_fingerprint"
branch_labels = None
depends_on = None

TITLE_LENGTH = 200

_collections = sa.table(
    "collections",
    sa.column("id", sa.Uuid()),
    sa.column("api_root_id", sa.Integer()),
    sa.column("title", sa.String(TITLE_LENGTH)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    _rename_duplicates()
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_collections_api_root_id_title"), ["api_root_id", "title"]
        )


def downgrade() -> None:
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_collections_api_root_id_title"), type_="unique")


def _rename_duplicates() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_collections.c.id, _collections.c.api_root_id, _collections.c.title).order_by(
            _collections.c.api_root_id, _collections.c.created_at, _collections.c.id
        )
    ).all()
    taken = {(root, title) for _, root, title in rows}
    seen: set[tuple[int, str]] = set()
    for collection_id, root, title in rows:
        if (root, title) not in seen:
            seen.add((root, title))
            continue
        number = 2
        while (root, renamed := _numbered(title, number)) in taken:
            number += 1
        taken.add((root, renamed))
        seen.add((root, renamed))
        connection.execute(
            sa.update(_collections).where(_collections.c.id == collection_id).values(title=renamed)
        )


def _numbered(title: str, number: int) -> str:
    suffix = f" ({number})"
    return title[: TITLE_LENGTH - len(suffix)] + suffix
