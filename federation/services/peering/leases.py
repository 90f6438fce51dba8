"""Who syncs which peer: a lease on the peer's row, taken in one UPDATE.

The UPDATE only matches a row whose lease is free or expired, so when several
workers race for one peer exactly one sees its row updated: PostgreSQL
re-checks the WHERE clause after waiting for the other writer's row lock, and
SQLite serialises writers. A lease expires unless renewed (each pulled page
renews it), so a worker that dies leaves its peers to the others; one killed
on this host is noticed at once by its process id.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import Peer

LEASE = timedelta(seconds=120)
_HOST = socket.gethostname()


def new_lease_owner() -> str:
    """A name for one worker or sync run: host, process id and a random part."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(session: Session, peer_id: int, owner: str, *, due_only: bool) -> bool:
    """Take the lease on one peer; False when another live owner holds it.

    With ``due_only`` the peer must also be due (its next attempt has come).
    """
    now = utcnow()
    free = or_(
        Peer.lease_owner.is_(None),
        Peer.lease_expires_at.is_(None),
        Peer.lease_expires_at < now,
        Peer.lease_owner == owner,
    )
    holder = session.scalar(select(Peer.lease_owner).where(Peer.id == peer_id))
    session.commit()
    if holder and holder != owner and _owner_is_dead(holder):
        # Only this holder's lease is taken over: another claimant that got
        # there first changed lease_owner, and this UPDATE then matches nothing.
        free = or_(free, Peer.lease_owner == holder)
    conditions = [Peer.id == peer_id, free]
    if due_only:
        conditions.append(Peer.next_attempt_at <= now)
    begin_write(session)
    result = session.execute(
        update(Peer)
        .where(*conditions)
        .values(lease_owner=owner, lease_expires_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def renew(session: Session, peer_id: int, owner: str) -> None:
    """Extend the lease; call inside the caller's write transaction (not committed here)."""
    session.execute(
        update(Peer)
        .where(Peer.id == peer_id, Peer.lease_owner == owner)
        .values(lease_expires_at=utcnow() + LEASE)
        .execution_options(synchronize_session=False)
    )


def due_peer_ids(session: Session, now: datetime, limit: int = 20) -> list[int]:
    """Peers whose next attempt has come, most overdue first (leased ones included:
    their holder may be dead)."""
    stmt = (
        select(Peer.id)
        .where(Peer.next_attempt_at <= now)
        .order_by(Peer.next_attempt_at, Peer.id)
        .limit(limit)
    )
    ids = list(session.scalars(stmt))
    session.commit()
    return ids


def next_due(session: Session) -> datetime | None:
    """When the soonest peer is next due, or None without peers."""
    stmt = select(Peer.next_attempt_at).order_by(Peer.next_attempt_at).limit(1)
    value = session.scalar(stmt)
    session.commit()
    return value


def _owner_is_dead(owner: str) -> bool:
    """Whether ``owner`` names a process on this host that no longer runs."""
    parts = owner.split(":")
    if len(parts) < 3 or ":".join(parts[:-2]) != _HOST:
        return False
    try:
        pid = int(parts[-2])
    except ValueError:
        return False
    if pid == os.getpid():
        return False  # another run in this same process, alive by definition
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
