"""What an operator checks first: workers, peers, and the webhook queue.

Beside the capabilities rather than in one: it reads peering (peers, leases)
and routing (the webhook outbox) together, and writes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.services.peering.peers import PeerReport, reports
from federation.storage.base import utcnow
from federation.storage.models import Peer, WebhookDelivery


@dataclass(frozen=True, slots=True)
class WebhookQueue:
    """The webhook outbox by state."""

    pending: int
    due: int
    failed: int
    delivered: int
    oldest_pending: str | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class HubStatus:
    """Workers seen, peers and the webhook queue, as ``federation status`` shows them."""

    workers: list[str]
    last_peer_attempt: str | None
    peers: list[PeerReport]
    webhooks: WebhookQueue

    def as_dict(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "last_peer_attempt": self.last_peer_attempt,
            "peers": [
                {
                    key: value
                    for key, value in asdict(peer).items()
                    if key
                    in (
                        "name",
                        "direction",
                        "url",
                        "last_success",
                        "last_error",
                        "consecutive_failures",
                        "next_attempt",
                        "lag_objects",
                        "lag_seconds",
                        "retry_pending",
                        "syncing",
                    )
                }
                for peer in self.peers
            ],
            "webhooks": asdict(self.webhooks),
        }


def hub_status(session: Session) -> HubStatus:
    """Read the figures; commits nothing."""
    now = utcnow()
    # Workers announce themselves only through the peer leases they hold, so
    # "seen" means holding one now (a worker with nothing due holds none).
    owners = session.scalars(
        select(Peer.lease_owner)
        .where(Peer.lease_owner.is_not(None), Peer.lease_expires_at > now)
        .distinct()
        .order_by(Peer.lease_owner)
    )
    workers = [owner for owner in owners if owner]
    last_attempt = session.scalar(select(func.max(Peer.last_attempt_at)))
    by_state = select(WebhookDelivery.state, func.count()).group_by(WebhookDelivery.state)
    counts = {state: count for state, count in session.execute(by_state)}
    due = session.scalar(
        select(func.count()).where(
            WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now
        )
    )
    oldest = session.scalar(
        select(func.min(WebhookDelivery.created_at)).where(WebhookDelivery.state == "pending")
    )
    last_error = session.scalar(
        select(WebhookDelivery.last_error)
        .where(WebhookDelivery.last_error != "", WebhookDelivery.state != "delivered")
        .order_by(WebhookDelivery.id.desc())
        .limit(1)
    )
    queue = WebhookQueue(
        pending=counts.get("pending", 0),
        due=due or 0,
        failed=counts.get("failed", 0),
        delivered=counts.get("delivered", 0),
        oldest_pending=_iso(oldest),
        last_error=last_error or None,
    )
    peers = reports(session)
    session.rollback()
    return HubStatus(workers, _iso(last_attempt), peers, queue)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
