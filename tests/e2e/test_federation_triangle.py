"""Hubs A, B and C in a triangle, each pulling from and pushing to the other two.

Every hub is reached through a recording proxy, so the test sees the traffic
itself: once the versions have converged, a sync round may only poll and get
empty pages (DESIGN.md "Federation rules": a version already held is a
no-op, so loops die out).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.e2e.faulty_proxy import Exchange, FaultyProxy
from tests.e2e.federation_hubs import Fleet, PeerLink, run_side_by_side

pytestmark = pytest.mark.e2e

TITLE = "triangle"
HUBS = ("a", "b", "c")
INTERVAL = 1
MAX_ROUNDS = 5


@pytest.fixture
def proxies(fleet: Fleet) -> Iterator[dict[str, FaultyProxy]]:
    with (
        FaultyProxy(fleet["a"].url) as a,
        FaultyProxy(fleet["b"].url) as b,
        FaultyProxy(fleet["c"].url) as c,
    ):
        yield {"a": a, "b": b, "c": c}


@pytest.fixture
def triangle(
    fleet: Fleet, proxies: dict[str, FaultyProxy]
) -> Iterator[dict[tuple[str, str], PeerLink]]:
    fleet.add_collection(TITLE, HUBS)
    links = fleet.link(
        TITLE,
        {(x, y): ("--interval", str(INTERVAL)) for x in HUBS for y in HUBS if x != y},
        url={name: proxy.rewrite(fleet[name].root_url) for name, proxy in proxies.items()},
    )
    try:
        yield links
    finally:
        fleet.unlink(links.values())


def _round(fleet: Fleet) -> None:
    """One ``federation sync`` on every hub at once, after every peer is due again."""
    time.sleep(INTERVAL)
    run_side_by_side((fleet[name], ("sync",)) for name in HUBS)


def _traffic(proxies: dict[str, FaultyProxy], marks: dict[str, int]) -> list[Exchange]:
    return [exchange for name, proxy in proxies.items() for exchange in proxy.since(marks[name])]


def test_triangle_converges_to_one_set_of_versions_and_goes_quiet(
    fleet: Fleet,
    proxies: dict[str, FaultyProxy],
    triangle: dict[tuple[str, str], PeerLink],
) -> None:
    shared: dict[str, set[str]] = {}
    kept: dict[str, set[str]] = {}
    for name in HUBS:
        hub = fleet[name]
        objects = [hub.incident(level) for level in ("clear", "green", "green", "red")]
        hub.post(TITLE, objects)
        shared[name] = {o["id"] for o in objects[:3]}
        kept[name] = {objects[3]["id"]}
    everything_shared = set().union(*shared.values())

    rounds = 0
    while rounds < MAX_ROUNDS:
        _round(fleet)
        rounds += 1
        held = {name: {v for v, _ in fleet[name].stored_versions(TITLE)} for name in HUBS}
        if all(held[name] == everything_shared | kept[name] for name in HUBS):
            break
    else:
        pytest.fail(f"no convergence after {MAX_ROUNDS} rounds: {held}")

    # Converged: every hub holds each shared version once, and its own RED.
    for name in HUBS:
        stored = Counter(stix_id for stix_id, _ in fleet[name].stored_versions(TITLE))
        assert set(stored) == everything_shared | kept[name]
        assert set(stored.values()) == {1}

    # Polls may still bring back versions already held (added to a remote
    # after this hub's checkpoint) for a round or two; then the triangle is
    # quiet: two rounds in a row with nothing but empty polls.
    quiet_rounds = 0
    for _ in range(4):
        marks = {name: len(proxy.exchanges) for name, proxy in proxies.items()}
        _round(fleet)
        traffic = _traffic(proxies, marks)
        carried = [e for e in traffic if e.object_ids]
        pushes = [e for e in traffic if e.method == "POST" and "/objects/" in e.path]
        quiet_rounds = quiet_rounds + 1 if not carried and not pushes else 0
        if quiet_rounds == 2:
            break
    assert quiet_rounds == 2, carried[:5]
    assert traffic, "a quiet round still polls every remote"
    assert all(e.status == 200 for e in traffic)

    for name in HUBS:
        stored = Counter(stix_id for stix_id, _ in fleet[name].stored_versions(TITLE))
        assert set(stored) == everything_shared | kept[name]
        assert set(stored.values()) == {1}
