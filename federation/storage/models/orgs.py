"""Members: organisations, their accounts and the accounts' API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation.storage.base import Base, UTCDateTime, utcnow


class Organisation(Base):
    """A member organisation and the STIX identity the hub keeps for it."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    sector: Mapped[str] = mapped_column(String(32))
    identity_id: Mapped[str] = mapped_column(String(64), unique=True)
    unattributed_default: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    accounts: Mapped[list[Account]] = relationship(back_populates="organisation")
    groups: Mapped[list[TrustGroup]] = relationship(
        secondary="trust_group_members", back_populates="members"
    )


class Account(Base):
    """A person or machine inside one organisation, with one role."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    unattributed_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="accounts")
    tokens: Mapped[list[Token]] = relationship(back_populates="account")


class TrustGroup(Base):
    """A named set of organisations that collection grants can name (``group:NAME``)."""

    __tablename__ = "trust_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[Organisation]] = relationship(
        secondary="trust_group_members", back_populates="groups"
    )


class TrustGroupMember(Base):
    """Membership of an organisation in a trust group."""

    __tablename__ = "trust_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("trust_groups.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Token(Base):
    """An API token, stored only as a keyed hash of its secret."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in listings so a user can tell
    # tokens apart; too short to help anyone guess the rest.
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The token whose holder made this one (None when an operator made it from
    # the command line): a token never outlives or outranks its parent.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tokens.id"), index=True)

    account: Mapped[Account] = relationship(back_populates="tokens")
