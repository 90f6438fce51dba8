"""Routing at ingest: deliver what names a member's network to that member.

Called by :func:`federation.services.objects.ingest.add_objects` for the versions a
request newly stores, inside its write transaction, so routing commits with
the objects or not at all (DESIGN.md invariant 7). For each member owning an
address or AS number that an object names (longest-prefix match), it

* names the member a recipient of those versions, so AMBER+STRICT and RED
  reach it in the collection they were posted to;
* stores copies in the member's inbox collection (made on first use, readable
  by that member only): same owner, provenance, TLP and unattributed flag, the
  member added to the recipients. Versions already in the inbox are skipped
  (invariant 1) and date_added is handed out under the inbox's write lock
  (invariant 2);
* queues a webhook delivery if the member set a webhook.

Versions already held by the posted-to collection are not routed again; they
were routed, if at all, when first stored. Nothing is routed back to the
poster, and nothing is routed out of an inbox. The poster's withheld identity
never travels.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.domain.routing import RoutingTable, names_in_request, parse_claim
from federation.domain.routing import route as plan_routes
from federation.services.indexing.incidents import index_new_versions
from federation.storage.base import utcnow
from federation.storage.models import (
    AuditEvent,
    Collection,
    CollectionGrant,
    Organisation,
    OrganisationNetwork,
    RoutingSettings,
    WebhookDelivery,
)
from federation.storage.objects import HeldVersion, existing_versions
from federation.storage.versions import NewVersion, append_versions, lock_collection


def route_versions(
    session: Session,
    collection: Collection,
    versions: Sequence[NewVersion],
    request: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Route the versions a request is storing into ``collection``.

    ``request`` holds every valid object of the request, also those already
    held: they can still name an address (an ``ipv4-addr`` SCO posted before,
    which an observed-data or network-traffic of this request refers to) or
    link what is new to it. Only ``versions`` are delivered.

    Adds each routed owner to ``version.recipients`` (the caller stores those
    with the version) and stores the inbox copies, audit events and webhook
    deliveries in the session's transaction; the caller commits.
    """
    if not versions:
        return
    table = _routing_table(session)
    if table is None or _is_inbox(session, collection.id):
        return
    documents = list(request) or [v.document for v in versions]
    named = names_in_request(documents)
    if not named:
        return
    poster = versions[0].owner_organisation_id
    plan = plan_routes(documents, table, poster, named)
    deliveries: dict[int, list[NewVersion]] = {}
    for owner in sorted(plan):
        ids = plan[owner]
        routed = [v for v in versions if v.stix_id in ids and not v.withheld]
        for version in routed:
            if owner not in version.recipients:
                version.recipients.append(owner)
        if routed:
            deliveries[owner] = routed
    if deliveries:
        _deliver(session, collection, deliveries, documents)


def _is_inbox(session: Session, collection_id: uuid.UUID) -> bool:
    stmt = select(RoutingSettings.organisation_id).where(
        RoutingSettings.inbox_collection_id == collection_id
    )
    return session.scalar(stmt.limit(1)) is not None


# Routing tables built in this process, by database URL, with the fingerprint
# of the claims they were built from.
_tables: dict[str, tuple[tuple[Any, ...], RoutingTable[int]]] = {}


def _routing_table(session: Session) -> RoutingTable[int] | None:
    """Every approved claim as a routing table, or None when there is none.

    Pending and rejected claims route nothing: a claim needs the hub's word
    (``federation.services.routing.networks``). Building the table parses
    every claim (about 0.1 ms each), so it is kept and rebuilt only when the
    approved claims change: an add raises the count or the highest id, a
    removal lowers the count, a removal followed by an add shows in the
    newest creation time, and an approval in the newest decision time.
    Checking costs one aggregate query.
    """
    approved = OrganisationNetwork.state == "approved"
    fingerprint = tuple(
        session.execute(
            select(
                func.count(OrganisationNetwork.id),
                func.max(OrganisationNetwork.id),
                func.max(OrganisationNetwork.created_at),
                func.max(OrganisationNetwork.decided_at),
            ).where(approved)
        ).one()
    )
    if not fingerprint[0]:
        return None
    key = str(session.get_bind().engine.url)
    cached = _tables.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    stmt = select(OrganisationNetwork.value, OrganisationNetwork.organisation_id).where(approved)
    table = RoutingTable.of((parse_claim(value), owner) for value, owner in session.execute(stmt))
    _tables[key] = (fingerprint, table)
    return table


