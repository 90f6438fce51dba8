"""Which secret key a database was set up with, recorded as a fingerprint.

Token hashes, sealed peer credentials, webhook secrets and pseudonyms are all
keyed by SECRET_KEY. A process started with another key would hand out tokens
the hub then refuses, so every entry point compares its key with the recorded
fingerprint before it writes anything.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from sqlalchemy.orm import Session

from federation.domain.sealing import key_fingerprint
from federation.storage.base import utcnow
from federation.storage.database import ensure_write
from federation.storage.models import KeyFingerprint

_ROW = 1


class KeyState(enum.Enum):
    """How the configured keys relate to the one the database records."""

    UNRECORDED = "unrecorded"  # migrated by hand or by code older than the fingerprint
    CURRENT = "current"  # SECRET_KEY is the recorded key
    PREVIOUS = "previous"  # the recorded key is in PREVIOUS_SECRET_KEYS: rotate
    OTHER = "other"  # neither: another hub's database, or the key was lost


def recorded_fingerprint(session: Session) -> str | None:
    """The fingerprint the database records, if any."""
    row = session.get(KeyFingerprint, _ROW)
    return row.fingerprint if row else None


def key_state(session: Session, secret_key: str, previous_keys: Sequence[str] = ()) -> KeyState:
    """Compare ``secret_key`` (and ``previous_keys``) with the recorded fingerprint."""
    recorded = recorded_fingerprint(session)
    if recorded is None:
        return KeyState.UNRECORDED
    if recorded == key_fingerprint(secret_key):
        return KeyState.CURRENT
    if any(recorded == key_fingerprint(key) for key in previous_keys):
        return KeyState.PREVIOUS
    return KeyState.OTHER


def record_fingerprint(session: Session, secret_key: str) -> None:
    """Record ``secret_key``'s fingerprint, in the caller's write transaction."""
    ensure_write(session)
    row = session.get(KeyFingerprint, _ROW)
    if row is None:
        session.add(KeyFingerprint(id=_ROW, fingerprint=key_fingerprint(secret_key)))
    else:
        row.fingerprint = key_fingerprint(secret_key)
        row.recorded_at = utcnow()
    session.flush()
