"""Token parents: the token a token was made with, so a child never outlives
or outranks it (issue 10, finding 9).

Reviewed by hand: one nullable column, so existing tokens (made before parents
were recorded) keep working as roots; the revision id is fixed so the
integrator can re-chain it after other branches.

Revision ID: 0008_token_parents
Revises: 0007_claim_approval
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_token_parents"
down_revision = "0007_claim_approval"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite adds a foreign key only by rebuilding the table.
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tokens_parent_id_tokens"), "tokens", ["parent_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_tokens_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_parent_id"))
        batch_op.drop_constraint(batch_op.f("fk_tokens_parent_id_tokens"), type_="foreignkey")
        batch_op.drop_column("parent_id")
