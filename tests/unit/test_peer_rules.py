"""Federation rules without a database: what may be pushed, backoff, sealed credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.domain.errors import UnprocessableError
from federation.domain.peers import (
    Direction,
    PushCandidate,
    PushPolicy,
    may_push,
    next_attempt,
    peer_max_tlp,
    retry_delay,
)
from federation.domain.sealing import PeerCredentials, SealedCredentialsError, seal, unseal
from federation.domain.tlp import Tlp

GREEN_PEER = PushPolicy(peer_name="hub-b", max_tlp=Tlp.GREEN, trusted_amber=False)
AMBER_PEER = PushPolicy(peer_name="hub-b", max_tlp=Tlp.AMBER, trusted_amber=True)


def local(tlp: Tlp | None, **facts: object) -> PushCandidate:
    values: dict[str, object] = {
        "tlp": tlp,
        "withheld": False,
        "source_peer": None,
        "source_account_id": 7,
    }
    values.update(facts)
    return PushCandidate(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("tlp", [Tlp.CLEAR, Tlp.GREEN])
def test_clear_and_green_versions_go_to_a_green_peer(tlp: Tlp) -> None:
    assert may_push(GREEN_PEER, local(tlp), Tlp.AMBER)


@pytest.mark.parametrize("policy", [GREEN_PEER, AMBER_PEER])
@pytest.mark.parametrize("tlp", [Tlp.AMBER_STRICT, Tlp.RED])
def test_amber_strict_and_red_never_leave_whatever_the_peer(policy: PushPolicy, tlp: Tlp) -> None:
    assert not may_push(policy, local(tlp), Tlp.CLEAR)


def test_amber_goes_only_to_a_peer_trusted_for_amber() -> None:
    assert not may_push(GREEN_PEER, local(Tlp.AMBER), Tlp.CLEAR)
    assert may_push(AMBER_PEER, local(Tlp.AMBER), Tlp.CLEAR)
    untrusted_but_amber = PushPolicy(peer_name="x", max_tlp=Tlp.AMBER, trusted_amber=False)
    assert not may_push(untrusted_but_amber, local(Tlp.AMBER), Tlp.CLEAR)


def test_a_clear_only_peer_gets_no_green() -> None:
    clear_peer = PushPolicy(peer_name="hub-b", max_tlp=Tlp.CLEAR, trusted_amber=False)
    assert may_push(clear_peer, local(Tlp.CLEAR), Tlp.AMBER)
    assert not may_push(clear_peer, local(Tlp.GREEN), Tlp.AMBER)


def test_unmarked_versions_take_the_collection_default() -> None:
    assert may_push(GREEN_PEER, local(None), Tlp.GREEN)
    assert not may_push(GREEN_PEER, local(None), Tlp.AMBER)
    assert not may_push(AMBER_PEER, local(None), Tlp.RED)


def test_withheld_identities_never_leave() -> None:
    assert not may_push(AMBER_PEER, local(Tlp.CLEAR, withheld=True), Tlp.CLEAR)


def test_a_version_pulled_from_a_peer_is_not_pushed_back_to_it() -> None:
    from_b = local(Tlp.GREEN, source_peer="hub-b", source_account_id=None)
    assert not may_push(GREEN_PEER, from_b, Tlp.GREEN)
    other_peer = PushPolicy(peer_name="hub-c", max_tlp=Tlp.GREEN, trusted_amber=False)
    assert may_push(other_peer, from_b, Tlp.GREEN)


def test_a_version_the_peer_pushed_here_with_its_account_is_not_pushed_back() -> None:
    policy = PushPolicy(
        peer_name="hub-b", max_tlp=Tlp.GREEN, trusted_amber=False, peer_account_id=3
    )
    assert not may_push(policy, local(Tlp.GREEN, source_account_id=3), Tlp.GREEN)
    assert may_push(policy, local(Tlp.GREEN, source_account_id=4), Tlp.GREEN)
    assert may_push(policy, local(Tlp.GREEN, source_account_id=None), Tlp.GREEN)


def test_peer_max_tlp_is_green_or_clear_unless_trusted_for_amber() -> None:
    assert peer_max_tlp("green", trusted_amber=False) is Tlp.GREEN
    assert peer_max_tlp("white", trusted_amber=False) is Tlp.CLEAR
    assert peer_max_tlp("amber", trusted_amber=True) is Tlp.AMBER
    with pytest.raises(UnprocessableError, match="trusted"):
        peer_max_tlp("amber", trusted_amber=False)
    for never in ("amber+strict", "red"):
        with pytest.raises(UnprocessableError, match="never"):
            peer_max_tlp(never, trusted_amber=True)
    with pytest.raises(UnprocessableError):
        peer_max_tlp("purple", trusted_amber=False)


def test_directions_say_whether_they_pull_and_push() -> None:
    assert Direction.PULL.pulls
    assert not Direction.PULL.pushes
    assert Direction.PUSH.pushes
    assert not Direction.PUSH.pulls
    assert Direction.BOTH.pulls
    assert Direction.BOTH.pushes


def test_backoff_doubles_from_ten_seconds_up_to_the_interval() -> None:
    delays = [retry_delay(300, failures).total_seconds() for failures in range(1, 8)]
    assert delays == [10, 20, 40, 80, 160, 300, 300]


def test_backoff_never_exceeds_an_hour_even_for_long_intervals() -> None:
    assert retry_delay(86400, 30) == timedelta(hours=1)
    assert retry_delay(86400, 1000) == timedelta(hours=1)


def test_backoff_for_a_one_second_interval_stays_at_one_second() -> None:
    assert retry_delay(1, 5) == timedelta(seconds=1)


def test_next_attempt_is_one_interval_after_success_and_a_backoff_after_failure() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_attempt(now, 300, 0) == now + timedelta(seconds=300)
    assert next_attempt(now, 300, 2) == now + timedelta(seconds=20)


def test_sealed_credentials_open_with_the_same_secret_only() -> None:
    creds = PeerCredentials(user="hub-a", password="s3cret-token")
    sealed = seal("hub-secret", creds)
    assert "s3cret-token" not in sealed
    assert "hub-a" not in sealed
    assert unseal("hub-secret", sealed) == creds
    with pytest.raises(SealedCredentialsError, match="SECRET_KEY"):
        unseal("another-secret", sealed)


def test_credentials_never_show_their_secrets_in_repr() -> None:
    creds = PeerCredentials(token="bearer-secret")
    assert "bearer-secret" not in repr(creds)
    assert creds.kind == "bearer"
    assert PeerCredentials(user="u", password="p").kind == "basic"
    assert PeerCredentials().kind == "none"
    assert unseal("k", "") == PeerCredentials()
