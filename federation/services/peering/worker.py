"""Running sync passes: once over the due peers (``federation sync``), or for ever
(``federation worker``), each peer on its own interval.

The worker also posts the routing webhooks that are due (DESIGN.md "Routing to
the responsible network"), so one process keeps every outbound delivery going.
It sleeps until the soonest peer is due (or ``poll`` seconds, to notice peers
and deliveries added meanwhile), so an idle worker costs a few small queries
per wake-up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from federation.domain.errors import ConflictError
from federation.peers.client import DEFAULT_TIMEOUT
from federation.services.peering import leases
from federation.services.peering.peers import peer_named
from federation.services.peering.sync import Progress, SyncResult, sync_peer
from federation.services.routing import webhooks
from federation.storage.base import utcnow
from federation.storage.models import Peer

log = logging.getLogger("federation.sync")

# How long `federation sync --peer NAME` waits for a worker to finish with it.
BUSY_WAIT_SECONDS = 30.0


def sync_due(
    sessions: Callable[[], Session],
    secret_key: str,
    *,
    peer_name: str | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[SyncResult]:
    """One pass: every due peer (or the named one, due or not), one after another."""
    owner = leases.new_lease_owner()
    results: list[SyncResult] = []
    with sessions() as session:
        if peer_name is not None:
            peer = peer_named(session, peer_name)
            session.commit()
            if not _wait_for_lease(session, peer.id, owner):
                raise ConflictError(f"peer {peer.name!r} is being synced by another worker")
            return [
                sync_peer(
                    session,
                    secret_key,
                    peer.id,
                    owner,
                    progress=progress,
                    stop=stop,
                    timeout=timeout,
                )
            ]
        ids = list(session.scalars(select(Peer.id).where(Peer.next_attempt_at <= utcnow())))
        session.commit()
        for peer_id in ids:
            if stop and stop.is_set():
                break
            if leases.claim(session, peer_id, owner, due_only=True):
                results.append(
                    sync_peer(
                        session,
                        secret_key,
                        peer_id,
                        owner,
                        progress=progress,
                        stop=stop,
                        timeout=timeout,
                    )
                )
    return results


def run_worker(
    sessions: Callable[[], Session],
    secret_key: str,
    stop: threading.Event,
    *,
    poll: float = 5.0,
    progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private_webhooks: bool = False,
) -> None:
    """Sync peers and post webhooks as they fall due until ``stop`` is set."""
    owner = leases.new_lease_owner()
    log.info("worker started", extra={"fields": {"worker": owner, "poll": poll}})
    while not stop.is_set():
        try:
            with sessions() as session:
                synced = _sync_one_due(session, secret_key, owner, stop, progress, timeout)
                sent = webhooks.deliver_pending(
                    session, secret_key, allow_private=allow_private_webhooks
                )
                busy = synced or sent.delivered or sent.retrying or sent.failed
                wait = 0.0 if busy else _seconds_until_due(session, poll)
        except SQLAlchemyError as exc:
            # The database went away or is locked for long: try again later.
            log.warning("worker database error", extra={"fields": {"error": str(exc)[:200]}})
            wait = poll
        if wait > 0:
            stop.wait(wait)
    log.info("worker stopped", extra={"fields": {"worker": owner}})


def _sync_one_due(
    session: Session,
    secret_key: str,
    owner: str,
    stop: threading.Event,
    progress: Progress | None,
    timeout: float,
) -> bool:
    for peer_id in leases.due_peer_ids(session, utcnow()):
        if stop.is_set():
            return False
        if leases.claim(session, peer_id, owner, due_only=True):
            sync_peer(
                session, secret_key, peer_id, owner, progress=progress, stop=stop, timeout=timeout
            )
            return True
    return False


def _seconds_until_due(session: Session, poll: float) -> float:
    due = leases.next_due(session)
    if due is None:
        return poll
    seconds = (due - utcnow()).total_seconds()
    # A due peer someone else holds: look again after a poll, not at once.
    return min(max(seconds, 0.0), poll) or min(poll, 1.0)


def _wait_for_lease(session: Session, peer_id: int, owner: str) -> bool:
    deadline = time.monotonic() + BUSY_WAIT_SECONDS
    while True:
        if leases.claim(session, peer_id, owner, due_only=False):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
