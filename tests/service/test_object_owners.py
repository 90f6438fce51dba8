"""Who may version an object, through which link, and audit in the write's transaction.

STIX 2.1 section 3.6 on this hub: the creator of an object is the
organisation that added its first version here, or for an object pulled from
a peer, that peer's link (DESIGN.md invariant 1). A write and its audit event
commit together (invariant 8).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event, func, select

from federation.domain.roles import Role
from federation.domain.visibility import Viewer
from federation.services.access import accounts
from federation.services.access.collections import CollectionAccess
from federation.services.objects import ingest, transfer
from federation.services.objects.present import pseudonym
from federation.services.peering import peers
from federation.storage.database import Database
from federation.storage.models import AuditEvent, Collection, ObjectVersion, Status
from tests.conftest import Factory
from tests.helpers import indicator

V1 = "2024-01-01T00:00:00.000Z"
V2 = "2024-02-01T00:00:00.000Z"


def viewer_of(db: Database, factory: Factory, organisation: str) -> Viewer:
    member = factory.member(organisation)
    with db.session() as session:
        return accounts.viewer_for(accounts.account_named(session, member.account))


def peer_link(local: Viewer, name: str) -> Viewer:
    """The viewer a pull through peer ``name`` acts as (no local account)."""
    return replace(local, account_id=0, account_name=f"peer:{name}", role=Role.PEER.value)


def add(
    db: Database,
    viewer: Viewer,
    collection: str,
    objects: list[Any],
    *,
    source_peer: str | None = None,
    **options: Any,
) -> Status:
    with db.session() as session:
        stored = session.get(Collection, uuid.UUID(collection))
        assert stored is not None
        access = CollectionAccess(stored, can_read=True, can_write=True)
        return ingest.add_objects(
            session, viewer, access, objects, source_peer=source_peer, **options
        )


def outcome(status: Status) -> list[str | None]:
    """Per object: None for a fresh success, else its message."""
    entries = [*status.successes, *status.failures]
    return [entry.get("message") for entry in entries]


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection()


def test_an_object_pulled_from_a_peer_is_versioned_only_through_that_peers_link(
    db: Database, factory: Factory, collection: str
) -> None:
    local = viewer_of(db, factory, "Hub B members")
    through_b = peer_link(local, "hub-b")
    through_c = peer_link(local, "hub-c")
    original = indicator(modified=V1)
    newer = {**original, "modified": V2, "revoked": True}
    add(db, through_b, collection, [original], source_peer="hub-b")

    by_other_link = add(db, through_c, collection, [newer], source_peer="hub-c")
    by_local_member = add(db, local, collection, [newer])
    by_its_link = add(db, through_b, collection, [newer], source_peer="hub-b")

    assert by_other_link.failure_count == by_local_member.failure_count == 1
    assert "only its creator" in by_other_link.failures[0]["message"]
    assert by_its_link.success_count == 1
    assert outcome(by_its_link) == [None]
    with db.session() as session:
        peers = session.scalars(select(ObjectVersion.source_peer).order_by(ObjectVersion.pk))
        assert list(peers) == ["hub-b", "hub-b"]


def test_a_peers_pushes_and_this_hubs_pulls_from_it_are_one_link(
    db: Database, factory: Factory, collection: str
) -> None:
    account = factory.member("Hub B", sector="hub", role="peer")
    with db.session() as session:
        settings = peers.PeerSettings(
            name="hub-b",
            url="https://hub-b.example/taxii2/root/",
            collection="shared",
            local_collection=collection,
            organisation="Hub B",
            account=account.account,
        )
        peers.add_peer(session, "k", settings)
        pushing = accounts.viewer_for(accounts.account_named(session, account.account))
    original = indicator(modified=V1, created_by_ref=f"identity--{uuid.uuid4()}")

    pushed = add(db, pushing, collection, [original])
    pulled = add(
        db,
        peer_link(pushing, "hub-b"),
        collection,
        [{**original, "modified": V2}],
        source_peer="hub-b",
    )

    # Another hub relays others' objects: their authorship is not the link's.
    assert outcome(pushed) == [None]
    assert outcome(pulled) == [None]
    with db.session() as session:
        peers_of = session.scalars(select(ObjectVersion.source_peer).order_by(ObjectVersion.pk))
        assert list(peers_of) == ["hub-b", "hub-b"]


def test_a_peer_bringing_back_a_version_held_here_is_an_idempotent_success(
    db: Database, factory: Factory, collection: str
) -> None:
    member = viewer_of(db, factory, "Member ISP")
    obj = indicator(modified=V1)
    add(db, member, collection, [obj])

    relayed = add(db, peer_link(member, "hub-b"), collection, [obj], source_peer="hub-b")
    newer = add(
        db, peer_link(member, "hub-b"), collection, [{**obj, "modified": V2}], source_peer="hub-b"
    )

    # Loops die out (DESIGN.md "Federation rules"), but a peer never versions
    # a member's object.
    assert outcome(relayed) == ["already held"]
    assert newer.failure_count == 1


def test_an_unattributed_post_may_name_its_pseudonym_as_creator(
    db: Database, factory: Factory, collection: str
) -> None:
    poster = viewer_of(db, factory, "Quiet ISP")
    other = viewer_of(db, factory, "Other ISP")
    obj = indicator()
    named = {**obj, "created_by_ref": pseudonym("k", obj["id"])}
    foreign = indicator(created_by_ref=pseudonym("k", "indicator--somebody-elses"))
    mine = indicator(created_by_ref=poster.identity_id)
    others = indicator(created_by_ref=other.identity_id)

    status = add(
        db,
        poster,
        collection,
        [named, foreign, mine, others],
        unattributed=True,
        pseudonym=lambda stix_id: pseudonym("k", stix_id),
    )

    assert [s["id"] for s in status.successes] == [named["id"], mine["id"]]
    assert {f["id"] for f in status.failures} == {foreign["id"], others["id"]}
    assert all("created_by_ref" in f["message"] for f in status.failures)


# -- federation import: each chunk and its audit event commit together ---------------


@pytest.fixture
def audit_insert_fails() -> Iterator[None]:
    def refuse(*_args: Any) -> None:
        raise RuntimeError("the audit log cannot be written")

    event.listen(AuditEvent, "before_insert", refuse)
    yield
    event.remove(AuditEvent, "before_insert", refuse)


def imported(db: Database) -> tuple[int, list[int]]:
    with db.session() as session:
        versions = session.scalar(select(func.count()).select_from(ObjectVersion)) or 0
        events = session.scalars(
            select(AuditEvent.object_count)
            .where(AuditEvent.action == "cli.import")
            .order_by(AuditEvent.id)
        )
        return int(versions), list(events)


def run_import(db: Database, collection: str, objects: list[Any]) -> None:
    with db.session() as session:
        stored = session.get(Collection, uuid.UUID(collection))
        assert stored is not None
        viewer = accounts.operator_viewer(session)
        transfer.import_objects(session, viewer, stored, objects, chunk=2)


def test_an_import_stores_each_chunk_with_its_audit_event(
    db: Database, factory: Factory, collection: str
) -> None:
    run_import(db, collection, [indicator(), indicator(), indicator()])
    assert imported(db) == (3, [2, 1])


def test_an_import_whose_audit_event_fails_stores_nothing(
    db: Database, factory: Factory, collection: str, audit_insert_fails: None
) -> None:
    with pytest.raises(RuntimeError):
        run_import(db, collection, [indicator(), indicator(), indicator()])
    assert imported(db) == (0, [])
