"""Delivering routed incidents to members' webhooks from the outbox.

Routing writes a :class:`WebhookDelivery` row in the transaction that stores
the objects; :func:`deliver_pending` POSTs due rows, signed, and records the
outcome. A row is claimed with a lease before the POST (FOR UPDATE SKIP LOCKED
on PostgreSQL), so several workers never send one delivery at once and no
database lock is held while a member's server answers. A failed POST is retried
with doubling delays; after the last attempt the row is marked failed, and its
error stays visible to the operator.

The body names the delivered objects by STIX id only, and only those the member
may see (the one visibility rule); it never names the poster.

Before each POST the webhook's host is resolved and every address checked
(``federation.domain.webhooks.check_target``), and the POST connects to the
checked address itself: a host that answered a public address when the
webhook was set and a private one now (DNS rebinding) is refused, and no
second lookup happens between the check and the connection.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.domain import webhooks
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer
from federation.stix.timestamps import format_timestamp
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import (
    Collection,
    ObjectVersion,
    Organisation,
    RoutingSettings,
    WebhookDelivery,
)
from federation.storage.visibility import visible_versions

log = logging.getLogger(__name__)

# How long a claimed delivery is left to its worker before another may retry it.
LEASE = timedelta(minutes=5)
TIMEOUT_SECONDS = 10.0

# (checked target, body, headers, timeout) -> HTTP status; raises OSError when
# no answer came.
Sender = Callable[[webhooks.Target, bytes, dict[str, str], float], int]


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :func:`deliver_pending` pass did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    # Why the deliveries that did not go through failed, one distinct reason each.
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    organisation_id: int
    collection_id: uuid.UUID
    stix_ids: list[str]
    attempts: int


def deliver_pending(
    session: Session,
    secret_key: str,
    *,
    limit: int = 100,
    now: datetime | None = None,
    send: Sender | None = None,
    timeout: float = TIMEOUT_SECONDS,
    allow_private: bool = False,
    resolve: webhooks.Resolver | None = None,
) -> DeliveryReport:
    """POST up to ``limit`` due deliveries and record each outcome.

    Unless ``allow_private``, a webhook whose host resolves (now, with
    ``resolve``, the system's resolver by default) to a loopback, private,
    link-local, metadata or otherwise non-public address is refused: the
    delivery is retried later with that reason, so a member cannot aim the
    hub at the operator's own network.
    """
    send = send or http_post
    resolver = resolve or system_resolve
    delivered = retrying = failed = 0
    reasons: dict[str, None] = {}
    for claimed in _claim(session, now or utcnow(), limit):
        error = _send(session, secret_key, claimed, send, timeout, resolver, allow_private)
        begin_write(session)
        row = session.get(WebhookDelivery, claimed.id)
        if row is None:  # its organisation left the hub meanwhile
            session.commit()
            continue
        row.attempts = claimed.attempts + 1
        finished = utcnow()
        if error is None:
            row.state, row.delivered_at, row.last_error = "delivered", finished, ""
            delivered += 1
        else:
            row.last_error = error[:500]
            reasons[row.last_error] = None
            if row.attempts >= webhooks.MAX_ATTEMPTS or error == _NO_WEBHOOK:
                row.state = "failed"
                failed += 1
            else:
                row.next_attempt_at = finished + webhooks.retry_delay(row.attempts)
                retrying += 1
            log.warning("webhook delivery %s failed (attempt %s): %s", row.id, row.attempts, error)
        session.commit()
    return DeliveryReport(delivered, retrying, failed, tuple(reasons))


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """A delivery as the operator sees it: to whom, how it went. No secrets, no objects."""

    id: int
    organisation: str
    state: str
    attempts: int
    object_count: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str


def list_deliveries(
    session: Session, *, state: str | None = None, limit: int = 100
) -> list[DeliveryInfo]:
    """The newest deliveries, optionally in one state (pending, delivered, failed)."""
    stmt = (
        select(WebhookDelivery, Organisation.name)
        .join(Organisation, Organisation.id == WebhookDelivery.organisation_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if state is not None:
        stmt = stmt.where(WebhookDelivery.state == state)
    return [
        DeliveryInfo(
            id=row.id,
            organisation=name,
            state=row.state,
            attempts=row.attempts,
            object_count=len(row.stix_ids),
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
        )
        for row, name in session.execute(stmt)
    ]


def _claim(session: Session, now: datetime, limit: int) -> list[_Claimed]:
    begin_write(session)
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for row in session.scalars(stmt):
        row.next_attempt_at = now + LEASE
        claimed.append(
            _Claimed(
                row.id, row.organisation_id, row.collection_id, list(row.stix_ids), row.attempts
            )
        )
    session.commit()
    return claimed


_NO_WEBHOOK = "the organisation has no webhook any more"


def _send(
    session: Session,
    secret_key: str,
    claimed: _Claimed,
    send: Sender,
    timeout: float,
    resolve: webhooks.Resolver,
    allow_private: bool,
) -> str | None:
    """POST one delivery to its checked target; the error, or None on a 2xx answer."""
    settings = session.get(RoutingSettings, claimed.organisation_id, populate_existing=True)
    if settings is None or not settings.webhook_url or not settings.webhook_secret:
        return _NO_WEBHOOK
    try:
        secret = webhooks.decrypt_secret(secret_key, settings.webhook_secret)
    except webhooks.SecretUnreadableError as exc:
        return str(exc)
    sent_at = utcnow()
    body = json.dumps(_payload(session, claimed, sent_at)).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Federation-hub-webhook/1",
        webhooks.SIGNATURE_HEADER: webhooks.signature(secret, body),
        webhooks.TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
    }
    url = settings.webhook_url
    session.commit()  # end the read before waiting on the member's server (or its DNS)
    try:
        target = webhooks.check_target(url, resolve, allow_private=allow_private)
    except webhooks.TargetRefusedError as exc:
        return str(exc)
    try:
        status = send(target, body, headers, timeout)
    except OSError as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None if 200 <= status < 300 else f"HTTP {status}"


def _payload(session: Session, claimed: _Claimed, sent_at: datetime) -> dict[str, Any]:
    org = session.get(Organisation, claimed.organisation_id)
    collection = session.get(Collection, claimed.collection_id)
    if org is None or collection is None:
        visible: list[str] = []
        root = None
    else:
        visible = _visible_ids(session, org, collection, claimed.stix_ids)
        root = collection.api_root.name
    return {
        "event": "routed",
        "delivery": claimed.id,
        "api_root": root,
        "collection": str(claimed.collection_id),
        "objects": visible,
        "timestamp": format_timestamp(sent_at),
    }


def _visible_ids(
    session: Session, org: Organisation, collection: Collection, stix_ids: list[str]
) -> list[str]:
    """The ids among ``stix_ids`` of which ``org`` may see a version in ``collection``."""
    viewer = Viewer(
        account_id=0,
        account_name="webhook",
        organisation_id=org.id,
        organisation_name=org.name,
        sector=org.sector,
        role="reader",
    )
    stmt = (
        select(ObjectVersion.stix_id)
        .where(
            ObjectVersion.collection_id == collection.id,
            ObjectVersion.stix_id.in_(stix_ids),
            visible_versions(viewer, Tlp.parse(collection.default_tlp)),
        )
        .distinct()
    )
    return sorted(session.scalars(stmt))


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to with the system's resolver, in its order."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(address[0]) for *_, address in answers]


def _connect(target: webhooks.Target, timeout: float) -> socket.socket:
    """A TCP connection to the first of the target's checked addresses that answers."""
    error: OSError = OSError(f"no address to connect to for {target.host}")
    for address in target.addresses:
        try:
            return socket.create_connection((str(address), target.port), timeout)
        except OSError as exc:
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the checked addresses; ``Host`` still names the member's host."""

    def __init__(self, target: webhooks.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target
        self._timeout = timeout

    def connect(self) -> None:
        self.sock = _connect(self._target, self._timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked addresses; SNI and the certificate check use the host name."""

    def __init__(self, target: webhooks.Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._target = target
        self._timeout = timeout

    def connect(self) -> None:
        raw = _connect(self._target, self._timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self._target.host)
        except BaseException:
            raw.close()
            raise


def http_post(target: webhooks.Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``target``'s checked addresses; the HTTP status.

    OSError when nothing answered. A redirect is not followed (it would be
    another, unchecked target): its status is the answer.
    """
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, timeout)
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, timeout)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        status: int = response.status
        # A member's endpoint may answer at length; the status is all we need.
        response.read(65536)
        return status
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer: {type(exc).__name__}") from None
    finally:
        connection.close()
