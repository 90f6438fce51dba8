"""Routing to the responsible network: declared networks, inboxes, webhooks and their outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from federation.storage.base import Base, BigIntKey, JSONDocument, UTCDateTime, utcnow


class OrganisationNetwork(Base):
    """An IP prefix or AS number a member declares it is responsible for.

    ``value`` is the canonical text (``198.51.100.0/24``, ``AS64500``) and is
    unique: one prefix or ASN has one responsible member. Nested prefixes of
    different members are allowed (an ISP and the customer it delegated a
    block to); the longest prefix wins.
    """

    __tablename__ = "organisation_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoutingSettings(Base):
    """Where routed incidents go for one member: its inbox and its webhook."""

    __tablename__ = "organisation_routing"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # The API root the inbox is created in on first use (the hub's default
    # root when the first network was declared); NULL: the root of the
    # collection the first routed object was posted to.
    inbox_api_root_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_roots.id", ondelete="SET NULL")
    )
    inbox_collection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL")
    )
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    # Fernet token of the signing secret (federation.domain.webhooks); the
    # secret must be usable for signing, so it is encrypted, not hashed.
    webhook_secret: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One routed delivery waiting to be POSTed to a member's webhook (an outbox row).

    Written in the transaction that routes the objects, so a delivery exists
    exactly when the objects do.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE")
    )
    stix_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    # pending, delivered or failed (gave up after the last retry).
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
