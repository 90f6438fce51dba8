"""What the hostile-member probe keeps between acts, and what it checks in every walk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from federation.stix.markings import STANDARD_TLP_DEFINITIONS
from tests.e2e.hostile_hub import ISP_A, SHARED_IP, ProbeHub, View, Walk


@dataclass
class Story:
    """What the acts so far left behind: secrets, and the answers to compare."""

    hub: ProbeHub
    # A secret string -> the walkers that must never read it.
    secrets: dict[str, set[str]] = field(default_factory=dict)
    b_incidents: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> TAXII object
    a_unattributed: list[str] = field(default_factory=list)
    statuses_read: set[str] = field(default_factory=set)
    # What A's post was -> B's target ("red" hidden, "green" visible) -> the answer.
    answers: dict[str, dict[str, str]] = field(default_factory=dict)

    def hide(self, secret: str, *, from_: tuple[str, ...] = ("a", "police")) -> None:
        self.secrets[secret] = set(from_)

    def answer(self, kind: str, label: str, status: dict[str, Any]) -> None:
        """Keep the answer to A's post of one object (its id taken out of the message)."""
        assert status["success_count"] == 0, status
        [failure] = status["failures"]
        message = failure["message"].replace(failure["id"], "ID")
        self.answers.setdefault(kind, {})[label] = message

    def b_object(self, label: str) -> dict[str, Any]:
        return self.b_incidents[label]


def leaks(story: Story, who: str, walk: Walk) -> list[str]:
    """The secrets ``who`` must not read that a body or header of its walk names."""
    hidden = [secret for secret, walkers in story.secrets.items() if who in walkers]
    # The status of an add names the ids its poster sent: A learnt B's hidden id
    # elsewhere, so A's own statuses may repeat it (and only the messages matter).
    own = {f"/status/{status}/" for status, poster in story.hub.statuses.items() if poster == who}
    return [
        f"{who} read {secret!r} in {url}"
        for url, text in walk.texts()
        if not url.endswith(tuple(own))
        for secret in hidden
        if secret in text
    ]


def duplicates(view: View) -> list[str]:
    """Any id and version served twice (shared observables come once per reader)."""
    objects = [f"objects {o}" for o in set(view.objects) if view.objects.count(o) > 1]
    versions = [(m["id"], m["version"]) for m in view.manifest]
    return objects + [f"manifest {v}" for v in set(versions) if versions.count(v) > 1]


def counterfeits(walk: Walk) -> list[str]:
    """Objects served under a standard TLP id that are not its standard definition."""
    served = [
        o
        for r in walk.responses
        if r.status_code == 200 and "/taxii2/" in r.url and "/objects/" in r.url
        for o in r.json().get("objects", [])
        if o.get("type") == "marking-definition" and o["id"] in STANDARD_TLP_DEFINITIONS
    ]
    return [o["id"] for o in served if o != STANDARD_TLP_DEFINITIONS[o["id"]]]


def links_to_a(story: Story, who: str, walk: Walk) -> list[str]:
    """What ties an unattributed report of A to A, in ``who``'s walk."""
    a_identity = story.hub.identities[ISP_A]
    found = []
    listed = {i["id"]: i for i in walk.view.incidents}
    pseudonyms = set()
    for stix_id in story.a_unattributed:
        entry = listed[stix_id]
        pseudonyms.add(entry["reporter"]["identity"])
        if entry["reporter"] != {
            "sector": "unattributed",
            "identity": entry["reporter"]["identity"],
        }:
            found.append(f"list names the reporter of {stix_id}: {entry['reporter']}")
        detail = walk.json_of(f"/incidents/{stix_id}")
        own = {k: v for k, v in detail.items() if k != "correlations"}
        bundle = walk.json_of(f"/incidents/{stix_id}/stix")
        for label, part in (("detail", own), ("/stix", bundle)):
            text = repr(part)
            if a_identity in text or ISP_A in text:
                found.append(f"{label} of {stix_id} names A")
        for other in detail["correlations"]["incidents"]:
            if other["id"] in story.a_unattributed and other["reporter"]["identity"] == a_identity:
                found.append(f"correlations of {stix_id} name A as reporter of {other['id']}")
        taxii = walk.json_of(f"/objects/{stix_id}/")["objects"]
        if any(o.get("created_by_ref") == a_identity for o in taxii):
            found.append(f"TAXII names A as creator of {stix_id}")
    if len(pseudonyms) != len(story.a_unattributed):
        found.append(f"unattributed reports share a pseudonym: {pseudonyms}")
    # Every report sharing the address is "also seen by" as many: none stands out.
    sharing = [i for i in walk.view.incidents if SHARED_IP in repr(i["indicators"])]
    counts = {
        walk.json_of(f"/incidents/{i['id']}")["correlations"]["organisations"] for i in sharing
    }
    if len(counts) > 1:
        found.append(f"correlation counts differ between reports sharing {SHARED_IP}: {counts}")
    return found


def moved(before: View, after: View) -> list[str]:
    """The parts of a view that differ, with what came and went."""
    found = []
    for name, old in asdict(before).items():
        new = asdict(after)[name]
        if old != new:
            gone = [x for x in old if x not in new] if isinstance(old, list) else old
            came = [x for x in new if x not in old] if isinstance(new, list) else new
            found.append(f"{name}: lost {gone}, got {came}")
    return found
