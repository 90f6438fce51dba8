"""Routing at ingest: what names a member's network reaches it, in the add's transaction."""

from __future__ import annotations

import threading
import uuid
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import func, select

from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.domain.visibility import Viewer
from federation.services.access import accounts, collections
from federation.services.objects import ingest
from federation.services.routing import networks
from federation.storage.database import Database
from federation.storage.models import (
    AuditEvent,
    Collection,
    ObjectRecipient,
    ObjectVersion,
    RoutingSettings,
    WebhookDelivery,
)
from tests.conftest import Factory
from tests.helpers import ROOT, Member, indicator

RED = TLP2_MARKING_IDS[Tlp.RED]


def viewer_of(db: Database, member: Member) -> Viewer:
    with db.session() as session:
        return accounts.viewer_for(accounts.account_named(session, member.account))


def add(db: Database, viewer: Viewer, collection: str, objects: list[Any]) -> None:
    with db.session() as session:
        access = collections.collection_for(session, viewer, ROOT, collection)
        status = ingest.add_objects(session, viewer, access, objects)
        assert status.failure_count == 0, status.failures


def declare(db: Database, organisation: str, *claims: str) -> int:
    with db.session() as session:
        org_id = accounts.organisation_named(session, organisation).id
        for claim in claims:
            networks.add_network(session, None, org_id, claim)
        return org_id


def inbox_of(db: Database, org_id: int) -> uuid.UUID | None:
    with db.session() as session:
        settings = session.get(RoutingSettings, org_id)
        return settings.inbox_collection_id if settings else None


def rows_in(db: Database, collection: uuid.UUID | str | None) -> list[ObjectVersion]:
    if collection is None:
        return []
    with db.session() as session:
        stmt = (
            select(ObjectVersion)
            .where(ObjectVersion.collection_id == uuid.UUID(str(collection)))
            .order_by(ObjectVersion.date_added)
        )
        return list(session.scalars(stmt))


def recipients_of(db: Database, row: ObjectVersion) -> set[int]:
    with db.session() as session:
        stmt = select(ObjectRecipient.organisation_id).where(ObjectRecipient.version_pk == row.pk)
        return set(session.scalars(stmt))


def incident_bundle(address: str = "198.51.100.7", **extra: Any) -> list[dict[str, Any]]:
    """An incident, an indicator naming ``address``, their relationship, an unrelated indicator."""
    incident = {
        "type": "incident",
        "spec_version": "2.1",
        "id": f"incident--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "DDoS on a customer",
        **extra,
    }
    named = indicator(pattern=f"[ipv4-addr:value = '{address}']", **extra)
    link = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": f"relationship--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "relationship_type": "indicates",
        "source_ref": named["id"],
        "target_ref": incident["id"],
        **extra,
    }
    unrelated = indicator(pattern="[ipv4-addr:value = '203.0.113.99']", **extra)
    return [incident, named, link, unrelated]


@pytest.fixture
def poster(db: Database, factory: Factory) -> Viewer:
    return viewer_of(db, factory.member("Poster ISP"))


@pytest.fixture
def routed_org(db: Database, factory: Factory) -> int:
    factory.member("Routed ISP", role="reader")
    return declare(db, "Routed ISP", "198.51.100.0/24", "AS64500")


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


def test_an_incident_naming_a_members_address_reaches_its_inbox_with_what_goes_with_it(
    db: Database, poster: Viewer, routed_org: int, collection: str
) -> None:
    objects = incident_bundle(object_marking_refs=[RED])
    add(db, poster, collection, objects)

    inbox = rows_in(db, inbox_of(db, routed_org))
    assert {r.stix_id for r in inbox} == {o["id"] for o in objects[:3]}
    source = {r.stix_id: r for r in rows_in(db, collection)}
    for row in inbox:
        original = source[row.stix_id]
        assert row.document == original.document
        assert (row.owner_organisation_id, row.source_account_id) == (
            poster.organisation_id,
            poster.account_id,
        )
        assert (row.tlp, row.unattributed, row.withheld) == (Tlp.RED, False, False)
        assert row.version == original.version
        assert recipients_of(db, row) == {routed_org}
        # The routed owner is a recipient in the posted-to collection too.
        assert recipients_of(db, original) == {routed_org}
    assert recipients_of(db, source[objects[3]["id"]]) == set()


def test_the_inbox_is_readable_by_the_routed_member_only(
    db: Database, factory: Factory, poster: Viewer, routed_org: int, collection: str
) -> None:
    add(db, poster, collection, incident_bundle())
    inbox = str(inbox_of(db, routed_org))
    routed = viewer_of(db, factory.member("Routed ISP", role="reader"))
    with db.session() as session:
        assert collections.collection_for(session, routed, ROOT, inbox).can_read
        with pytest.raises(Exception, match="no collection"):
            collections.collection_for(session, poster, ROOT, inbox)


