"""TAXII API roots, collections and who may read or write them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation.storage.base import Base, UTCDateTime, utcnow


class ApiRoot(Base):
    """A TAXII API root, served at ``/taxii2/<name>/``."""

    __tablename__ = "api_roots"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    collections: Mapped[list[Collection]] = relationship(back_populates="api_root")


class Collection(Base):
    """A TAXII collection and its sharing policy."""

    __tablename__ = "collections"
    # Clients pick a collection by its title; two alike in one API root leave
    # them guessing, so the database refuses the second.
    __table_args__ = (UniqueConstraint("api_root_id", "title"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    api_root_id: Mapped[int] = mapped_column(ForeignKey("api_roots.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    alias: Mapped[str | None] = mapped_column(String(100))
    # TLP applied to objects that carry no TLP marking (DESIGN.md invariant 5).
    default_tlp: Mapped[str] = mapped_column(String(16), default="amber")
    # The newest date_added handed out; the next one must be strictly later
    # (invariant 2), and writers serialise on this row to keep commit order.
    last_date_added: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    api_root: Mapped[ApiRoot] = relationship(back_populates="collections")
    grants: Mapped[list[CollectionGrant]] = relationship(
        back_populates="collection", cascade="all, delete-orphan"
    )


class CollectionGrant(Base):
    """One grant of read or write access on a collection.

    ``subject`` is ``*`` (every member), ``org:<id>``, ``sector:<sector>`` or
    ``group:<name>``.
    """

    __tablename__ = "collection_grants"
    __table_args__ = (UniqueConstraint("collection_id", "access", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    access: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(220))

    collection: Mapped[Collection] = relationship(back_populates="grants")
