"""Routing to the responsible network: declared networks, inboxes and webhooks, webhook outbox.

Reviewed by hand: new tables only, so nothing existing migrates; timestamps
are plain timezone-aware DateTime (the models' UTCDateTime only converts
values), so migrations never import the app. The unique constraint on
organisation_networks.value is the rule "one prefix or ASN, one member".

Revision ID: 0003_routing
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_routing"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_networks_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_networks")),
        sa.UniqueConstraint("value", name=op.f("uq_organisation_networks_value")),
    )
    with op.batch_alter_table("organisation_networks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_networks_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "organisation_routing",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("inbox_api_root_id", sa.Integer(), nullable=True),
        sa.Column("inbox_collection_id", sa.Uuid(), nullable=True),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_api_root_id"],
            ["api_roots.id"],
            name=op.f("fk_organisation_routing_inbox_api_root_id_api_roots"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_collection_id"],
            ["collections.id"],
            name=op.f("fk_organisation_routing_inbox_collection_id_collections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_routing_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_organisation_routing")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column(
            "stix_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_webhook_deliveries_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_webhook_deliveries_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_webhook_deliveries_state_next", ["state", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_state_next")
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_organisation_id"))

    op.drop_table("webhook_deliveries")
    op.drop_table("organisation_routing")
    with op.batch_alter_table("organisation_networks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_networks_organisation_id"))

    op.drop_table("organisation_networks")
