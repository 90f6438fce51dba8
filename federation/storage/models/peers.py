"""Peers: remote TAXII collections this hub pulls from and pushes to, and their state."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from federation.storage.base import Base, BigIntKey, UTCDateTime, utcnow


class Peer(Base):
    """One link: a remote API root and collection paired with a local collection.

    The checkpoints, counters and lease live on the same row: a page's objects
    and the checkpoint that covers them commit together, and a worker takes a
    peer by updating its lease in one statement.
    """

    __tablename__ = "peers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    api_root_url: Mapped[str] = mapped_column(String(2000))
    remote_collection: Mapped[str] = mapped_column(String(200))
    local_collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(8))
    max_tlp: Mapped[str] = mapped_column(String(16))
    trusted_amber: Mapped[bool] = mapped_column(default=False)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    auth_kind: Mapped[str] = mapped_column(String(16), default="none")
    # Fernet-sealed credentials (federation.domain.sealing); never shown.
    sealed_credentials: Mapped[str] = mapped_column(Text, default="")
    # The organisation pulled versions belong to, and the local account the
    # remote uses to push here (both are this peer's provenance).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Pull: the last date_added received from the remote, as the remote wrote it.
    pull_checkpoint: Mapped[str | None] = mapped_column(String(40))
    # Push: the last local date_added whose version has been accounted for.
    push_checkpoint: Mapped[datetime | None] = mapped_column(UTCDateTime)

    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a pull last reached the end of the remote collection.
    pull_caught_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    pulled_count: Mapped[int] = mapped_column(BigInteger, default=0)
    pull_rejected_count: Mapped[int] = mapped_column(BigInteger, default=0)
    pushed_count: Mapped[int] = mapped_column(BigInteger, default=0)
    push_failed_count: Mapped[int] = mapped_column(BigInteger, default=0)

    # Who is syncing this peer now, and until when the claim holds.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushFailure(Base):
    """A version the peer refused or never confirmed; retried on later passes."""

    __tablename__ = "peer_push_failures"
    __table_args__ = (UniqueConstraint("peer_id", "version_pk"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("peers.id", ondelete="CASCADE"))
    version_pk: Mapped[int] = mapped_column(
        BigIntKey, ForeignKey("object_versions.pk", ondelete="CASCADE"), index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    message: Mapped[str] = mapped_column(String(500), default="")
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
