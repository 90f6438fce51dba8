"""Running sync passes: backoff on failure, due peers, the worker loop, exclusive leases."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import select, update

from federation.domain.errors import ConflictError
from federation.services.peering import leases, worker
from federation.storage.base import utcnow
from federation.storage.models import Peer
from tests.helpers import scaled
from tests.peers.conftest import SECRET, FakeRemote, LocalHub, named


def next_attempt(hub: LocalHub, peer_id: int) -> datetime:
    with hub.db.session() as session:
        value = session.scalar(select(Peer.next_attempt_at).where(Peer.id == peer_id))
        assert value is not None
        return value


def test_a_failing_peer_records_its_error_and_backs_off(hub: LocalHub, remote: FakeRemote) -> None:
    peer_id = hub.add_peer(interval=300)
    remote.unreachable = True

    delays = []
    for _ in range(3):
        before = utcnow()
        result = hub.sync(peer_id)
        delays.append(round((next_attempt(hub, peer_id) - before).total_seconds()))
        assert not result.ok

    assert delays == [10, 20, 40]
    report = hub.peer()
    assert report["consecutive_failures"] == 3
    assert "cannot connect" in report["last_error"]
    assert report["last_success"] is None


def test_a_recovered_peer_catches_up_and_returns_to_its_interval(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(interval=300)
    remote.unreachable = True
    hub.sync(peer_id)
    remote.unreachable = False
    remote.add_remote(named("waited"))

    before = utcnow()
    result = hub.sync(peer_id)

    assert result.ok
    assert result.pulled == 1
    assert round((next_attempt(hub, peer_id) - before).total_seconds()) == 300
    report = hub.peer()
    assert report["consecutive_failures"] == 0
    assert report["last_error"] is None


def test_a_pass_syncs_due_peers_only_but_a_named_peer_even_if_not_due(
    hub: LocalHub, remote: FakeRemote
) -> None:
    due = hub.add_peer("due", direction="pull")
    later = hub.add_peer("later", direction="pull")
    with hub.db.session() as session:
        session.execute(
            update(Peer).where(Peer.id == later).values(next_attempt_at=utcnow().replace(year=2100))
        )
        session.commit()

    results = worker.sync_due(hub.db.session, SECRET)
    assert [r.peer for r in results] == ["due"]
    assert worker.sync_due(hub.db.session, SECRET) == []

    named_results = worker.sync_due(hub.db.session, SECRET, peer_name="later")
    assert [r.peer for r in named_results] == ["later"]
    assert due != later


def test_a_named_sync_of_a_peer_another_worker_holds_fails_after_waiting(
    hub: LocalHub, remote: FakeRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "BUSY_WAIT_SECONDS", 0.2)
    peer_id = hub.add_peer()
    with hub.db.session() as session:
        assert leases.claim(session, peer_id, "elsewhere:1:abc", due_only=False)

    with pytest.raises(ConflictError, match="another worker"):
        worker.sync_due(hub.db.session, SECRET, peer_name="hub-b")


def test_a_lease_goes_to_one_claimant_until_released_or_expired(hub: LocalHub) -> None:
    peer_id = hub.add_peer()
    with hub.db.session() as session:
        assert leases.claim(session, peer_id, "host-x:1:a", due_only=True)
        assert not leases.claim(session, peer_id, "host-y:2:b", due_only=True)
        session.execute(
            update(Peer)
            .where(Peer.id == peer_id)
            .values(lease_expires_at=utcnow().replace(year=2000))
        )
        session.commit()
        assert leases.claim(session, peer_id, "host-y:2:b", due_only=True)


def test_a_lease_held_by_a_dead_process_on_this_host_is_taken_over(hub: LocalHub) -> None:
    peer_id = hub.add_peer()
    dead = leases.new_lease_owner().split(":")
    dead[-2] = "999999999"  # no such process
    with hub.db.session() as session:
        assert leases.claim(session, peer_id, ":".join(dead), due_only=True)
        assert leases.claim(session, peer_id, leases.new_lease_owner(), due_only=True)


def test_the_worker_syncs_due_peers_and_stops_when_asked(hub: LocalHub, remote: FakeRemote) -> None:
    hub.add_peer("first", direction="pull")
    hub.add_peer("second", direction="push")
    remote.add_remote(named("pulled by the worker"))
    hub.post(named("pushed by the worker"))
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run_worker, args=(hub.db.session, SECRET, stop), kwargs={"poll": 0.1}
    )

    thread.start()
    deadline = time.monotonic() + scaled(10)
    while time.monotonic() < deadline and not (
        hub.peer("first")["last_success"] and hub.peer("second")["last_success"]
    ):
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=scaled(10))

    assert not thread.is_alive()
    assert remote.received_names() == ["pulled by the worker", "pushed by the worker"]


@pytest.mark.postgres
def test_racing_workers_never_hold_the_same_peer_at_once(hub: LocalHub) -> None:
    peer_ids = [hub.add_peer(f"peer-{i}") for i in range(4)]
    start = threading.Barrier(8)
    won: dict[int, list[str]] = {peer_id: [] for peer_id in peer_ids}
    lock = threading.Lock()

    def race(owner: str) -> None:
        with hub.db.session() as session:
            start.wait()
            for peer_id in peer_ids:
                if leases.claim(session, peer_id, owner, due_only=True):
                    with lock:
                        won[peer_id].append(owner)

    threads = [threading.Thread(target=race, args=(f"host:{n}:w",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=scaled(30))

    assert all(len(owners) == 1 for owners in won.values()), won


@pytest.mark.postgres
def test_two_workers_share_the_peers_without_overlapping(
    hub: LocalHub, remote: FakeRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(6):
        hub.add_peer(f"peer-{i}", direction="pull")
    inside: dict[str, int] = {}
    overlaps: list[str] = []
    lock = threading.Lock()
    real_get_page = remote.get_page

    def slow_page(added_after: str | None, limit: int) -> object:
        name = threading.current_thread().name
        with lock:
            inside[name] = inside.get(name, 0)
        time.sleep(0.05)
        return real_get_page(added_after, limit)

    from federation.services.peering import sync

    real_sync = sync.sync_peer
    active: set[int] = set()

    def tracked(session: object, secret: str, peer_id: int, owner: str, **kw: object) -> object:
        with lock:
            if peer_id in active:
                overlaps.append(f"peer {peer_id}")
            active.add(peer_id)
        try:
            return real_sync(session, secret, peer_id, owner, **kw)  # type: ignore[arg-type]
        finally:
            with lock:
                active.discard(peer_id)

    monkeypatch.setattr(remote, "get_page", slow_page)
    monkeypatch.setattr(worker, "sync_peer", tracked)
    stop = threading.Event()
    workers = [
        threading.Thread(
            target=worker.run_worker, args=(hub.db.session, SECRET, stop), kwargs={"poll": 0.05}
        )
        for _ in range(2)
    ]
    for thread in workers:
        thread.start()
    deadline = time.monotonic() + scaled(20)
    while time.monotonic() < deadline and not all(
        hub.peer(f"peer-{i}")["last_success"] for i in range(6)
    ):
        time.sleep(0.05)
    stop.set()
    for thread in workers:
        thread.join(timeout=scaled(10))

    assert overlaps == []
    assert all(hub.peer(f"peer-{i}")["last_success"] for i in range(6))


def test_a_pass_stopped_between_pages_leaves_the_peer_due_for_the_rest(
    hub: LocalHub, remote: FakeRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    from federation.services.peering import sync

    monkeypatch.setattr(sync, "PULL_PAGE_LIMIT", 2)
    peer_id = hub.add_peer(direction="pull", interval=3600)
    remote.add_remote(*(named(f"object {i}") for i in range(6)))
    stop = threading.Event()
    owner = leases.new_lease_owner()

    with hub.db.session() as session:
        assert leases.claim(session, peer_id, owner, due_only=False)
        result = sync.sync_peer(
            session, SECRET, peer_id, owner, progress=lambda _line: stop.set(), stop=stop
        )

    assert result.ok
    assert result.interrupted
    # The page already fetched when the stop came is stored; no further one is asked for.
    assert result.received == 4
    assert next_attempt(hub, peer_id) <= utcnow()
    assert hub.peer()["last_success"] is None
    assert worker.sync_due(hub.db.session, SECRET)[0].received == 2
