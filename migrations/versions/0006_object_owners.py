"""Object owners: one copy of an unversioned object (SCO) per organisation.

Each organisation may hold its own copy of the same SCO id in a collection,
under its own markings and recipients; the partial unique index keeps that to
one copy per organisation. Versioned objects keep their one row per
(collection, id, version). Existing rows already satisfy the index (until now
an SCO id was held once per collection).

Reviewed by hand; the revision id is fixed so the integrator can re-chain it
after other branches.

Revision ID: 0006_object_owners
Revises: 0005_peers
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_object_owners"
down_revision = "0005_peers"
branch_labels = None
depends_on = None

_SHARED_COPY = "created IS NULL AND modified IS NULL"


def upgrade() -> None:
    op.create_index(
        "uq_object_versions_shared_copy",
        "object_versions",
        ["collection_id", "stix_id", "owner_organisation_id"],
        unique=True,
        sqlite_where=sa.text(_SHARED_COPY),
        postgresql_where=sa.text(_SHARED_COPY),
    )


def downgrade() -> None:
    op.drop_index("uq_object_versions_shared_copy", table_name="object_versions")
