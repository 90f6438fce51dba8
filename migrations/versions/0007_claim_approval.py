"""Routing claims need the hub's word: a claim is approved, pending or rejected.

Reviewed by hand. Existing claims stay approved (the server default fills
them in) and count as reviewed (``decided_by``), so routing is unchanged by
the upgrade and stays so when wider prefixes are approved later. The unique constraint on
``value`` becomes a unique index over the claims not rejected: a rejected
request is kept as the hub's answer without blocking the prefix for whoever
really holds it. SQLite rebuilds the table (batch mode) to drop the
constraint. The revision id is fixed so the integrator can re-chain it.

Revision ID: 0007_claim_approval
Revises: 0006_object_owners
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_claim_approval"
down_revision = "0006_object_owners"
branch_labels = None
depends_on = None

_HELD = sa.text("state <> 'rejected'")
# Who decided the claims made before approvals existed: the hub, as it stood.
_BEFORE = "before claim approvals"


def upgrade() -> None:
    with op.batch_alter_table("organisation_networks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="approved", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reason", sa.String(length=300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("decided_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("decision_note", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("uq_organisation_networks_value"), type_="unique")
        batch_op.create_index(
            "ux_organisation_networks_held_value",
            ["value"],
            unique=True,
            sqlite_where=_HELD,
            postgresql_where=_HELD,
        )
    op.execute(
        sa.text("UPDATE organisation_networks SET decided_by = :before").bindparams(before=_BEFORE)
    )


def downgrade() -> None:
    # Without states, a pending or rejected request would route as a claim:
    # only approved claims survive the downgrade.
    op.execute(sa.text("DELETE FROM organisation_networks WHERE state <> 'approved'"))
    with op.batch_alter_table("organisation_networks", schema=None) as batch_op:
        batch_op.drop_index("ux_organisation_networks_held_value")
        batch_op.create_unique_constraint(batch_op.f("uq_organisation_networks_value"), ["value"])
        batch_op.drop_column("decision_note")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("reason")
        batch_op.drop_column("state")
