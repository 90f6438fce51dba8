"""Trust groups, contact details, unattributed defaults, withheld identities, audit log.

Reviewed by hand: the new NOT NULL columns get server defaults so existing rows
migrate.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "trust_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_trust_groups_name")),
    )
    op.create_table(
        "access_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=False),
        sa.Column("reader_organisation_id", sa.Integer(), nullable=False),
        sa.Column("reader_sector", sa.String(length=32), nullable=False),
        sa.Column("object_count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_access_receipts_owner_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reader_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_access_receipts_reader_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_receipts")),
        sa.UniqueConstraint(
            "owner_organisation_id",
            "reader_organisation_id",
            name=op.f("uq_access_receipts_owner_organisation_id_reader_organisation_id"),
        ),
    )
    with op.batch_alter_table("access_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_receipts_owner_organisation_id"),
            ["owner_organisation_id"],
            unique=False,
        )

    op.create_table(
        "trust_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["trust_groups.id"],
            name=op.f("fk_trust_group_members_group_id_trust_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_trust_group_members_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "organisation_id", name=op.f("pk_trust_group_members")),
    )
    with op.batch_alter_table("trust_group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trust_group_members_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=True),
        sa.Column("object_count", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_audit_events_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_audit_events_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "unattributed_default", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )

    with op.batch_alter_table("object_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("withheld", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_email", sa.String(length=320), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("contact_phone", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_email")

    with op.batch_alter_table("object_versions", schema=None) as batch_op:
        batch_op.drop_column("withheld")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("unattributed_default")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))

    op.drop_table("audit_events")
    with op.batch_alter_table("trust_group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trust_group_members_organisation_id"))

    op.drop_table("trust_group_members")
    with op.batch_alter_table("access_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_receipts_owner_organisation_id"))

    op.drop_table("access_receipts")
    op.drop_table("trust_groups")
