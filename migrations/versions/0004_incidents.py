"""Incident index: incident versions, the values they are found by, sightings and notes.

Reviewed by hand. Only new tables: rows are written at ingest, so incidents
stored before this revision are not listed until they are posted again.

Revision ID: 0004_incidents
Revises: 0003_routing
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_incidents"
down_revision = "0003_routing"
branch_labels = None
depends_on = None

_BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incident_versions",
        sa.Column("pk", _BIG_KEY, autoincrement=False, nullable=False),
        sa.Column("collection_id", sa.Uuid(), nullable=False),
        sa.Column("stix_id", sa.String(length=300), nullable=False),
        sa.Column("version", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("investigation_status", sa.String(length=32), nullable=True),
        sa.Column("determination", sa.String(length=32), nullable=True),
        sa.Column("criticality", sa.SmallInteger(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reporter_sector", sa.String(length=32), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("creator", sa.String(length=300), nullable=True),
        sa.Column("owner_organisation_id", sa.Integer(), nullable=True),
        sa.Column("tlp", sa.SmallInteger(), nullable=True),
        sa.Column("unattributed", sa.Boolean(), nullable=False),
        sa.Column("withheld", sa.Boolean(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_incident_versions_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_incident_versions_owner_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pk"],
            ["object_versions.pk"],
            name=op.f("fk_incident_versions_pk_object_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_incident_versions")),
    )
    op.create_index(
        "ix_incident_versions_created_stix_id", "incident_versions", ["created", "stix_id"]
    )
    op.create_index(
        "ix_incident_versions_stix_id_version", "incident_versions", ["stix_id", "version"]
    )

    op.create_table(
        "incident_values",
        sa.Column("id", _BIG_KEY, autoincrement=True, nullable=False),
        sa.Column("incident_pk", _BIG_KEY, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_key", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("ip_start", sa.LargeBinary(length=16), nullable=True),
        sa.Column("ip_end", sa.LargeBinary(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_pk"],
            ["incident_versions.pk"],
            name=op.f("fk_incident_values_incident_pk_incident_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_values")),
    )
    op.create_index(op.f("ix_incident_values_incident_pk"), "incident_values", ["incident_pk"])
    op.create_index("ix_incident_values_ip_start_ip_end", "incident_values", ["ip_start", "ip_end"])
    op.create_index(op.f("ix_incident_values_value_key"), "incident_values", ["value_key"])

    op.create_table(
        "incident_links",
        sa.Column("version_pk", _BIG_KEY, nullable=False),
        sa.Column("incident_id", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("stix_id", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_pk"],
            ["object_versions.pk"],
            name=op.f("fk_incident_links_version_pk_object_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_pk", "incident_id", name=op.f("pk_incident_links")),
    )
    op.create_index("ix_incident_links_incident_id_kind", "incident_links", ["incident_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_incident_links_incident_id_kind", table_name="incident_links")
    op.drop_table("incident_links")
    op.drop_index(op.f("ix_incident_values_value_key"), table_name="incident_values")
    op.drop_index("ix_incident_values_ip_start_ip_end", table_name="incident_values")
    op.drop_index(op.f("ix_incident_values_incident_pk"), table_name="incident_values")
    op.drop_table("incident_values")
    op.drop_index("ix_incident_versions_stix_id_version", table_name="incident_versions")
    op.drop_index("ix_incident_versions_created_stix_id", table_name="incident_versions")
    op.drop_table("incident_versions")
