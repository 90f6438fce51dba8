"""A worker SIGKILLed in the middle of a pull, then restarted, loses and repeats nothing.

Hub A pulls a few thousand objects from hub B (pages of 100) through a
recording proxy. The worker is killed as soon as some, but not all, pages are
committed; a new worker finishes the pull. The proxy shows that no object
committed before the crash was fetched again, and A ends with exactly B's set
of versions.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.e2e.faulty_proxy import FaultyProxy
from tests.e2e.federation_hubs import FederationHub
from tests.e2e.fleet import Fleet, PeerLink
from tests.helpers import scaled

pytestmark = pytest.mark.e2e

TITLE = "crash"
COUNT = 3000
DEADLINE = scaled(60.0)


@pytest.fixture
def proxy(fleet: Fleet) -> Iterator[FaultyProxy]:
    with FaultyProxy(fleet["b"].url) as proxy:
        yield proxy


@pytest.fixture
def link(fleet: Fleet, proxy: FaultyProxy) -> Iterator[PeerLink]:
    fleet.add_collection(TITLE, ("a", "b"))
    b = fleet["b"]
    b.post(TITLE, [b.incident("green") for _ in range(COUNT)])
    made = fleet.link(
        TITLE,
        {("a", "b"): ("--direction", "pull", "--interval", "1")},
        url={"b": proxy.rewrite(b.root_url)},
    )
    try:
        yield made[("a", "b")]
    finally:
        fleet.unlink(made.values())


def _held(hub: FederationHub) -> int:
    return len(hub.stored_versions(TITLE))


def test_worker_killed_mid_pull_and_restarted_loses_nothing_and_repeats_nothing(
    fleet: Fleet,
    proxy: FaultyProxy,
    link: PeerLink,
    workers: list[subprocess.Popen[str]],
) -> None:
    a, b = fleet["a"], fleet["b"]
    expected = Counter(stix_id for stix_id, _ in b.stored_versions(TITLE))
    assert len(expected) == COUNT

    first = a.start("worker", "--poll", "0.2")
    workers.append(first)
    deadline = time.monotonic() + DEADLINE
    while not 0 < _held(a) < COUNT:
        assert time.monotonic() < deadline, "the pull never got under way"
        assert first.poll() is None, first.communicate()
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    committed = {stix_id for stix_id, _ in a.stored_versions(TITLE)}
    assert 0 < len(committed) < COUNT, "the kill came too late to interrupt the pull"
    mark = len(proxy.exchanges)

    second = a.start("worker", "--poll", "0.2")
    workers.append(second)
    while _held(a) < COUNT:
        assert time.monotonic() < deadline, f"only {_held(a)} of {COUNT} after the restart"
        assert second.poll() is None, second.communicate()
        time.sleep(0.1)
    os.killpg(second.pid, signal.SIGTERM)
    assert second.wait(timeout=scaled(30)) == 0, "the worker stops cleanly on SIGTERM"

    stored = Counter(stix_id for stix_id, _ in a.stored_versions(TITLE))
    assert stored == expected
    fetched_again = {
        stix_id
        for exchange in proxy.since(mark)
        if exchange.method == "GET"
        for stix_id in exchange.object_ids
    }
    assert not fetched_again & committed
    assert fetched_again == set(expected) - committed
    shown = a.peer_show(link.name)
    assert shown["last_error"] is None
    assert shown["consecutive_failures"] == 0
