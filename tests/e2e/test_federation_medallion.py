"""Interoperation with a TAXII 2.1 server that is not ours: the OASIS reference server.

medallion (memory backend, pages of 2, requests of at most 1,500 bytes, so a
push needs several envelopes) stands for a member's own TAXII server. Hub A
pulls from and pushes to one of its collections over a link that carries
GREEN: medallion's objects arrive once each, across its page boundaries, and
A's eligible objects land in medallion, the rest stay home. A second pass
after each side added one object brings just those.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.federation_hubs import TLP_LEVELS, FederationHub
from tests.e2e.fleet import Fleet
from tests.e2e.medallion_server import Medallion, medallion_server

pytestmark = pytest.mark.e2e

TITLE = "interop"
PEER = "member-medallion"
PAGE = 2
# Three of our indicators fit in one request, four do not.
MAX_CONTENT_LENGTH = 1500


@dataclass
class Interop:
    hub: FederationHub
    medallion: Medallion
    theirs: list[dict[str, Any]]
    ours: dict[str, dict[str, Any]]
    passes: list[subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def interop(fleet: Fleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Interop]:
    folder: Path = tmp_path_factory.mktemp("medallion")
    hub = fleet["a"]
    fleet.add_collection(TITLE, ("a",))
    with medallion_server(
        folder, max_page_size=PAGE, max_content_length=MAX_CONTENT_LENGTH
    ) as medallion:
        theirs = [hub.incident("green", label="from medallion") for _ in range(5)]
        # Three objects with one date_added: a page boundary falls inside them.
        medallion.post(theirs, batch=3)
        ours = {label: hub.incident(label) for label in TLP_LEVELS}
        hub.post(TITLE, list(ours.values()))
        identity, report = hub.unattributed_report()
        hub.post(TITLE, [identity, report], account="officer")
        ours |= {"identity": identity, "unattributed": report}
        hub.cli(
            "peer",
            "add",
            PEER,
            "--url",
            medallion.root_url,
            "--collection",
            medallion.collection_id,
            "--local-collection",
            hub.collections[TITLE],
            "--user",
            medallion.user,
            "--interval",
            "3600",
            FEDERATION_PEER_PASSWORD=medallion.password,
        )
        try:
            passes = [hub.sync(PEER, check=False)]
            later = hub.incident("green", label="later, from medallion")
            medallion.post([later])
            theirs.append(later)
            ours["green, later"] = hub.incident("green", label="later")
            hub.post(TITLE, [ours["green, later"]])
            passes.append(hub.sync(PEER, check=False))
            yield Interop(hub, medallion, theirs, ours, passes)
        finally:
            hub.cli("peer", "remove", PEER)


def test_passes_against_medallion_succeed(interop: Interop) -> None:
    assert [p.returncode for p in interop.passes] == [0, 0], [p.stderr for p in interop.passes]
    shown = interop.hub.peer_show(PEER)
    assert shown["last_error"] is None
    assert shown["organisation"] == PEER
    # medallion counts a version it already holds as a failure: none was sent back.
    assert shown["counters"]["failed"] == 0
    assert interop.medallion.password not in json.dumps(shown)


def test_pull_from_medallion_brings_each_version_once_across_its_pages(interop: Interop) -> None:
    stored = Counter(stix_id for stix_id, _ in interop.hub.stored_versions(TITLE))
    assert {o["id"]: stored[o["id"]] for o in interop.theirs} == {
        o["id"]: 1 for o in interop.theirs
    }
    provenance = interop.hub.provenance(TITLE)
    for obj in interop.theirs:
        for peer, _, organisation in provenance[obj["id"]]:
            assert (peer, organisation) == (PEER, PEER)


def test_push_to_medallion_sends_what_the_link_carries_and_nothing_back(
    interop: Interop,
) -> None:
    held = Counter(o["id"] for o in interop.medallion.documents())
    pushed = ("clear", "green", "unattributed", "green, later")
    kept = ("amber", "amber+strict", "red", "identity")
    assert all(held[interop.ours[label]["id"]] == 1 for label in pushed), held
    assert not any(held[interop.ours[label]["id"]] for label in kept)
    assert all(held[o["id"]] == 1 for o in interop.theirs)
    hub = interop.hub
    police = hub.identities[hub.police]
    stored = json.dumps(interop.medallion.documents())
    assert police not in stored
    assert hub.police not in stored
