"""The fingerprint of the secret key the database was set up with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from federation.storage.base import Base, UTCDateTime, utcnow


class KeyFingerprint(Base):
    """One row: :func:`federation.domain.sealing.key_fingerprint` of SECRET_KEY.

    Token hashes, sealed peer credentials, webhook secrets and pseudonyms all
    depend on the key, so a command or server started with another key would
    silently hand out tokens the hub refuses; this row lets it stop first.
    """

    __tablename__ = "key_fingerprint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