def test_reposting_routes_nothing_twice_and_date_added_keeps_increasing(
    db: Database, poster: Viewer, routed_org: int, collection: str
) -> None:
    first = incident_bundle()
    add(db, poster, collection, first)
    add(db, poster, collection, first)
    add(db, poster, collection, incident_bundle("198.51.100.8"))

    inbox = rows_in(db, inbox_of(db, routed_org))
    assert len(inbox) == 6
    assert len({(r.stix_id, r.version) for r in inbox}) == 6
    assert all(a.date_added < b.date_added for a, b in pairwise(inbox))


def test_the_longest_declared_prefix_is_the_one_routed_to(
    db: Database, factory: Factory, poster: Viewer, routed_org: int, collection: str
) -> None:
    factory.member("Customer", sector="business", role="reader")
    customer = declare(db, "Customer", "198.51.100.0/28")
    add(db, poster, collection, incident_bundle("198.51.100.7"))
    add(db, poster, collection, incident_bundle("198.51.100.200"))

    assert len(rows_in(db, inbox_of(db, customer))) == 3
    routed = rows_in(db, inbox_of(db, routed_org))
    assert len(routed) == 3
    assert "198.51.100.200" in str([r.document for r in routed])


def test_nothing_is_routed_back_to_the_poster(
    db: Database, poster: Viewer, routed_org: int, collection: str
) -> None:
    own = declare(db, "Poster ISP", "203.0.113.0/24")
    add(db, poster, collection, incident_bundle("203.0.113.5"))
    assert inbox_of(db, own) is None
    assert inbox_of(db, routed_org) is None


def test_network_traffic_and_autonomous_systems_are_routed(
    db: Database, poster: Viewer, routed_org: int, collection: str
) -> None:
    address = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": f"ipv4-addr--{uuid.uuid4()}",
        "value": "192.0.2.1",
    }
    flow = {
        "type": "network-traffic",
        "spec_version": "2.1",
        "id": f"network-traffic--{uuid.uuid4()}",
        "dst_ref": address["id"],
        "protocols": ["tcp"],
    }
    system = {
        "type": "autonomous-system",
        "spec_version": "2.1",
        "id": f"autonomous-system--{uuid.uuid4()}",
        "number": 64500,
    }
    declare(db, "Poster ISP", "192.0.2.0/24")  # the flow's address is the poster's own
    add(db, poster, collection, [address, flow, system])
    assert {r.stix_id for r in rows_in(db, inbox_of(db, routed_org))} == {system["id"]}


def test_unattributed_posts_stay_unattributed_and_withheld_identities_stay_behind(
    db: Database, factory: Factory, routed_org: int, collection: str
) -> None:
    member = factory.member("Quiet ISP")
    quiet = viewer_of(db, member)
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": member.identity_id,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "Quiet ISP",
        "identity_class": "organization",
    }
    objects = incident_bundle(created_by_ref=member.identity_id, x_federation_unattributed=True)
    objects[2]["target_ref"] = identity["id"]  # the relationship's far end is the poster
    add(db, quiet, collection, [identity, *objects])

    inbox = rows_in(db, inbox_of(db, routed_org))
    assert {r.stix_id for r in inbox} == {objects[1]["id"], objects[2]["id"]}
    assert all(r.unattributed for r in inbox)


def test_a_webhook_delivery_is_queued_with_the_routed_objects(
    db: Database, poster: Viewer, routed_org: int, collection: str
) -> None:
    with db.session() as session:
        networks.set_webhook(
            session, None, routed_org, "http://127.0.0.1:9/hook", "k", allow_private=True
        )
    objects = incident_bundle()
    add(db, poster, collection, objects)
    add(db, poster, collection, objects)
    with db.session() as session:
        [delivery] = session.scalars(select(WebhookDelivery))
    assert delivery.organisation_id == routed_org
    assert delivery.collection_id == inbox_of(db, routed_org)
    assert delivery.stix_ids == sorted(o["id"] for o in objects[:3])
    assert delivery.state == "pending"


def test_a_failed_add_stores_neither_the_objects_nor_their_routing(
    db: Database,
    poster: Viewer,
    routed_org: int,
    collection: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with db.session() as session:
        networks.set_webhook(
            session, None, routed_org, "http://127.0.0.1:9/hook", "k", allow_private=True
        )

    def broken_store(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "append_versions", broken_store)
    with pytest.raises(RuntimeError):
        add(db, poster, collection, incident_bundle())
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ObjectVersion)) == 0
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert inbox_of(db, routed_org) is None


