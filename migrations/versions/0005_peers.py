"""Peers: remote TAXII collections to pull from and push to, their checkpoints,
counters and leases, and the pushes to retry.

Reviewed by hand: new tables only, so existing rows need no defaults; the
revision id is fixed so the integrator can re-chain it after other branches.

Revision ID: 0005_peers
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_peers"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("api_root_url", sa.String(length=2000), nullable=False),
        sa.Column("remote_collection", sa.String(length=200), nullable=False),
        sa.Column("local_collection_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("max_tlp", sa.String(length=16), nullable=False),
        sa.Column("trusted_amber", sa.Boolean(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("auth_kind", sa.String(length=16), nullable=False),
        sa.Column("sealed_credentials", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pull_checkpoint", sa.String(length=40), nullable=True),
        sa.Column("push_checkpoint", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pull_caught_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pulled_count", sa.BigInteger(), nullable=False),
        sa.Column("pull_rejected_count", sa.BigInteger(), nullable=False),
        sa.Column("pushed_count", sa.BigInteger(), nullable=False),
        sa.Column("push_failed_count", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_peers_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["local_collection_id"],
            ["collections.id"],
            name=op.f("fk_peers_local_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_peers_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peers")),
        sa.UniqueConstraint("name", name=op.f("uq_peers_name")),
    )
    with op.batch_alter_table("peers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peers_local_collection_id"), ["local_collection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_peers_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_peers_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "peer_push_failures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column(
            "version_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["peers.id"],
            name=op.f("fk_peer_push_failures_peer_id_peers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_pk"],
            ["object_versions.pk"],
            name=op.f("fk_peer_push_failures_version_pk_object_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_push_failures")),
        sa.UniqueConstraint(
            "peer_id", "version_pk", name=op.f("uq_peer_push_failures_peer_id_version_pk")
        ),
    )
    with op.batch_alter_table("peer_push_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peer_push_failures_version_pk"), ["version_pk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("peer_push_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_push_failures_version_pk"))

    op.drop_table("peer_push_failures")
    with op.batch_alter_table("peers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peers_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_peers_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_peers_local_collection_id"))

    op.drop_table("peers")
