"""A peer that fails mid-pull is retried with backoff and, once it recovers, caught up.

Hub A pulls from hub C through a fault-injecting proxy; C serves pages of 100
and holds a few hundred objects. Each fault
strikes after one more page went through, so every failed pass has committed
something first. ``federation peer show --json`` shows the error, the count
of consecutive failures and a retry time that doubles; when the proxy heals,
one pass brings exactly the missing versions.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests

from tests.cli.console import METRICS_AUTH
from tests.e2e.faulty_proxy import Fault, FaultyProxy
from tests.e2e.federation_hubs import FederationHub
from tests.e2e.fleet import Fleet, PeerLink
from tests.helpers import scaled

pytestmark = pytest.mark.e2e

TITLE = "faults"
OBJECTS = 330
PAGE = 100
# Seconds the sync processes of this test wait for an answer (the setting
# PEER_TIMEOUT, 30 s by default), so a stall past the timeout costs seconds.
PEER_TIMEOUT = max(2, round(scaled(2)))


@pytest.fixture(scope="module")
def proxy(fleet: Fleet) -> Iterator[FaultyProxy]:
    with FaultyProxy(fleet["c"].url, stall_seconds=PEER_TIMEOUT * 5) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def link(fleet: Fleet, proxy: FaultyProxy) -> Iterator[PeerLink]:
    fleet.add_collection(TITLE, ("a", "c"))
    c = fleet["c"]
    c.post(TITLE, [c.incident("green") for _ in range(OBJECTS)])
    made = fleet.link(
        TITLE,
        {("a", "c"): ("--direction", "pull", "--interval", "3600")},
        url={"c": proxy.rewrite(c.root_url)},
    )
    try:
        yield made[("a", "c")]
    finally:
        fleet.unlink(made.values())


@pytest.fixture(scope="module")
def short_timeout() -> dict[str, str]:
    return {"FEDERATION_PEER_TIMEOUT": str(PEER_TIMEOUT)}


def _held(hub: FederationHub) -> int:
    return len(hub.stored_versions(TITLE))


def _failed_pass(
    hub: FederationHub, link: PeerLink, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    result = hub.cli("sync", "--peer", link.name, check=False, **env)
    return result, hub.peer_show(link.name)


def _metrics(hub: FederationHub) -> str:
    answer = requests.get(f"{hub.url}/metrics", headers=METRICS_AUTH, timeout=scaled(30))
    answer.raise_for_status()
    return answer.text


def _delay(shown: dict[str, object]) -> float:
    attempt = datetime.fromisoformat(str(shown["last_attempt"]))
    return (datetime.fromisoformat(str(shown["next_attempt"])) - attempt).total_seconds()


def test_peer_failing_mid_pull_is_retried_with_backoff_and_caught_up_without_loss(
    fleet: Fleet, proxy: FaultyProxy, link: PeerLink, short_timeout: dict[str, str]
) -> None:
    a, c = fleet["a"], fleet["c"]
    expected = Counter(c.stored_versions(TITLE))
    assert len(expected) == OBJECTS

    delays = []
    for failures, (fault, error) in enumerate(
        [
            (Fault.ERROR, r"\b500\b"),
            (Fault.DROP, r"hung up|broken|chunked|incomplete|connection"),
            (Fault.STALL, r"time"),
        ],
        start=1,
    ):
        proxy.arm(fault, after=1)
        result, shown = _failed_pass(a, link, short_timeout)
        assert result.returncode == 1, result.stdout
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.stderr
        assert link.name in errors[0]
        assert re.search(error, str(shown["last_error"]), re.IGNORECASE), shown["last_error"]
        assert shown["consecutive_failures"] == failures
        # The page before the fault was committed, the faulty one was not.
        assert _held(a) == failures * PAGE
        delays.append(_delay(shown))
        proxy.heal()
    # Backoff: each consecutive failure waits longer before the next attempt.
    assert delays == sorted(set(delays)), delays
    assert f'federation_peer_failures{{peer="{link.name}"}} 3.0' in _metrics(a)

    a.sync(link.name)
    shown = a.peer_show(link.name)
    assert shown["last_error"] is None
    assert shown["consecutive_failures"] == 0
    assert shown["last_success"] is not None
    stored = Counter(a.stored_versions(TITLE))
    assert stored == expected
    metrics = _metrics(a)
    assert f'federation_peer_failures{{peer="{link.name}"}} 0.0' in metrics
    assert f'federation_peer_last_success_timestamp{{peer="{link.name}"}}' in metrics
    pulled = (
        f'federation_peer_objects_total{{direction="pull",outcome="stored",peer="{link.name}"}}'
    )
    assert f"{pulled} {float(OBJECTS)}" in metrics


def test_pull_brings_every_version_added_since_the_last_pass_not_only_the_latest(
    fleet: Fleet, link: PeerLink
) -> None:
    a, c = fleet["a"], fleet["c"]
    first = c.incident("green", label="versioned")
    second = first | {"modified": "2026-03-01T00:00:00.000Z", "name": "revised"}
    revoked = first | {"modified": "2026-04-01T00:00:00.000Z", "revoked": True}
    c.post(TITLE, [first, second, revoked])

    a.sync(link.name)
    stored = [version for stix_id, version in a.stored_versions(TITLE) if stix_id == first["id"]]
    assert len(stored) == 3, stored
    assert Counter(a.stored_versions(TITLE)) == Counter(c.stored_versions(TITLE))
