"""Two live hubs syncing both ways: what crosses, exactly once, and what never does.

Hub A's link to B is trusted for AMBER; B's link to A carries GREEN, the
default. Each hub's ISP posts one indicator at every TLP level and one
unmarked (the collection default, AMBER), and its police posts a report
unattributed. Both run ``federation sync`` for their peer at the same time,
then post a new version and a revocation and sync again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.federation_hubs import TLP_LEVELS, FederationHub, run_side_by_side
from tests.e2e.fleet import Fleet, PeerLink

pytestmark = pytest.mark.e2e

TITLE = "two-way"
LATER = "2026-02-01T00:00:00.000Z"
# What each link may carry, by the labels of the objects posted below.
TO_TRUSTED = ("clear", "green", "amber", "unmarked", "unattributed", "green v2", "clear revoked")
TO_GREEN = ("clear", "green", "unattributed", "green v2", "clear revoked")
NEVER = ("amber+strict", "red", "identity")


@dataclass
class TwoWay:
    hubs: dict[str, FederationHub]
    sent: dict[str, dict[str, dict[str, Any]]]
    links: dict[tuple[str, str], PeerLink]
    syncs: list[str]

    def ids(self, hub: str, labels: tuple[str, ...]) -> set[str]:
        return {self.sent[hub][label]["id"] for label in labels}


def _post_everything(hub: FederationHub) -> dict[str, dict[str, Any]]:
    objects = {label: hub.incident(label) for label in TLP_LEVELS}
    objects["unmarked"] = hub.incident(None)
    hub.post(TITLE, list(objects.values()))
    identity, report = hub.unattributed_report()
    hub.post(TITLE, [identity, report], account="officer")
    return objects | {"identity": identity, "unattributed": report}


def _revise(hub: FederationHub, sent: dict[str, dict[str, Any]]) -> None:
    sent["green v2"] = sent["green"] | {"modified": LATER, "name": f"{hub.isp} green, revised"}
    sent["clear revoked"] = sent["clear"] | {"modified": LATER, "revoked": True}
    hub.post(TITLE, [sent["green v2"], sent["clear revoked"]])


def _sync_both(links: dict[tuple[str, str], PeerLink]) -> list[str]:
    results = run_side_by_side(
        (link.local, ("sync", "--peer", link.name)) for link in links.values()
    )
    return [result.stdout + result.stderr for result in results]


@pytest.fixture(scope="module")
def two_way(fleet: Fleet) -> Iterator[TwoWay]:
    fleet.add_collection(TITLE, ("a", "b"))
    hubs = {"a": fleet["a"], "b": fleet["b"]}
    sent = {name: _post_everything(hub) for name, hub in hubs.items()}
    links = fleet.link(
        TITLE,
        {
            ("a", "b"): ("--max-tlp", "amber", "--trusted-amber", "--interval", "3600"),
            ("b", "a"): ("--interval", "3600"),
        },
    )
    try:
        syncs = _sync_both(links)
        for name, hub in hubs.items():
            _revise(hub, sent[name])
        syncs += _sync_both(links)
        yield TwoWay(hubs, sent, links, syncs)
    finally:
        fleet.unlink(links.values())


DIRECTIONS = [("a", "b", TO_TRUSTED), ("b", "a", TO_GREEN)]


@pytest.mark.parametrize(("source", "target", "eligible"), DIRECTIONS)
def test_every_eligible_version_arrives_exactly_once_with_its_provenance(
    two_way: TwoWay, source: str, target: str, eligible: tuple[str, ...]
) -> None:
    hub = two_way.hubs[target]
    stored = Counter(stix_id for stix_id, _ in hub.stored_versions(TITLE))
    expected = Counter(two_way.sent[source][label]["id"] for label in eligible)
    assert {stix_id: stored[stix_id] for stix_id in expected} == dict(expected)

    shown = Counter(hub.versions(TITLE))
    for label in eligible:
        document = two_way.sent[source][label]
        assert shown[(document["id"], document["modified"])] == 1, label

    # Pulled by the target's link, or pushed by the source's account there;
    # either way owned by the organisation that stands for the source hub.
    link = two_way.links[(target, source)]
    source_hub = two_way.hubs[source]
    provenance = hub.provenance(TITLE)
    for stix_id in expected:
        for peer, account, organisation in provenance[stix_id]:
            assert organisation == source_hub.title
            assert peer == link.name or account == source_hub.peer_account, (peer, account)


@pytest.mark.parametrize(("source", "target"), [("a", "b"), ("b", "a")])
def test_amber_strict_red_and_withheld_identities_never_leave_their_hub(
    two_way: TwoWay, source: str, target: str
) -> None:
    held = {stix_id for stix_id, _ in two_way.hubs[target].stored_versions(TITLE)}
    assert not two_way.ids(source, NEVER) & held


def test_amber_crosses_a_link_trusted_for_it(two_way: TwoWay) -> None:
    at_b = {stix_id for stix_id, _ in two_way.hubs["b"].stored_versions(TITLE)}
    # A trusts B with AMBER, and unmarked objects take the collection's AMBER.
    assert two_way.ids("a", ("amber", "unmarked")) <= at_b


def test_amber_never_crosses_a_link_not_trusted_for_it(two_way: TwoWay) -> None:
    at_a = {stix_id for stix_id, _ in two_way.hubs["a"].stored_versions(TITLE)}
    # B's link to A carries GREEN only: B's AMBER may not reach A by either
    # direction, neither pushed by B nor pulled by A from B's collection.
    assert not two_way.ids("b", ("amber", "unmarked")) & at_a


@pytest.mark.parametrize(("source", "target"), [("a", "b"), ("b", "a")])
def test_unattributed_reports_leave_pseudonymised(
    two_way: TwoWay, source: str, target: str
) -> None:
    poster = two_way.hubs[source]
    hub = two_way.hubs[target]
    report = two_way.sent[source]["unattributed"]
    real_identity = poster.identities[poster.police]

    arrived = hub.stored_document(TITLE, report["id"])
    assert arrived["created_by_ref"].startswith("identity--")
    assert arrived["created_by_ref"] != real_identity
    assert {k: v for k, v in arrived.items() if k != "created_by_ref"} == {
        k: v for k, v in report.items() if k != "created_by_ref"
    }
    # The poster's identity id and name are nowhere on the other hub.
    assert not hub.stored_text_contains(TITLE, real_identity)
    assert not hub.stored_text_contains(TITLE, poster.police)
    seen = json.dumps(hub.documents(TITLE)) + json.dumps(hub.documents(TITLE, "officer"))
    assert real_identity not in seen
    assert poster.police not in seen


def test_peer_show_reports_the_passes_and_no_credential_is_ever_printed(
    two_way: TwoWay,
) -> None:
    a, b = two_way.hubs["a"], two_way.hubs["b"]
    link = two_way.links[("a", "b")]
    shown = a.peer_show(link.name)
    assert shown["direction"] == "both"
    assert shown["last_error"] is None
    assert shown["consecutive_failures"] == 0
    assert shown["last_success"] is not None
    assert shown["counters"]["pushed"] >= len(TO_TRUSTED)
    assert shown["counters"]["failed"] == 0

    password = b.accounts[a.peer_account].token
    shown_by_operator = run_side_by_side(
        (a, command)
        for command in (("peer", "show", link.name), ("peer", "list", "--json"), ("peer", "list"))
    )
    printed = [
        json.dumps(shown),
        *(result.stdout + result.stderr for result in shown_by_operator),
        *two_way.syncs,
        (a.folder / "serve.stderr").read_text(),
        (b.folder / "serve.stderr").read_text(),
    ]
    assert all(password not in text for text in printed)
