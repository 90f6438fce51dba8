"""Pulling from a peer: provenance, checkpoints that survive failures, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from federation.services.peering import sync
from federation.storage.models import ObjectVersion, Organisation, Peer
from tests.peers.conftest import FakeRemote, LocalHub, named


def stored(hub: LocalHub) -> list[ObjectVersion]:
    with hub.db.session() as session:
        return list(session.scalars(select(ObjectVersion).order_by(ObjectVersion.date_added)))


def test_pulled_objects_are_owned_by_the_peer_organisation_and_name_the_peer(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="pull")
    remote.add_remote(named("one"), named("two"))

    result = hub.sync(peer_id)

    assert result.ok
    assert result.pulled == 2
    rows = stored(hub)
    assert [r.document["name"] for r in rows] == ["one", "two"]
    with hub.db.session() as session:
        organisation = session.scalars(
            select(Organisation).where(Organisation.name == "hub-b")
        ).one()
        assert organisation.sector == "hub"
    assert {(r.source_peer, r.owner_organisation_id) for r in rows} == {("hub-b", organisation.id)}
    assert hub.peer()["pull_checkpoint"] == remote.objects[-1][0]


def test_a_second_pull_asks_only_for_what_was_added_after_the_checkpoint(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="pull")
    remote.add_remote(named("one"))
    hub.sync(peer_id)
    remote.add_remote(named("two"))

    result = hub.sync(peer_id)

    assert result.pulled == 1
    assert remote.page_requests == [None, remote.objects[0][0]]
    assert [r.document["name"] for r in stored(hub)] == ["one", "two"]


def test_objects_already_held_are_a_no_op_not_a_duplicate(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="pull")
    same = named("shared")
    hub.post(same)
    remote.add_remote(same)

    result = hub.sync(peer_id)

    assert result.ok
    assert result.received == 1
    assert result.pulled == 0
    assert len(stored(hub)) == 1


def test_a_failure_between_pages_loses_nothing_and_repeats_nothing(
    hub: LocalHub, remote: FakeRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "PULL_PAGE_LIMIT", 2)
    peer_id = hub.add_peer(direction="pull")
    remote.add_remote(*(named(f"object {i}") for i in range(5)))
    remote.fail_after_pages = 2

    failed = hub.sync(peer_id)

    assert not failed.ok
    assert "HTTP 500" in (failed.error or "")
    assert len(stored(hub)) == 4
    assert hub.peer()["pull_checkpoint"] == remote.objects[3][0]

    remote.fail_after_pages = None
    recovered = hub.sync(peer_id)

    assert recovered.ok
    assert recovered.received == 1
    assert remote.page_requests[-1] == remote.objects[3][0]
    names = [r.document["name"] for r in stored(hub)]
    assert names == [f"object {i}" for i in range(5)]


def test_remote_objects_that_fail_validation_are_counted_and_passed_over(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="pull")
    broken = named("broken")
    del broken["pattern"]
    remote.add_remote(named("good"), broken)

    result = hub.sync(peer_id)

    assert result.ok
    assert result.pulled == 1
    assert result.rejected == 1
    report = hub.peer()
    assert report["rejected"] == 1
    assert report["failed"] == 1
    assert report["pull_checkpoint"] == remote.objects[-1][0]


def test_a_pull_only_peer_pushes_nothing(hub: LocalHub, remote: FakeRemote) -> None:
    peer_id = hub.add_peer(direction="pull")
    hub.post(named("local"))

    hub.sync(peer_id)

    assert remote.received == []
    assert hub.peer()["lag_objects"] is None


def test_pulled_objects_count_towards_the_peer_counters(hub: LocalHub, remote: FakeRemote) -> None:
    peer_id = hub.add_peer(direction="pull")
    remote.add_remote(named("a"), named("b"), named("c"))

    hub.sync(peer_id)
    hub.sync(peer_id)

    report = hub.peer()
    assert report["pulled"] == 3
    assert report["counters"]["pulled"] == 3
    assert report["last_success"] is not None
    assert report["last_error"] is None
    with hub.db.session() as session:
        peer = session.get(Peer, peer_id)
        assert peer is not None
        assert peer.lease_owner is None


def test_a_pass_follows_the_remote_cursor_through_objects_sharing_one_date_added(
    hub: LocalHub, remote: FakeRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "PULL_PAGE_LIMIT", 2)
    remote.gives_cursors = True
    peer_id = hub.add_peer(direction="pull")
    remote.add_remote(*(named(f"batch {i}") for i in range(5)), same_date_added=True)

    result = hub.sync(peer_id)

    assert result.pulled == 5
    assert remote.page_requests == [None, None, None]
