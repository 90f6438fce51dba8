"""Pushing a local collection's new versions to a peer (see ``federation.services.peering.sync``).

Which versions may go is :func:`federation.domain.peers.may_push`; how they
look is what the peer's organisation would see (pseudonyms for unattributed
posts, ``federation.services.objects.present``). Hub-local properties that only mean
something here (the recipients list) are left out.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from federation.domain.peers import PushCandidate, PushPolicy, may_push
from federation.domain.tlp import Tlp
from federation.domain.visibility import RECIPIENTS_PROPERTY, Viewer
from federation.peers.client import RemoteCollection, encode, object_key
from federation.services.access import audit
from federation.services.objects.present import present
from federation.services.peering import leases
from federation.services.peering.peers import collection_of, peer_viewer
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import ObjectVersion, Peer, PushFailure

PUSH_BATCH = 1000
# A version the peer refused this many times stays recorded but is not sent again.
MAX_ATTEMPTS = 10
# Envelopes stay this far under the remote's max_content_length, for headroom.
_SIZE_MARGIN = 0.95


def push_new_versions(
    session: Session,
    secret_key: str,
    peer: Peer,
    remote: RemoteCollection,
    owner: str,
    say: Callable[[str], None],
    stop: threading.Event | None,
) -> tuple[int, int]:
    """Retry earlier failures, then push what was added since the checkpoint.

    Returns (versions the remote confirmed, versions that failed this pass).
    """
    collection = collection_of(session, peer)
    viewer = peer_viewer(session, peer)
    checkpoint = session.scalar(select(Peer.push_checkpoint).where(Peer.id == peer.id))
    session.commit()
    pusher = _Pusher(
        session,
        secret_key,
        peer,
        remote,
        owner,
        default_tlp=Tlp.parse(collection.default_tlp),
        viewer=viewer,
        collection_id=collection.id,
    )
    pushed, failed = pusher.retry_failures()
    while not (stop and stop.is_set()):
        conditions = [ObjectVersion.collection_id == collection.id]
        if checkpoint is not None:
            conditions.append(ObjectVersion.date_added > checkpoint)
        stmt = (
            select(ObjectVersion)
            .where(*conditions)
            .order_by(ObjectVersion.date_added)
            .limit(PUSH_BATCH)
        )
        rows = list(session.scalars(stmt))
        if not rows:
            session.commit()
            break
        eligible = [r for r in rows if pusher.eligible(r)]
        ok, refused = pusher.send(eligible)
        checkpoint = rows[-1].date_added
        pusher.record_batch(checkpoint, ok, refused)
        pusher.record_reads(eligible, ok)
        pushed += len(ok)
        failed += len(refused)
        say(f"{peer.name}: pushed {len(ok)} of {len(rows)} new versions ({len(refused)} failed)")
        if len(rows) < PUSH_BATCH:
            break
    return pushed, failed


class _Pusher:
    def __init__(
        self,
        session: Session,
        secret_key: str,
        peer: Peer,
        remote: RemoteCollection,
        owner: str,
        *,
        default_tlp: Tlp,
        viewer: Viewer,
        collection_id: uuid.UUID,
    ) -> None:
        self.session = session
        self.secret_key = secret_key
        self.peer = peer
        self.remote = remote
        self.owner = owner
        self.default_tlp = default_tlp
        self.viewer = viewer
        self.collection_id = collection_id
        self.policy = PushPolicy(
            peer_name=peer.name,
            max_tlp=Tlp.parse(peer.max_tlp),
            trusted_amber=peer.trusted_amber,
            peer_account_id=peer.account_id,
        )

    def eligible(self, row: ObjectVersion) -> bool:
        candidate = PushCandidate(
            tlp=None if row.tlp is None else Tlp(row.tlp),
            withheld=row.withheld,
            source_peer=row.source_peer,
            source_account_id=row.source_account_id,
        )
        return may_push(self.policy, candidate, self.default_tlp)

    def send(self, rows: Sequence[ObjectVersion]) -> tuple[list[int], dict[int, str]]:
        """Post ``rows`` in envelopes under the remote's size limit.

        Returns the confirmed version keys and the failed ones with a reason.
        Ends the read transaction before the first request.
        """
        documents = present(self.session, self.viewer, rows, self.secret_key) if rows else []
        self.session.commit()
        succeeded: list[int] = []
        failures: dict[int, str] = {}
        if not rows:
            return succeeded, failures
        budget = int(self.remote.max_content_length() * _SIZE_MARGIN)
        chunk: list[tuple[int, dict[str, object], bytes]] = []
        size = 0
        for row, document in zip(rows, documents, strict=True):
            shareable = {k: v for k, v in document.items() if k != RECIPIENTS_PROPERTY}
            encoded = encode(shareable)
            if self.remote.envelope_size([encoded]) > budget:
                failures[row.pk] = "larger than the remote's max_content_length"
                continue
            if chunk and size + len(encoded) + 1 > budget:
                self._post(chunk, succeeded, failures)
                chunk, size = [], 0
            if not chunk:
                size = self.remote.envelope_size([])
            chunk.append((row.pk, shareable, encoded))
            size += len(encoded) + 1
        if chunk:
            self._post(chunk, succeeded, failures)
        return succeeded, failures

    def _post(
        self,
        chunk: list[tuple[int, dict[str, object], bytes]],
        succeeded: list[int],
        failures: dict[int, str],
    ) -> None:
        keys = [object_key(document) for _, document, _ in chunk]
        outcome = self.remote.add_objects([encoded for _, _, encoded in chunk], keys)
        ok_ids = {stix_id for stix_id, _ in outcome.succeeded}
        failed_ids = {stix_id: message for (stix_id, _), message in outcome.failed.items()}
        for (pk, _, _), key in zip(chunk, keys, strict=True):
            if key in outcome.failed:
                failures[pk] = outcome.failed[key]
            elif key in outcome.succeeded:
                succeeded.append(pk)
            elif key[0] in failed_ids:
                failures[pk] = failed_ids[key[0]]
            elif key[0] in ok_ids:
                # Objects without their own version (SCOs) come back with the
                # version the remote gave them.
                succeeded.append(pk)
            else:
                failures[pk] = "the remote's status does not mention it"

    def record_batch(self, checkpoint: datetime, ok: list[int], refused: dict[int, str]) -> None:
        """Move the checkpoint past a batch, keeping its failures for retry."""
        begin_write(self.session)
        if refused:
            now = utcnow()
            self.session.execute(
                insert(PushFailure),
                [
                    {
                        "peer_id": self.peer.id,
                        "version_pk": pk,
                        "attempts": 1,
                        "message": message[:500],
                        "last_attempt_at": now,
                    }
                    for pk, message in refused.items()
                ],
            )
        self.session.execute(
            update(Peer)
            .where(Peer.id == self.peer.id)
            .values(
                push_checkpoint=checkpoint,
                pushed_count=Peer.pushed_count + len(ok),
                push_failed_count=Peer.push_failed_count + len(refused),
            )
            .execution_options(synchronize_session=False)
        )
        leases.renew(self.session, self.peer.id, self.owner)
        self.session.commit()

    def record_reads(self, sent: Sequence[ObjectVersion], ok: list[int]) -> None:
        """Audit what the peer received, and count it in the owners' access receipts.

        A push is the peer reading: the posting organisations see the peer's
        sector among those that pulled their incidents (DESIGN.md invariant 8).
        Recorded after the checkpoint's commit, in its own transaction.
        """
        confirmed = set(ok)
        received = [row for row in sent if row.pk in confirmed]
        if received:
            audit.record_read(self.session, self.viewer, "peer.push", self.collection_id, received)

    def retry_failures(self) -> tuple[int, int]:
        """Send again what failed on earlier passes (one batch per pass)."""
        stmt = (
            select(PushFailure, ObjectVersion)
            .join(ObjectVersion, ObjectVersion.pk == PushFailure.version_pk)
            .where(PushFailure.peer_id == self.peer.id, PushFailure.attempts < MAX_ATTEMPTS)
            .order_by(ObjectVersion.date_added)
            .limit(PUSH_BATCH)
        )
        pairs = [(failure, row) for failure, row in self.session.execute(stmt)]
        if not pairs:
            self.session.commit()
            return 0, 0
        # The policy may have changed since: what it no longer allows is dropped.
        dropped = [f.id for f, row in pairs if not self.eligible(row)]
        retried = [(f, row) for f, row in pairs if self.eligible(row)]
        ok, refused = self.send([row for _, row in retried])
        by_pk = {row.pk: failure.id for failure, row in retried}
        begin_write(self.session)
        done = dropped + [by_pk[pk] for pk in ok]
        if done:
            self.session.execute(delete(PushFailure).where(PushFailure.id.in_(done)))
        now = utcnow()
        for pk, message in refused.items():
            self.session.execute(
                update(PushFailure)
                .where(PushFailure.id == by_pk[pk])
                .values(
                    attempts=PushFailure.attempts + 1, message=message[:500], last_attempt_at=now
                )
                .execution_options(synchronize_session=False)
            )
        self.session.execute(
            update(Peer)
            .where(Peer.id == self.peer.id)
            .values(pushed_count=Peer.pushed_count + len(ok))
            .execution_options(synchronize_session=False)
        )
        leases.renew(self.session, self.peer.id, self.owner)
        self.session.commit()
        self.record_reads([row for _, row in retried], ok)
        return len(ok), len(refused)