def _deliver(
    session: Session,
    source: Collection,
    deliveries: dict[int, list[NewVersion]],
    documents: Sequence[Mapping[str, Any]],
) -> None:
    """Store each owner's versions in its inbox, audit it and queue its webhook delivery.

    A handful of statements per owner: a feed of indicators can name
    addresses of a hundred members in one request.
    """
    owners = sorted(deliveries)
    settings = _settings_and_inboxes(session, source, owners)
    inboxes: dict[int, uuid.UUID] = {}
    for owner in owners:
        inbox_id = settings[owner].inbox_collection_id
        assert inbox_id is not None  # made by _settings_and_inboxes
        inboxes[owner] = inbox_id
    # Lock the inboxes in a fixed order, so two writers cannot deadlock, before
    # reading what they hold; append_versions takes each lock again (a no-op).
    for inbox in sorted(set(inboxes.values()), key=str):
        lock_collection(session, inbox)
    now = utcnow()
    for owner in owners:
        inbox = inboxes[owner]
        copies = _not_yet_delivered(session, inbox, owner, deliveries[owner])
        if not copies:
            continue
        append_versions(session, inbox, copies)
        # Inbox copies are versions like any other: a routed incident is
        # listed by the REST API from the inbox too.
        index_new_versions(session, inbox, copies, [dict(d) for d in documents])
        _record(session, copies[0], settings[owner], [c.stix_id for c in copies], now)


def _not_yet_delivered(
    session: Session, inbox: uuid.UUID, owner: int, routed: list[NewVersion]
) -> list[NewVersion]:
    """Copies for ``inbox`` of the versions it does not hold yet (invariant 1).

    A version is held when the inbox has the same id and version, or for an
    unversioned object (SCO), a copy from the same poster.
    """
    held = existing_versions(session, inbox, sorted({v.stix_id for v in routed}))
    copies: list[NewVersion] = []
    for version in routed:
        present = held.setdefault(version.stix_id, [])
        shared = version.created is None and version.modified is None
        if any(
            h.version == version.version
            or (shared and h.shared and h.owner_organisation_id == version.owner_organisation_id)
            for h in present
        ):
            continue
        copy = version.copy_to(inbox, owner)
        present.append(
            HeldVersion(copy.version, copy.version, copy.owner_organisation_id, None, shared)
        )
        copies.append(copy)
    return copies


def _settings_and_inboxes(
    session: Session, source: Collection, owners: list[int]
) -> dict[int, RoutingSettings]:
    """The owners' routing settings, locked, each with an inbox (made on first use).

    Locking the settings rows first means two requests routing to a member for
    the first time make one inbox, not two.
    """
    stmt = (
        select(RoutingSettings)
        .where(RoutingSettings.organisation_id.in_(owners))
        .order_by(RoutingSettings.organisation_id)
        .with_for_update()
        # A long-lived session (a CLI import) may hold these rows from an
        # earlier request; read what the lock protects, not that copy.
        .execution_options(populate_existing=True)
    )
    settings = {s.organisation_id: s for s in session.scalars(stmt)}
    for owner in owners:
        if owner not in settings:
            # Declaring a network makes the settings row, so this is only for
            # networks stored some other way.
            settings[owner] = RoutingSettings(organisation_id=owner)
            session.add(settings[owner])
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([o for o in owners if settings[o].inbox_collection_id is None])
            )
        ).all()
    )
    for owner in owners:
        if settings[owner].inbox_collection_id is not None:
            continue
        inbox = Collection(
            id=uuid.uuid4(),
            api_root_id=settings[owner].inbox_api_root_id or source.api_root_id,
            title=f"Routed to {names.get(owner, owner)}",
            description="Incidents naming this organisation's networks, delivered by the hub.",
            default_tlp="amber",
            grants=[CollectionGrant(access="read", subject=f"org:{owner}")],
        )
        session.add(inbox)
        settings[owner].inbox_collection_id = inbox.id
    session.flush()
    return settings


def _record(
    session: Session,
    sample: NewVersion,
    settings: RoutingSettings,
    stix_ids: list[str],
    now: datetime,
) -> None:
    """Audit one delivery and queue its webhook POST, in the add's transaction."""
    inbox = settings.inbox_collection_id
    assert inbox is not None
    # Audited like any write of objects (invariant 8), in the poster's log:
    # the poster learns that its report reached the responsible member, not who.
    session.add(
        AuditEvent(
            # The hub acts here, on the poster's behalf.
            account_id=None,
            account_name="hub routing",
            organisation_id=sample.owner_organisation_id,
            action="routing.deliver",
            collection_id=inbox,
            object_count=len(stix_ids),
            detail="delivered to the inbox of the member responsible for the network",
        )
    )
    if settings.webhook_url:
        session.add(
            WebhookDelivery(
                organisation_id=settings.organisation_id,
                collection_id=inbox,
                stix_ids=sorted(set(stix_ids)),
                next_attempt_at=now,
            )
        )
