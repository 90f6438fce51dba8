"""Managing peer links, and reporting on them without ever showing a credential."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.domain.errors import (
    ConflictError,
    NotFoundError,
    UnprocessableError,
)
from federation.domain.peers import Direction, api_root_url, peer_max_tlp, peer_name
from federation.domain.roles import Role, Sector
from federation.domain.sealing import PeerCredentials, seal, unseal
from federation.domain.stewardship import require_hub_admin
from federation.domain.visibility import Viewer
from federation.peers.check import CHECK_TIMEOUT, LinkCheck, check_link
from federation.services.access import accounts, audit
from federation.services.access.collections import find_collection
from federation.services.transactions import commit_unique
from federation.stix.timestamps import format_timestamp
from federation.storage.base import utcnow
from federation.storage.models import (
    Account,
    AuditEvent,
    Collection,
    ObjectVersion,
    Organisation,
    Peer,
    PushFailure,
    Status,
)

DEFAULT_INTERVAL = 300


@dataclass(frozen=True, slots=True)
class PeerSettings:
    """What an operator gives to create a peer link."""

    name: str
    url: str
    collection: str
    local_collection: str
    direction: str = Direction.BOTH.value
    max_tlp: str = "green"
    trusted_amber: bool = False
    interval: int = DEFAULT_INTERVAL
    credentials: PeerCredentials = field(default_factory=PeerCredentials)
    organisation: str | None = None
    account: str | None = None


@dataclass(frozen=True, slots=True)
class PeerReport:
    """A peer as ``peer show --json``, ``/api/v1/peers`` and ``/metrics`` see it."""

    name: str
    url: str
    collection: str
    local_collection: str
    direction: str
    max_tlp: str
    trusted_amber: bool
    interval: int
    auth: str
    organisation: str
    account: str | None
    pull_checkpoint: str | None
    push_checkpoint: str | None
    last_attempt: str | None
    last_success: str | None
    last_error: str | None
    consecutive_failures: int
    next_attempt: str
    lag_objects: int | None
    lag_seconds: float | None
    pulled: int
    pushed: int
    failed: int
    rejected: int
    retry_pending: int
    syncing: bool
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["counters"] = {"pulled": self.pulled, "pushed": self.pushed, "failed": self.failed}
        return data


def add_peer(
    session: Session,
    secret_key: str,
    settings: PeerSettings,
    *,
    check: bool = False,
    timeout: float = CHECK_TIMEOUT,
) -> Peer:
    """Create a peer link; its credentials are stored sealed.

    With ``check`` the remote is asked first, as :func:`check_peer` does, and
    nothing is saved unless it answers as the link needs.
    """
    name = peer_name(settings.name)
    url = api_root_url(settings.url)
    remote_collection = settings.collection.strip()
    if not remote_collection or len(remote_collection) > 200 or "/" in remote_collection:
        raise UnprocessableError(
            "the remote collection is its id (or alias), without slashes",
            details={"collection": ["Its id or alias, without slashes."]},
        )
    try:
        direction = Direction(settings.direction)
    except ValueError:
        raise UnprocessableError(
            f"unknown direction {settings.direction[:40]!r}; choose one of: pull, push, both",
            details={"direction": ["Must be one of: pull, push, both."]},
        ) from None
    level = peer_max_tlp(settings.max_tlp, trusted_amber=settings.trusted_amber)
    if not 1 <= settings.interval <= 7 * 24 * 3600:
        raise UnprocessableError("the interval is 1 second to 7 days")
    creds = settings.credentials
    if creds.user is not None and not (creds.user and creds.password):
        raise UnprocessableError("HTTP Basic needs both a user and a password")
    if creds.user and creds.token:
        raise UnprocessableError("give either a user and password or a token, not both")
    if session.scalar(select(Peer.id).where(Peer.name == name)) is not None:
        raise ConflictError(f"a peer named {name!r} already exists")
    collection = find_collection(session, settings.local_collection)
    account = None
    if settings.account:
        account = accounts.account_named(session, settings.account)
        if account.role != Role.PEER:
            raise UnprocessableError(
                f"account {account.name!r} must have the peer role",
                details={"account": ["Must have the peer role."]},
            )
    if check:
        session.rollback()  # no transaction held open while the remote answers
        check_link(
            url,
            remote_collection,
            creds,
            pulls=direction.pulls,
            pushes=direction.pushes,
            timeout=timeout,
        )
    organisation = _organisation(session, settings.organisation, name)
    peer = Peer(
        name=name,
        api_root_url=url,
        remote_collection=remote_collection,
        local_collection_id=collection.id,
        direction=direction.value,
        max_tlp=level.label,
        trusted_amber=settings.trusted_amber,
        interval_seconds=settings.interval,
        auth_kind=creds.kind,
        sealed_credentials=seal(secret_key, creds) if creds.kind != "none" else "",
        organisation_id=organisation.id,
        account_id=account.id if account else None,
        next_attempt_at=utcnow(),
    )
    session.add(peer)
    commit_unique(session, f"a peer named {name!r} already exists")
    return peer


def check_peer(
    session: Session, secret_key: str, name: str, timeout: float = CHECK_TIMEOUT
) -> LinkCheck:
    """Ask the remote of a saved peer what :func:`add_peer` asks before saving one."""
    peer = peer_named(session, name)
    url, collection, direction = (
        peer.api_root_url,
        peer.remote_collection,
        Direction(peer.direction),
    )
    credentials = unseal(secret_key, peer.sealed_credentials) if peer.sealed_credentials else None
    session.rollback()  # no transaction held open while the remote answers
    return check_link(
        url,
        collection,
        credentials or PeerCredentials(),
        pulls=direction.pulls,
        pushes=direction.pushes,
        timeout=timeout,
    )


def _remove_unused_organisation(session: Session, org_id: int, peer_name: str) -> list[str]:
    """Remove the organisation ``add_peer`` made for a removed link (named after
    it, sector hub) when nothing else uses it: no account, no other link, no
    object it brought, no status of a post. Returns what was removed."""
    organisation = session.get(Organisation, org_id)
    if organisation is None or not (
        organisation.name == peer_name and organisation.sector == Sector.HUB.value
    ):
        return []
    for column in (
        Account.organisation_id,
        Peer.organisation_id,
        ObjectVersion.owner_organisation_id,
        Status.organisation_id,
    ):
        if session.scalar(select(func.count()).where(column == org_id)):
            session.rollback()
            return []
    session.delete(organisation)
    try:
        session.commit()
    except IntegrityError:
        # Something not checked above still names it: it stays.
        session.rollback()
        return []
    return [f"organisation {peer_name!r}"]


def peer_named(session: Session, name: str) -> Peer:
    """The peer called ``name`` or :class:`NotFoundError`."""
    peer = session.scalar(select(Peer).where(Peer.name == name))
    if peer is None:
        raise NotFoundError(f"no peer named {name[:100]!r}")
    return peer


def list_peers(session: Session) -> list[Peer]:
    """Every peer, by name."""
    return list(session.scalars(select(Peer).order_by(Peer.name)))


def report(session: Session, peer: Peer, now: datetime | None = None) -> PeerReport:
    """Everything an operator wants to know about a peer, credentials excepted."""
    now = now or utcnow()
    organisation = session.get(Organisation, peer.organisation_id)
    account = session.get(Account, peer.account_id) if peer.account_id else None
    retry_pending = session.scalar(
        select(func.count()).select_from(PushFailure).where(PushFailure.peer_id == peer.id)
    )
    lag_objects, lag_seconds = _lag(session, peer, now)
    return PeerReport(
        name=peer.name,
        url=peer.api_root_url,
        collection=peer.remote_collection,
        local_collection=str(peer.local_collection_id),
        direction=peer.direction,
        max_tlp=peer.max_tlp,
        trusted_amber=peer.trusted_amber,
        interval=peer.interval_seconds,
        auth=peer.auth_kind,
        organisation=organisation.name if organisation else "",
        account=account.name if account else None,
        pull_checkpoint=peer.pull_checkpoint,
        push_checkpoint=_time(peer.push_checkpoint),
        last_attempt=_time(peer.last_attempt_at),
        last_success=_time(peer.last_success_at),
        last_error=peer.last_error,
        consecutive_failures=peer.consecutive_failures,
        next_attempt=format_timestamp(peer.next_attempt_at),
        lag_objects=lag_objects,
        lag_seconds=lag_seconds,
        pulled=peer.pulled_count,
        pushed=peer.pushed_count,
        failed=peer.push_failed_count + peer.pull_rejected_count,
        rejected=peer.pull_rejected_count,
        retry_pending=retry_pending or 0,
        syncing=peer.lease_expires_at is not None and peer.lease_expires_at > now,
        created_at=format_timestamp(peer.created_at),
    )


def reports(session: Session) -> list[PeerReport]:
    """A report for every peer, by name."""
    now = utcnow()
    result = [report(session, peer, now) for peer in list_peers(session)]
    session.commit()
    return result


def audit_transfer(
    session: Session, peer: Peer, action: str, collection_id: uuid.UUID, count: int
) -> None:
    """Add an audit event for objects moved to or from a peer, in the caller's transaction.

    Written directly rather than through ``audit.record``: the actor is the
    peer link, which may have no local account, and the event must commit
    together with the objects and checkpoint it describes.
    """
    session.add(
        AuditEvent(
            account_id=peer.account_id,
            account_name=f"peer:{peer.name}"[:200],
            organisation_id=peer.organisation_id,
            action=action,
            collection_id=collection_id,
            object_count=count,
            detail=f"peer {peer.name} at {peer.api_root_url}"[:1000],
        )
    )


def _lag(session: Session, peer: Peer, now: datetime) -> tuple[int | None, float | None]:
    """Objects not yet pushed (and the age of the oldest), and time since the last full pull.

    TAXII cannot say how many objects a remote holds beyond our checkpoint, so
    the pull side reports time only: how long since a pull last reached the end.
    """
    lag_objects: int | None = None
    ages: list[float] = []
    if Direction(peer.direction).pushes:
        conditions = [ObjectVersion.collection_id == peer.local_collection_id]
        if peer.push_checkpoint is not None:
            conditions.append(ObjectVersion.date_added > peer.push_checkpoint)
        count, oldest = session.execute(
            select(func.count(), func.min(ObjectVersion.date_added)).where(*conditions)
        ).one()
        lag_objects = int(count)
        if oldest is not None:
            ages.append((now - _aware(oldest)).total_seconds())
    if Direction(peer.direction).pulls:
        if peer.pull_caught_up_at is None:
            return lag_objects, None
        ages.append((now - peer.pull_caught_up_at).total_seconds())
    return lag_objects, round(max(ages), 3) if ages else 0.0


def _aware(value: datetime | str) -> datetime:
    # func.min() loses the column type on SQLite and hands back text.
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=utcnow().tzinfo)
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


def _organisation(session: Session, name: str | None, peer_name: str) -> Organisation:
    if name:
        return accounts.organisation_named(session, name)
    existing = session.scalar(select(Organisation).where(Organisation.name == peer_name))
    if existing is not None:
        return existing
    return accounts.add_organisation(session, peer_name, Sector.HUB.value)


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def peer_viewer(session: Session, peer: Peer) -> Viewer:
    """The peer as a viewer: its organisation, its account if any (0 when none).

    Pulled versions are stored as this viewer's; pushed ones are shown as this
    viewer would see them.
    """
    organisation = session.get(Organisation, peer.organisation_id)
    if organisation is None:  # the foreign key has no cascade, so only a race gets here
        raise NotFoundError(f"the organisation of peer {peer.name!r} is gone")
    return Viewer(
        account_id=peer.account_id or 0,
        account_name=f"peer:{peer.name}",
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        sector=organisation.sector,
        role=Role.PEER.value,
        identity_id=organisation.identity_id,
    )


def collection_of(session: Session, peer: Peer) -> Collection:
    """The local collection a peer is paired with."""
    collection = session.get(Collection, peer.local_collection_id)
    if collection is None:  # the foreign key cascades, so only a race gets here
        raise NotFoundError(f"the local collection of peer {peer.name!r} is gone")
    return collection


# -- the REST API's use cases: hub admins only, audited ---------------------


def create_peer(
    session: Session,
    viewer: Viewer,
    secret_key: str,
    settings: PeerSettings,
    *,
    meta: audit.RequestMeta | None = None,
    check: bool = False,
    timeout: float = CHECK_TIMEOUT,
) -> PeerReport:
    """Create a peer link on behalf of a hub admin (asking the remote first with ``check``)."""
    require_hub_admin(viewer, "manage peers")
    peer = add_peer(session, secret_key, settings, check=check, timeout=timeout)
    audit.record(session, viewer, "peer.add", meta=meta, detail=peer.name)
    session.commit()
    return report(session, peer)


def peer_report(session: Session, viewer: Viewer, name: str) -> PeerReport:
    """One peer, for a hub admin."""
    require_hub_admin(viewer, "manage peers")
    result = report(session, peer_named(session, name))
    session.commit()
    return result


def peer_reports(session: Session, viewer: Viewer) -> list[PeerReport]:
    """Every peer, for a hub admin."""
    require_hub_admin(viewer, "manage peers")
    return reports(session)


def delete_peer(
    session: Session, viewer: Viewer, name: str, *, meta: audit.RequestMeta | None = None
) -> list[str]:
    """Remove a peer link on behalf of a hub admin, with its checkpoints and
    pending retries (the objects it brought stay), and the organisation made
    for it if now unused; returns what went besides the link."""
    require_hub_admin(viewer, "manage peers")
    peer = peer_named(session, name)
    organisation_id = peer.organisation_id
    audit.record(session, viewer, "peer.remove", meta=meta, detail=peer.name)
    session.delete(peer)
    session.commit()
    return _remove_unused_organisation(session, organisation_id, name)
