"""The audit log and access receipts (DESIGN.md invariant 8)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from federation.storage.base import Base, BigIntKey, UTCDateTime, utcnow


class AuditEvent(Base):
    """One request that read or wrote objects, or an administrative act. Append-only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    account_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    collection_id: Mapped[uuid.UUID | None] = mapped_column()
    object_count: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str] = mapped_column(String(64), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(1000), default="")


class AccessReceipt(Base):
    """How often one organisation has pulled objects owned by another.

    Owners see these aggregated by sector, never the readers' names.
    """

    __tablename__ = "access_receipts"
    __table_args__ = (UniqueConstraint("owner_organisation_id", "reader_organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    reader_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    reader_sector: Mapped[str] = mapped_column(String(32))
    object_count: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
