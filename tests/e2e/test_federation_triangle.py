"""Hubs A, B and C in a triangle, each pulling from and pushing to the other two.

Every hub runs ``federation worker`` and is reached by the others through a
recording proxy, so the test sees the traffic itself: the hubs converge on one
set of versions (each hub's RED stays home), and then the triangle goes quiet,
the workers polling on their interval and getting only empty pages (DESIGN.md
"Federation rules": a version already held is a no-op, so loops die out).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.e2e.faulty_proxy import Exchange, FaultyProxy
from tests.e2e.fleet import Fleet, PeerLink
from tests.helpers import scaled

pytestmark = pytest.mark.e2e

TITLE = "triangle"
HUBS = ("a", "b", "c")
INTERVAL = 1
DEADLINE = scaled(60.0)
# Long enough for every link to poll at least twice on its 1 s interval.
QUIET_WINDOW = scaled(3.0)


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


def _traffic(proxies: dict[str, FaultyProxy], marks: dict[str, int]) -> list[Exchange]:
    return [exchange for name, proxy in proxies.items() for exchange in proxy.since(marks[name])]


def test_triangle_of_workers_converges_on_one_set_of_versions_and_goes_quiet(
    fleet: Fleet,
    proxies: dict[str, FaultyProxy],
    triangle: dict[tuple[str, str], PeerLink],
    workers: list[subprocess.Popen[str]],
) -> None:
    shared: set[str] = set()
    kept: dict[str, set[str]] = {}
    for name in HUBS:
        hub = fleet[name]
        objects = [hub.incident(level) for level in ("clear", "green", "green", "red")]
        hub.post(TITLE, objects)
        shared |= {o["id"] for o in objects[:3]}
        kept[name] = {objects[3]["id"]}
    expected = {name: shared | kept[name] for name in HUBS}

    workers.extend(fleet[name].start("worker", "--poll", "0.2") for name in HUBS)
    deadline = time.monotonic() + DEADLINE
    while True:
        held = {name: {v for v, _ in fleet[name].stored_versions(TITLE)} for name in HUBS}
        if held == expected:
            break
        assert time.monotonic() < deadline, f"no convergence in {DEADLINE:.0f} s: {held}"
        assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
        time.sleep(0.2)

    # Polls may still bring back versions already held (added to a remote
    # after the poller's checkpoint) for a moment; then only empty polls.
    while True:
        marks = {name: len(proxy.exchanges) for name, proxy in proxies.items()}
        time.sleep(QUIET_WINDOW)
        traffic = _traffic(proxies, marks)
        moved = [e for e in traffic if e.object_ids or e.method == "POST"]
        polls = [e for e in traffic if e.method == "GET" and "/objects/" in e.path]
        if not moved and len(polls) >= len(triangle):
            break
        assert time.monotonic() < deadline, f"not quiet: {moved[:3]}, {len(polls)} polls"
    assert all(e.status == 200 for e in traffic), traffic

    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    assert [worker.wait(timeout=scaled(30)) for worker in workers] == [0, 0, 0]
    for name in HUBS:
        stored = Counter(stix_id for stix_id, _ in fleet[name].stored_versions(TITLE))
        assert set(stored) == expected[name]
        assert set(stored.values()) == {1}, "no version is stored twice"
