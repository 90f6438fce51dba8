"""Small transaction helpers shared by the services."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.domain.errors import ConflictError


def commit_unique(session: Session, message: str) -> None:
    """Commit, turning a uniqueness violation into :class:`ConflictError`."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(message) from None


def flush_unique(session: Session, message: str) -> None:
    """Flush, turning a uniqueness violation into :class:`ConflictError`."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(message) from None
