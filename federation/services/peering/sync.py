"""Syncing one peer: pull its new objects, then push ours (DESIGN.md "Federation rules").

Pull pages through the remote collection with ``added_after`` from the pull
checkpoint; each page is ingested through :func:`ingest.add_objects` (the same
validation and idempotency as a local post) and the checkpoint moves in the
same transaction, so a crash between pages loses nothing and repeats nothing.

Push sends, in date_added order, the versions added to the local collection
after the push checkpoint that the peer's policy lets through, pseudonymised
as the peer's organisation would see them. The checkpoint moves once a batch is
accounted for: confirmed by the remote's status resource, or recorded as a
failure to retry on later passes.

No transaction stays open while a remote is being called: on SQLite that
would hold the hub's write lock for the length of an HTTP request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from federation.domain.errors import FederationError
from federation.domain.peers import Direction, next_attempt
from federation.domain.sealing import unseal
from federation.domain.visibility import Viewer
from federation.peers.client import (
    DEFAULT_TIMEOUT,
    RemoteCollection,
    RemotePage,
    remote_collection,
)
from federation.services.access.collections import CollectionAccess
from federation.services.objects.ingest import add_objects
from federation.services.peering import leases
from federation.services.peering.peers import audit_transfer, collection_of, peer_viewer
from federation.services.peering.push import push_new_versions
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import Peer, Status

log = logging.getLogger("federation.sync")

PULL_PAGE_LIMIT = 1000
Progress = Callable[[str], None]


@dataclass(slots=True)
class SyncResult:
    """What one pass over one peer did."""

    peer: str
    pulled: int = 0
    received: int = 0
    rejected: int = 0
    pushed: int = 0
    push_failed: int = 0
    error: str | None = None
    # Stopped (SIGTERM) before the end: the peer stays due for the next worker.
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        if self.error is not None:
            return f"{self.peer}: failed: {self.error}"
        return (
            f"{self.peer}: ok (pulled {self.pulled} new of {self.received} received, "
            f"{self.rejected} rejected; pushed {self.pushed}, {self.push_failed} failed)"
        )


def sync_peer(
    session: Session,
    secret_key: str,
    peer_id: int,
    owner: str,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> SyncResult:
    """One pass over a peer whose lease ``owner`` holds: pull, then push.

    Records the outcome on the peer (last success or error, backoff) and
    releases the lease. Errors are reported in the result, not raised.
    """
    say = progress or (lambda _line: None)
    # Read afresh: this session may hold the row from before the lease was
    # taken, and another worker may have moved the checkpoints since.
    peer = session.get(Peer, peer_id, populate_existing=True)
    if peer is None:
        return SyncResult(peer=f"peer {peer_id}", error="the peer was removed")
    result = SyncResult(peer=peer.name)
    session.commit()
    try:
        credentials = unseal(secret_key, peer.sealed_credentials)
        direction = Direction(peer.direction)
        with remote_collection(
            peer.api_root_url, peer.remote_collection, credentials, timeout
        ) as remote:
            if direction.pulls:
                _pull(session, peer, remote, owner, result, say, stop)
            if direction.pushes and not (stop and stop.is_set()):
                pushed, failed = push_new_versions(
                    session, secret_key, peer, remote, owner, say, stop
                )
                result.pushed, result.push_failed = pushed, failed
        result.interrupted = stop is not None and stop.is_set()
    except FederationError as exc:
        session.rollback()
        result.error = exc.description
    except Exception as exc:  # a bug or a database error must not stop the worker
        session.rollback()
        log.exception("sync failed", extra={"fields": {"peer": result.peer}})
        result.error = f"internal error ({type(exc).__name__})"
    _record_outcome(session, peer, owner, result)
    level = logging.INFO if result.ok else logging.WARNING
    log.log(level, "peer synced", extra={"fields": _log_fields(result)})
    return result


def _pull(
    session: Session,
    peer: Peer,
    remote: RemoteCollection,
    owner: str,
    result: SyncResult,
    say: Progress,
    stop: threading.Event | None,
) -> None:
    collection = collection_of(session, peer)
    viewer = peer_viewer(session, peer)
    session.commit()
    # The operator configured this link, so it writes whatever the grants say.
    access = CollectionAccess(collection, can_read=True, can_write=True)
    checkpoint = peer.pull_checkpoint
    # A pass asks for everything added after the checkpoint and then follows
    # the remote's `next` cursor: servers that give a whole request's objects
    # one date_added (medallion does) would otherwise lose the rest of such a
    # group at a page boundary. Without a cursor, the next page starts after
    # the last date_added received.
    pass_start = checkpoint
    # The next page is fetched while this one is stored: the remote's time to
    # serve a page and ours to validate and store it overlap instead of adding
    # up. Pages are still stored strictly in order, each with its checkpoint.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pull") as fetcher:
        asked_after = pass_start
        upcoming: Future[RemotePage] = fetcher.submit(remote.get_page, asked_after, PULL_PAGE_LIMIT)
        by_cursor = False
        while True:
            page = upcoming.result()
            if not page.objects:
                _mark_caught_up(session, peer.id)
                return
            if not by_cursor and page.last_added == asked_after:
                raise FederationError("the remote keeps answering with the same page")
            stopping = stop is not None and stop.is_set()
            if page.more and not stopping:
                by_cursor = page.next is not None
                asked_after = pass_start if by_cursor else page.last_added
                upcoming = fetcher.submit(remote.get_page, asked_after, PULL_PAGE_LIMIT, page.next)
            status, new = _ingest_page(session, viewer, access, peer, owner, page)
            result.received += len(page.objects)
            result.pulled += new
            result.rejected += status.failure_count
            if status.failures:
                log.warning(
                    "peer objects rejected",
                    extra={"fields": {"peer": peer.name, "failures": _first(status.failures)}},
                )
            say(f"{peer.name}: pulled {len(page.objects)} objects ({new} new)")
            if not page.more:
                _mark_caught_up(session, peer.id)
                return
            if stopping:
                return


def _ingest_page(
    session: Session,
    viewer: Viewer,
    access: CollectionAccess,
    peer: Peer,
    owner: str,
    page: RemotePage,
) -> tuple[Status, int]:
    """Store one page and move the checkpoint past it, in one transaction.

    Returns the status and how many versions were new here.
    """
    counted = {"new": 0}

    def advance(tx: Session, status: Status) -> None:
        held = sum(1 for entry in status.successes if entry.get("message") == "already held")
        counted["new"] = status.success_count - held
        tx.execute(
            update(Peer)
            .where(Peer.id == peer.id)
            .values(
                pull_checkpoint=page.last_added,
                pulled_count=Peer.pulled_count + counted["new"],
                pull_rejected_count=Peer.pull_rejected_count + status.failure_count,
            )
            .execution_options(synchronize_session=False)
        )
        audit_transfer(tx, peer, "peer.pull", access.collection.id, counted["new"])
        leases.renew(tx, peer.id, owner)

    status = add_objects(
        session, viewer, access, page.objects, source_peer=peer.name, in_same_transaction=advance
    )
    return status, counted["new"]


def _mark_caught_up(session: Session, peer_id: int) -> None:
    begin_write(session)
    session.execute(
        update(Peer)
        .where(Peer.id == peer_id)
        .values(pull_caught_up_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _record_outcome(session: Session, peer: Peer, owner: str, result: SyncResult) -> None:
    """Store success or failure, schedule the next attempt, release the lease."""
    now = utcnow()
    begin_write(session)
    current = session.execute(
        select(Peer.consecutive_failures, Peer.interval_seconds).where(Peer.id == peer.id)
    ).one_or_none()
    if current is None:  # removed while syncing
        session.commit()
        return
    failures = 0 if result.ok else current.consecutive_failures + 1
    values: dict[str, Any] = {
        "last_attempt_at": now,
        "consecutive_failures": failures,
        "next_attempt_at": next_attempt(now, current.interval_seconds, failures),
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if result.ok and result.interrupted:
        # Neither a success nor a failure: the rest is due at once.
        values.update(consecutive_failures=current.consecutive_failures, next_attempt_at=now)
    elif result.ok:
        values.update(last_success_at=now, last_error=None)
    else:
        values["last_error"] = (result.error or "failed")[:500]
    session.execute(
        update(Peer)
        .where(Peer.id == peer.id, Peer.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _first(failures: list[dict[str, Any]], count: int = 5) -> list[dict[str, Any]]:
    return [{"id": f.get("id"), "message": f.get("message")} for f in failures[:count]]


def _log_fields(result: SyncResult) -> dict[str, Any]:
    return {
        "peer": result.peer,
        "pulled": result.pulled,
        "received": result.received,
        "rejected": result.rejected,
        "pushed": result.pushed,
        "push_failed": result.push_failed,
        "error": result.error,
    }
