"""The fingerprint of the secret key a database was set up with.

Reviewed by hand: one new table, empty after the upgrade; ``federation db
upgrade`` records the fingerprint of the key it runs with right after
migrating, since the migration itself never sees the key. The revision id is
fixed so the integrator can re-chain it after other branches.

Revision ID: 0009_key_fingerprint
Revises: 0008_token_parents
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_key_fingerprint"
down_revision = "0008_token_parents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_fingerprint",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_fingerprint")),
    )


def downgrade() -> None:
    op.drop_table("key_fingerprint")
