"""Core schema: members, tokens, API roots, collections, object versions, statuses.

Reviewed by hand: timestamps are plain timezone-aware DateTime here (the
models' UTCDateTime only converts values), so migrations never import the app.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "api_roots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_roots")),
        sa.UniqueConstraint("name", name=op.f("uq_api_roots_name")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("identity_id", sa.String(length=64), nullable=False),
        sa.Column("unattributed_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("identity_id", name=op.f("uq_organisations_identity_id")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_accounts_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "collections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("api_root_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=True),
        sa.Column("default_tlp", sa.String(length=16), nullable=False),
        sa.Column("last_date_added", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_root_id"], ["api_roots.id"], name=op.f("fk_collections_api_root_id_api_roots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collections_api_root_id"), ["api_root_id"], unique=False
        )

    op.create_table(
        "collection_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("access", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=220), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_collection_grants_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_grants")),
        sa.UniqueConstraint(
            "collection_id",
            "access",
            "subject",
            name=op.f("uq_collection_grants_collection_id_access_subject"),
        ),
    )
    with op.batch_alter_table("collection_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_grants_collection_id"), ["collection_id"], unique=False
        )

    op.create_table(
        "object_versions",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("stix_id", sa.String(length=300), nullable=False),
        sa.Column("type", sa.String(length=250), nullable=False),
        sa.Column("spec_version", sa.String(length=8), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.DateTime(timezone=True), nullable=False),
        sa.Column("date_added", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source_account_id", sa.Integer(), nullable=True),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=True),
        sa.Column("source_peer", sa.String(length=200), nullable=True),
        sa.Column("tlp", sa.SmallInteger(), nullable=True),
        sa.Column("unattributed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_object_versions_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_object_versions_owner_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_account_id"],
            ["accounts.id"],
            name=op.f("fk_object_versions_source_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_object_versions")),
        sa.UniqueConstraint(
            "collection_id", "date_added", name=op.f("uq_object_versions_collection_id_date_added")
        ),
        sa.UniqueConstraint(
            "collection_id",
            "stix_id",
            "version",
            name=op.f("uq_object_versions_collection_id_stix_id_version"),
        ),
    )
    with op.batch_alter_table("object_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_object_versions_collection_type_added",
            ["collection_id", "type", "date_added"],
            unique=False,
        )

    op.create_table(
        "statuses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("request_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column(
            "successes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "failures",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_statuses_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_statuses_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_statuses_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statuses")),
    )
    with op.batch_alter_table("statuses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statuses_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_statuses_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tokens_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_tokens_digest")),
    )
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tokens_account_id"), ["account_id"], unique=False)

    op.create_table(
        "object_recipients",
        sa.Column(
            "version_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_object_recipients_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_pk"],
            ["object_versions.pk"],
            name=op.f("fk_object_recipients_version_pk_object_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_pk", "organisation_id", name=op.f("pk_object_recipients")),
    )
    with op.batch_alter_table("object_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_object_recipients_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("object_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_object_recipients_organisation_id"))

    op.drop_table("object_recipients")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_account_id"))

    op.drop_table("tokens")
    with op.batch_alter_table("statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statuses_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_statuses_collection_id"))

    op.drop_table("statuses")
    with op.batch_alter_table("object_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_object_versions_collection_type_added")

    op.drop_table("object_versions")
    with op.batch_alter_table("collection_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_grants_collection_id"))

    op.drop_table("collection_grants")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collections_api_root_id"))

    op.drop_table("collections")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_organisation_id"))

    op.drop_table("accounts")
    op.drop_table("organisations")
    op.drop_table("api_roots")
