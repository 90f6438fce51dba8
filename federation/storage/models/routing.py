"""Routing to the responsible network: declared networks, inboxes, webhooks and their outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from federation.storage.base import Base, BigIntKey, JSONDocument, UTCDateTime, utcnow

# Claims approved or pending hold their value; a rejected one is kept as the
# hub's answer without blocking the prefix for whoever really holds it.
_HELD = text("state <> 'rejected'")


class OrganisationNetwork(Base):
    """An IP prefix or AS number a member declares it is responsible for.

    ``value`` is the canonical text (``198.51.100.0/24``, ``AS64500``) and is
    unique among claims not rejected: one prefix or ASN has one responsible
    member, and a pending request holds its place in the queue. Nested
    prefixes of different members are allowed (an ISP and the customer it
    delegated a block to); the longest prefix wins. A claim that needs the
    hub's word waits as ``pending`` (``reason`` says why) until a hub admin
    approves or rejects it; only ``approved`` claims route anything.
    """

    __tablename__ = "organisation_networks"
    __table_args__ = (
        Index(
            "ux_organisation_networks_held_value",
            "value",
            unique=True,
            sqlite_where=_HELD,
            postgresql_where=_HELD,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Claims made before approvals existed were the operator's or trusted
    # admins'; they stay approved (the migration's server default).
    state: Mapped[str] = mapped_column(String(16), server_default="approved")
    # Why the claim waits for a hub admin; empty when granted at once.
    reason: Mapped[str] = mapped_column(String(300), server_default="")
    # Who approved or rejected it (an account, or "operator" at the CLI), when,
    # and why. NULL on an approved claim: granted at once to an org admin,
    # without review, so it goes back to review if another member's prefix
    # around it is approved later.
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(500), server_default="")


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
