"""Pushing to a peer: only what its policy allows, pseudonymised, in envelopes that
fit, never back to where it came from, and failures retried."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.services.access import accounts, audit
from federation.services.objects.present import pseudonym
from federation.services.peering import push
from federation.storage.models import AuditEvent
from tests.peers.conftest import SECRET, FakeRemote, LocalHub, named


def marked(name: str, tlp: Tlp) -> dict[str, object]:
    return named(name, object_marking_refs=[TLP2_MARKING_IDS[tlp]])


def every_level(hub: LocalHub) -> None:
    hub.post(*(marked(level.label, level) for level in Tlp), named("unmarked"))


def test_a_green_peer_gets_clear_green_and_unmarked_green_versions_only(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="push")
    every_level(hub)

    result = hub.sync(peer_id)

    assert result.ok
    assert result.pushed == 3
    assert remote.received_names() == ["clear", "green", "unmarked"]
    assert hub.peer()["pushed"] == 3


def test_amber_leaves_only_for_a_peer_trusted_for_amber(hub: LocalHub, remote: FakeRemote) -> None:
    peer_id = hub.add_peer(direction="push", max_tlp="amber", trusted_amber=True)
    every_level(hub)

    hub.sync(peer_id)

    assert remote.received_names() == ["amber", "clear", "green", "unmarked"]


def test_versions_pulled_from_a_peer_are_never_pushed_back_to_it(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="both")
    remote.add_remote(named("from the peer"))
    hub.post(named("ours"))

    hub.sync(peer_id)
    hub.sync(peer_id)

    assert remote.received_names() == ["ours"]


def test_versions_pulled_from_one_peer_go_on_to_another(hub: LocalHub, remote: FakeRemote) -> None:
    from_b = hub.add_peer("hub-b", direction="pull")
    to_c = hub.add_peer("hub-c", direction="push")
    remote.add_remote(named("relayed"))

    hub.sync(from_b)
    hub.sync(to_c)

    assert remote.received_names() == ["relayed"]


def test_unattributed_versions_leave_under_a_pseudonym(hub: LocalHub, remote: FakeRemote) -> None:
    peer_id = hub.add_peer(direction="push")
    secret_post = named(
        "anonymous tip",
        created_by_ref=hub.member.identity_id,
        x_federation_unattributed=True,
    )
    hub.post(secret_post)

    hub.sync(peer_id)

    (sent,) = remote.received
    assert sent["created_by_ref"] == pseudonym(SECRET, secret_post["id"])
    assert hub.member.identity_id not in str(sent)


def test_envelopes_stay_under_the_remote_max_content_length(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="push")
    remote.max_length = 2500
    hub.post(*(named(f"object {i}") for i in range(12)))

    result = hub.sync(peer_id)

    assert result.pushed == 12
    assert len(remote.envelopes) > 1
    assert sum(remote.envelopes) == 12


def test_an_object_larger_than_the_remote_accepts_is_recorded_as_failed(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="push")
    remote.max_length = 2000
    hub.post(named("small"), named("huge", description="x" * 3000))

    result = hub.sync(peer_id)

    assert result.pushed == 1
    assert result.push_failed == 1
    assert hub.peer()["retry_pending"] == 1


def test_refused_versions_are_retried_on_later_passes_until_accepted(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="push")
    refused = named("refused at first")
    remote.refuse_ids.add(refused["id"])
    hub.post(named("accepted"), refused)

    first = hub.sync(peer_id)

    assert (first.pushed, first.push_failed) == (1, 1)
    report = hub.peer()
    assert report["retry_pending"] == 1
    assert report["failed"] == 1
    assert report["lag_objects"] == 0

    remote.refuse_ids.clear()
    second = hub.sync(peer_id)

    assert (second.pushed, second.push_failed) == (1, 0)
    assert remote.received_names() == ["accepted", "refused at first"]
    assert hub.peer()["retry_pending"] == 0


def test_retries_stop_after_the_last_attempt_but_stay_visible(
    hub: LocalHub, remote: FakeRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(push, "MAX_ATTEMPTS", 2)
    peer_id = hub.add_peer(direction="push")
    refused = named("always refused")
    remote.refuse_ids.add(refused["id"])
    hub.post(refused)

    for _ in range(4):
        hub.sync(peer_id)

    assert len(remote.envelopes) == 2
    assert hub.peer()["retry_pending"] == 1


def test_a_push_pass_moves_the_checkpoint_so_nothing_is_sent_twice(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="push")
    hub.post(named("first"))
    hub.sync(peer_id)
    hub.post(named("second"))

    hub.sync(peer_id)
    hub.sync(peer_id)

    assert remote.received_names() == ["first", "second"]
    assert hub.peer()["push_checkpoint"] is not None


def test_new_versions_and_revocations_propagate(hub: LocalHub, remote: FakeRemote) -> None:
    peer_id = hub.add_peer(direction="push")
    original = named("changing")
    hub.post(original)
    hub.sync(peer_id)
    hub.post({**original, "modified": "2024-02-01T00:00:00.000Z", "revoked": True})

    hub.sync(peer_id)

    assert [d.get("revoked", False) for d in remote.received] == [False, True]


def test_lag_counts_local_versions_not_yet_pushed(hub: LocalHub, remote: FakeRemote) -> None:
    hub.add_peer(direction="push")
    hub.post(named("waiting"), named("also waiting"))

    report = hub.peer()

    assert report["lag_objects"] == 2
    assert report["lag_seconds"] is not None


def test_pulls_and_pushes_are_audited_with_the_peer_as_actor(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="both")
    remote.add_remote(named("in"))
    hub.post(named("out"))

    hub.sync(peer_id)

    with hub.db.session() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.object_count, AuditEvent.account_name).where(
                AuditEvent.action.like("peer.%")
            )
        ).all()
    assert sorted(tuple(e) for e in events) == [
        ("peer.pull", 1, "peer:hub-b"),
        ("peer.push", 1, "peer:hub-b"),
    ]


def test_owners_see_the_peer_sector_among_those_that_received_their_incidents(
    hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer(direction="push")
    hub.post(named("shared"), named("also shared"))

    hub.sync(peer_id)

    with hub.db.session() as session:
        owner = accounts.organisation_named(session, hub.member.organisation)
        receipts = audit.receipts(session, owner.id)
    assert [(r.sector, r.objects) for r in receipts] == [("hub", 2)]
