"""Routing at ingest: deliver what names a member's network to that member.

Called by :func:`federation.services.ingest.add_objects` for the versions a
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
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, insert, or_, select, update
from sqlalchemy.orm import Session

from federation.domain.routing import Names, RoutingTable, names_in_request, parse_claim
from federation.domain.routing import route as plan_routes
from federation.storage.base import utcnow
from federation.storage.models import (
    AuditEvent,
    Collection,
    CollectionGrant,
    ObjectRecipient,
    ObjectVersion,
    Organisation,
    OrganisationNetwork,
    RoutingSettings,
    WebhookDelivery,
)
from federation.storage.objects import existing_versions

_TICK = timedelta(microseconds=1)


class RoutableVersion(Protocol):
    """A version being stored: its ``object_versions`` row and its recipients."""

    row: dict[str, Any]
    recipients: list[int]


def route_versions(
    session: Session, collection: Collection, versions: Sequence[RoutableVersion]
) -> None:
    """Route the versions a request is storing into ``collection``.

    Adds each routed owner to ``version.recipients`` (the caller stores those
    with the version) and stores the inbox copies and webhook deliveries in the
    session's transaction; the caller commits.
    """
    if not versions or not _any_claims(session) or _is_inbox(session, collection.id):
        return
    documents = [v.row["document"] for v in versions]
    named = names_in_request(documents)
    if not named:
        return
    table = _routing_table(session, named.values())
    poster = versions[0].row["owner_organisation_id"]
    plan = plan_routes(documents, table, poster, named)
    for owner in sorted(plan):
        ids = plan[owner]
        routed = [v for v in versions if v.row["stix_id"] in ids and not v.row["withheld"]]
        for version in routed:
            if owner not in version.recipients:
                version.recipients.append(owner)
        _deliver(session, owner, collection, routed)


def _any_claims(session: Session) -> bool:
    # A hub where nobody declared a network pays one indexed probe per request.
    return session.scalar(select(OrganisationNetwork.id).limit(1)) is not None


def _is_inbox(session: Session, collection_id: uuid.UUID) -> bool:
    stmt = select(RoutingSettings.organisation_id).where(
        RoutingSettings.inbox_collection_id == collection_id
    )
    return session.scalar(stmt.limit(1)) is not None


def _routing_table(session: Session, names: Iterable[Names]) -> RoutingTable[int]:
    """The declared claims that can match ``names``: every prefix, and the named ASNs.

    Members declare one or a few prefixes each, so loading them all is cheaper
    than one range query per address.
    """
    wanted = list(names)
    conditions: list[ColumnElement[bool]] = []
    if any(item.networks for item in wanted):
        conditions.append(OrganisationNetwork.kind == "prefix")
    asns = sorted({f"AS{asn}" for item in wanted for asn in item.asns})
    if asns:
        conditions.append(OrganisationNetwork.value.in_(asns))
    stmt = select(OrganisationNetwork.value, OrganisationNetwork.organisation_id)
    claims = [
        (parse_claim(value), owner)
        for value, owner in session.execute(stmt.where(or_(*conditions)))
    ]
    return RoutingTable.of(claims)


def _deliver(
    session: Session, owner: int, source: Collection, routed: list[RoutableVersion]
) -> None:
    """Store ``routed`` in ``owner``'s inbox and queue its webhook delivery."""
    if not routed:
        return
    settings, inbox_id = _inbox(session, owner, source)
    last_added = session.execute(
        select(Collection.last_date_added).where(Collection.id == inbox_id).with_for_update()
    ).scalar_one()
    held = existing_versions(session, inbox_id, sorted({v.row["stix_id"] for v in routed}))
    now = utcnow()
    date_added = max(now, last_added + _TICK) if last_added else now
    rows: list[dict[str, Any]] = []
    recipients: list[list[int]] = []
    for version in routed:
        seen = held.setdefault(version.row["stix_id"], [])
        if version.row["version"] in seen:
            continue
        seen.append(version.row["version"])
        rows.append(version.row | {"collection_id": inbox_id, "date_added": date_added})
        recipients.append(sorted(set(version.recipients) | {owner}))
        date_added += _TICK
    if not rows:
        return
    stmt = insert(ObjectVersion).returning(ObjectVersion.pk, sort_by_parameter_order=True)
    pks = list(session.scalars(stmt, rows))
    session.execute(
        insert(ObjectRecipient),
        [
            {"version_pk": pk, "organisation_id": org}
            for pk, orgs in zip(pks, recipients, strict=True)
            for org in orgs
        ],
    )
    session.execute(
        update(Collection)
        .where(Collection.id == inbox_id)
        .values(last_date_added=rows[-1]["date_added"])
    )
    # Audited like any write of objects (invariant 8), in the poster's log:
    # the poster learns that its report reached the responsible member, not who.
    session.add(
        AuditEvent(
            # The hub acts here, on the poster's behalf.
            account_id=None,
            account_name="hub routing",
            organisation_id=routed[0].row["owner_organisation_id"],
            action="routing.deliver",
            collection_id=inbox_id,
            object_count=len(rows),
            detail="delivered to the inbox of the member responsible for the network",
        )
    )
    if settings.webhook_url:
        session.add(
            WebhookDelivery(
                organisation_id=owner,
                collection_id=inbox_id,
                stix_ids=sorted({row["stix_id"] for row in rows}),
                next_attempt_at=now,
            )
        )


def _inbox(session: Session, owner: int, source: Collection) -> tuple[RoutingSettings, uuid.UUID]:
    """The owner's routing settings, locked, and its inbox collection (made on first use).

    The settings row is locked first, so two requests routing to a member for
    the first time make one inbox, not two.
    """
    settings = session.get(RoutingSettings, owner, with_for_update=True)
    if settings is None:
        # Declaring a network makes the settings row, so this is only for
        # networks stored some other way.
        settings = RoutingSettings(organisation_id=owner)
        session.add(settings)
        session.flush()
    if settings.inbox_collection_id is not None:
        return settings, settings.inbox_collection_id
    org = session.get(Organisation, owner)
    name = org.name if org is not None else str(owner)
    inbox = Collection(
        id=uuid.uuid4(),
        api_root_id=settings.inbox_api_root_id or source.api_root_id,
        title=f"Routed to {name}",
        description="Incidents naming this organisation's networks, delivered by the hub.",
        default_tlp="amber",
        grants=[CollectionGrant(access="read", subject=f"org:{owner}")],
    )
    session.add(inbox)
    session.flush()
    settings.inbox_collection_id = inbox.id
    return settings, inbox.id