def test_a_delivery_is_audited_in_the_posters_log_without_naming_the_routed_member(
    db: Database, poster: Viewer, routed_org: int, collection: str
) -> None:
    add(db, poster, collection, incident_bundle())
    with db.session() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "routing.deliver"))
    assert event.organisation_id == poster.organisation_id
    assert (event.collection_id, event.object_count) == (inbox_of(db, routed_org), 3)
    assert "Routed ISP" not in event.detail


def test_concurrent_writers_routing_to_the_same_members_lose_and_repeat_nothing(
    db: Database, factory: Factory, routed_org: int
) -> None:
    factory.member("Second ISP", role="reader")
    second = declare(db, "Second ISP", "2001:db8::/32")
    writers = [viewer_of(db, factory.member(f"Writer {n}")) for n in range(4)]
    targets = [factory.collection() for _ in writers]
    errors: list[BaseException] = []
    start = threading.Barrier(len(writers))

    def write(viewer: Viewer, collection: str) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(5):
                pattern = "[ipv4-addr:value = '198.51.100.7' OR ipv6-addr:value = '2001:db8::7']"
                add(db, viewer, collection, [indicator(pattern=pattern) for _ in range(20)])
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=pair) for pair in zip(writers, targets, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for org in (routed_org, second):
        inbox = rows_in(db, inbox_of(db, org))
        assert len(inbox) == len({r.stix_id for r in inbox}) == 4 * 5 * 20
        assert all(a.date_added < b.date_added for a, b in pairwise(inbox))


def test_the_inbox_is_made_in_the_hubs_default_api_root_when_one_is_configured(
    db: Database, factory: Factory, poster: Viewer, collection: str
) -> None:
    factory.member("Routed ISP", role="reader")
    factory.root("inboxes")
    with db.session() as session:
        org_id = accounts.organisation_named(session, "Routed ISP").id
        networks.add_network(session, None, org_id, "198.51.100.0/24", inbox_root="inboxes")
    add(db, poster, collection, incident_bundle())
    with db.session() as session:
        info = networks.routing_info(session, None, org_id)
    assert info.inbox_api_root == "inboxes"
    assert len(rows_in(db, info.inbox_collection_id)) == 3


def test_new_objects_about_an_address_already_held_are_routed(
    db: Database, poster: Viewer, routed_org: int, collection: str
) -> None:
    address = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": f"ipv4-addr--{uuid.uuid4()}",
        "value": "198.51.100.9",
    }
    add(db, poster, collection, [address])
    observed = {
        "type": "observed-data",
        "spec_version": "2.1",
        "id": f"observed-data--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "first_observed": "2024-01-01T00:00:00Z",
        "last_observed": "2024-01-01T00:00:00Z",
        "number_observed": 1,
        "object_refs": [address["id"]],
    }
    add(db, poster, collection, [address, observed])
    inbox = rows_in(db, inbox_of(db, routed_org))
    # The address went when first posted; the observation follows it now.
    assert [r.stix_id for r in inbox] == [address["id"], observed["id"]]


def test_the_same_objects_posted_to_two_collections_reach_the_inbox_once(
    db: Database, factory: Factory, poster: Viewer, routed_org: int, collection: str
) -> None:
    objects = incident_bundle()
    add(db, poster, collection, objects)
    add(db, poster, factory.collection(title="Second"), objects)
    inbox = rows_in(db, inbox_of(db, routed_org))
    assert sorted(r.stix_id for r in inbox) == sorted(o["id"] for o in objects[:3])
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_a_long_lived_session_reuses_the_inbox_another_one_made(
    db: Database, factory: Factory, poster: Viewer, collection: str
) -> None:
    factory.member("Routed ISP", role="reader")
    with db.session() as long_lived:
        org_id = accounts.organisation_named(long_lived, "Routed ISP").id
        networks.add_network(long_lived, None, org_id, "198.51.100.0/24")
        settings = long_lived.get(RoutingSettings, org_id)  # held: no inbox yet
        add(db, poster, collection, incident_bundle())  # another session makes the inbox
        access = collections.collection_for(long_lived, poster, ROOT, collection)
        ingest.add_objects(long_lived, poster, access, incident_bundle())
        assert settings is not None
    with db.session() as session:
        inboxes = session.scalars(
            select(func.count()).where(Collection.title == "Routed to Routed ISP")
        )
        assert list(inboxes) == [1]
    assert len(rows_in(db, inbox_of(db, org_id))) == 6
