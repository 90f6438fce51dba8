"""Index rows for stored incident versions, written at ingest for every source.

The STIX documents stay whole in ``object_versions``; these rows hold the few
fields the REST list filters, sorts and aggregates on, and the version's
visibility facts, so a list is answered from this table alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from federation.storage.base import Base, BigIntKey, UTCDateTime


class IncidentVersion(Base):
    """One stored version of a STIX ``incident``, as the REST API lists it."""

    __tablename__ = "incident_versions"
    __table_args__ = (
        # Newest first, keyset-paged: (created, stix_id) is the sort key.
        Index("ix_incident_versions_created_stix_id", "created", "stix_id"),
        # Finding the latest visible version of one incident.
        Index("ix_incident_versions_stix_id_version", "stix_id", "version"),
    )

    # The object version's own key: the visibility rule (which looks up
    # recipients by version key) applies to these rows as they are, so lists
    # never join back to object_versions until the page is known.
    pk: Mapped[int] = mapped_column(
        BigIntKey,
        ForeignKey("object_versions.pk", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE")
    )
    stix_id: Mapped[str] = mapped_column(String(300))
    version: Mapped[datetime] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(32))
    investigation_status: Mapped[str | None] = mapped_column(String(32))
    determination: Mapped[str | None] = mapped_column(String(32))
    criticality: Mapped[int | None] = mapped_column(SmallInteger)
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The reporting organisation's sector when the version was stored; shown
    # as "unattributed" to outsiders when the version is unattributed.
    reporter_sector: Mapped[str | None] = mapped_column(String(32))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # created_by_ref, shown as a pseudonym to outsiders when unattributed.
    creator: Mapped[str | None] = mapped_column(String(300))
    # Copies of the object version's visibility facts (never changed, like
    # the version itself); an incident is never a withheld identity, but the
    # column keeps the one rule of federation.storage.visibility applicable.
    owner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    tlp: Mapped[int | None] = mapped_column(SmallInteger)
    unattributed: Mapped[bool] = mapped_column(Boolean, default=False)
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    # STIX ids of the objects that make up the report (indicators,
    # observables, relationships, the reporting identity), for the detail view.
    related: Mapped[list[Any]] = mapped_column(JSON)


class IncidentValue(Base):
    """A value an incident version is found by: an indicator or an affected network.

    ``value_key`` (a hash of kind and value) makes correlation an equality join
    whatever the value's length; ``ip_start``/``ip_end`` are 16-byte
    big-endian bounds, so "falls in this CIDR" is a B-tree range scan.
    """

    __tablename__ = "incident_values"
    __table_args__ = (Index("ix_incident_values_ip_start_ip_end", "ip_start", "ip_end"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    incident_pk: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("incident_versions.pk", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    value_key: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str | None] = mapped_column(String(16))
    ip_start: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    ip_end: Mapped[bytes | None] = mapped_column(LargeBinary(16))


class IncidentLink(Base):
    """A sighting or note version that refers to an incident."""

    __tablename__ = "incident_links"
    __table_args__ = (Index("ix_incident_links_incident_id_kind", "incident_id", "kind"),)

    version_pk: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("object_versions.pk", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    stix_id: Mapped[str] = mapped_column(String(300))
