"""Stored STIX object versions: one row per (collection, id, version)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from federation.storage.base import Base, BigIntKey, JSONDocument, UTCDateTime

# Neither created nor modified: an unversioned object, shared by content.
SHARED_COPY = "created IS NULL AND modified IS NULL"


class ObjectVersion(Base):
    """One STIX object at one version, in one collection; never updated.

    The document is stored whole; the columns beside it are the fields that
    TAXII filters and visibility need, so every read is an index range scan.
    """

    __tablename__ = "object_versions"
    __table_args__ = (
        UniqueConstraint("collection_id", "stix_id", "version"),
        # date_added is strictly increasing per collection, hence unique: it is
        # the keyset for paging and for added_after.
        UniqueConstraint("collection_id", "date_added"),
        Index("ix_object_versions_collection_type_added", "collection_id", "type", "date_added"),
        # An unversioned object (SCO) is content, not property: each
        # organisation holds at most one copy of it per collection, under its
        # own markings and recipients (DESIGN.md invariant 1, docs/trust.md).
        Index(
            "uq_object_versions_shared_copy",
            "collection_id",
            "stix_id",
            "owner_organisation_id",
            unique=True,
            sqlite_where=text(SHARED_COPY),
            postgresql_where=text(SHARED_COPY),
        ),
    )

    pk: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE")
    )
    stix_id: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(250))
    spec_version: Mapped[str] = mapped_column(String(8))
    created: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # modified, else created, else the first date_added (objects without
    # either are unversioned, so a repost is the same version).
    version: Mapped[datetime] = mapped_column(UTCDateTime)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # Provenance: who put this version here.
    source_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    owner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    source_peer: Mapped[str | None] = mapped_column(String(200))
    # TLP rank from the object's own markings (see federation.domain.tlp);
    # NULL when unmarked, so the collection's default applies at read time.
    tlp: Mapped[int | None] = mapped_column(SmallInteger)
    unattributed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The poster's own identity object in an unattributed post: only the
    # posting organisation may see it (DESIGN.md invariant 6).
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)


class ObjectRecipient(Base):
    """An organisation named as recipient of an AMBER+STRICT or RED version."""

    __tablename__ = "object_recipients"

    version_pk: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("object_versions.pk", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
