"""The hostile-member probe (issue 10), end to end, on SQLite and on PostgreSQL.

A hub is built through the CLI with two ISPs, a police force and the hub
operator, and served by the real console script. ISP A then acts as a hostile
member against ISP B, one act of the issue's list at a time. After each act
the A analyst, the B analyst, the police reader and the hub admin walk every
TAXII endpoint and every REST read path, and the probe asserts what each
organisation can and cannot see:

- no body or header names B's hidden objects or values to A or the police;
- B's hidden activity moves nothing A or the police get: object and manifest
  lists, counts, ``X-TAXII-Date-Added-First``/``-Last``, incident lists, stats;
- A's posts get the same status messages whether B's object is visible or hidden;
- nothing B or the police see links an unattributed report of A to A.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.stix.markings import STANDARD_TLP_DEFINITIONS
from tests.e2e.hostile_hub import (
    ISP_A,
    ISP_B,
    SHARED_IP,
    WALKERS,
    Walk,
    build,
    postgres_database,
    report_body,
    served,
)
from tests.e2e.hostile_story import (
    Story,
    counterfeits,
    duplicates,
    leaks,
    links_to_a,
    moved,
)
from tests.e2e.walk import TAXII
from tests.helpers import scaled

pytestmark = pytest.mark.e2e

RED = TLP2_MARKING_IDS[Tlp.RED]
GREEN = TLP2_MARKING_IDS[Tlp.GREEN]
B_HIDDEN_IP = "203.0.113.99"
B_HIDDEN_TITLE = "Bravo's RED investigation"
B_HIDDEN_COPY = "bravo's own RED copy"
POLICE_TITLE = "Police RED case"
IPS = (B_HIDDEN_IP, "192.0.2.77", "100.1.2.3", SHARED_IP)
PRIVATE_TARGETS = (
    "http://127.0.0.1/hook",
    "http://10.0.0.1/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def probe(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Story]:
    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "sqlite":
        hub, probe_hub = build(folder, None)
        with served(hub, probe_hub) as live:
            yield Story(live)
        return
    with postgres_database(f"probe_{uuid.uuid4().hex[:12]}") as url:
        hub, probe_hub = build(folder, url)
        with served(hub, probe_hub) as live:
            yield Story(live)


def _stix(type_: str, **properties: Any) -> dict[str, Any]:
    return {"type": type_, "spec_version": "2.1", "id": f"{type_}--{uuid.uuid4()}", **properties}


def _ipv4(value: str, **properties: Any) -> dict[str, Any]:
    stix_id = f"ipv4-addr--{uuid.uuid5(uuid.NAMESPACE_URL, value)}"
    return {"type": "ipv4-addr", "spec_version": "2.1", "id": stix_id, "value": value, **properties}


# -- the acts: each returns the walkers whose view it must not move ------------------

Act = Callable[[Story], tuple[str, ...]]
EVERYONE = WALKERS


def a_reports_in_the_open(story: Story) -> tuple[str, ...]:
    story.hub.report("a", title="Alpha's open report")
    story.hub.watched.append(story.hub.identities[ISP_A])
    return ()


def b_first_report_is_red(story: Story) -> tuple[str, ...]:
    """Finding 10: B's first report, RED for B alone, with B's identity beside it."""
    hub = story.hub
    red = hub.report(
        "b",
        title=B_HIDDEN_TITLE,
        tlp="red",
        indicators=[{"type": "ipv4-addr", "value": B_HIDDEN_IP, "role": "c2"}],
    )
    hub.watched.append(hub.identities[ISP_B])
    story.b_incidents["red"] = hub.taxii_get("b", red).json()["objects"][-1]
    for secret in (red, B_HIDDEN_IP, B_HIDDEN_TITLE):
        story.hide(secret)
    return ("a", "police", "admin")


def b_reports_in_the_open(story: Story) -> tuple[str, ...]:
    hub = story.hub
    green = hub.report("b", title="Bravo's open report")
    story.b_incidents["green"] = hub.taxii_get("b", green).json()["objects"][-1]
    return ()


def _forgeries(story: Story, label: str) -> None:
    """A's later version of B's ``label`` incident (renamed, revoked, GREEN), once as
    B's own text with B's ``created_by_ref`` and once in A's name: one answer each."""
    target = story.b_object(label)
    shown = {k: v for k, v in target.items() if k != "x_federation_recipients"}
    changes = {"modified": "2030-01-01T00:00:00.000Z", "revoked": True, "name": "by A"}
    as_b = {**shown, **changes, "object_marking_refs": [GREEN]}
    as_a = {k: v for k, v in as_b.items() if k != "created_by_ref"}
    for kind, forged in (("a new version in B's name", as_b), ("a new version", as_a)):
        story.answer(kind, label, story.hub.taxii_post("a", forged))


def a_versions_bs_visible_incident(story: Story) -> tuple[str, ...]:
    """Finding 1: a later version, revoked and renamed, of B's GREEN incident."""
    _forgeries(story, "green")
    return EVERYONE


def a_versions_bs_hidden_incident(story: Story) -> tuple[str, ...]:
    """Finding 2: a GREEN "new version" of B's RED incident, whose id A learnt elsewhere
    (the test hands A the document B sees: the worst case)."""
    _forgeries(story, "red")
    return EVERYONE


def a_reposts_the_exact_versions(story: Story) -> tuple[str, ...]:
    """Finding 6: the id and ``modified`` of B's hidden and of B's visible incident."""
    for label in ("red", "green"):
        target = story.b_object(label)
        guess = {
            "type": "incident",
            "spec_version": "2.1",
            "id": target["id"],
            "created": target["created"],
            "modified": target["modified"],
            "name": "A's guess",
        }
        story.answer("the exact version", label, story.hub.taxii_post("a", guess))
    return EVERYONE


def a_posts_in_bs_name(story: Story) -> tuple[str, ...]:
    """Finding 7: ``created_by_ref`` set to B's identity."""
    hub = story.hub
    spoofed = _stix(
        "indicator",
        created="2026-01-01T00:00:00.000Z",
        modified="2026-01-01T00:00:00.000Z",
        name="B says so",
        pattern="[ipv4-addr:value = '192.0.2.200']",
        pattern_type="stix",
        valid_from="2026-01-01T00:00:00Z",
        created_by_ref=hub.identities[ISP_B],
    )
    [failure] = hub.taxii_post("a", spoofed)["failures"]
    assert "created_by_ref" in failure["message"]
    hub.watched.append(spoofed["id"])
    story.hide(spoofed["id"], from_=("b", "police"))
    return EVERYONE


def a_counterfeits_tlp(story: Story) -> tuple[str, ...]:
    """Finding 8: "TLP:CLEAR" under the TLP:RED id, and a TLP:RED under another id."""
    counterfeit = {**STANDARD_TLP_DEFINITIONS[RED], "name": "TLP:CLEAR"}
    counterfeit["extensions"] = {
        name: {**value, "tlp_2_0": "clear"}
        for name, value in STANDARD_TLP_DEFINITIONS[RED]["extensions"].items()
    }
    fake_red = _stix(
        "marking-definition",
        created="2026-01-01T00:00:00.000Z",
        definition_type="tlp",
        name="TLP:RED",
        definition={"tlp": "red"},
    )
    status = story.hub.taxii_post("a", counterfeit, fake_red)
    assert {f["id"] for f in status["failures"]} == {RED, fake_red["id"]}, status
    story.hub.watched += [RED, fake_red["id"]]
    story.hide(fake_red["id"], from_=("b", "police"))
    return EVERYONE


def a_reports_unattributed(story: Story) -> tuple[str, ...]:
    """Findings 3 and 4: two unattributed reports sharing the address of A's open one."""
    for n in (1, 2):
        stix_id = story.hub.report("a", title=f"Quiet report {n}", unattributed=True)
        story.a_unattributed.append(stix_id)
    return ()


def a_claims_bs_addresses(story: Story) -> tuple[str, ...]:
    """Finding 5: a /32 inside B's /24 and an unclaimed /8; then the police report RED."""
    hub = story.hub
    a_id = hub.org_ids[ISP_A]
    for network, reason in (("192.0.2.77/32", "inside another"), ("100.0.0.0/8", "wider than")):
        claimed = hub.rest("a-admin", "POST", f"/orgs/{a_id}/networks", json={"network": network})
        assert claimed.status_code == 201, claimed.text
        assert claimed.json()["state"] == "pending"
        assert reason in claimed.json()["reason"]
        assert ISP_B not in claimed.text
    pending = hub.rest("admin", "GET", "/networks").json()["networks"]
    assert {(n["organisation_id"], n["value"]) for n in pending} == {
        (a_id, "192.0.2.77/32"),
        (a_id, "100.0.0.0/8"),
    }
    inside, wide = (
        hub.report(
            "officer",
            title=f"{POLICE_TITLE} {address}",
            tlp="red",
            indicators=[{"type": "ipv4-addr", "value": address, "role": "c2"}],
        )
        for address in ("192.0.2.77", "100.1.2.3")
    )
    # B holds 192.0.2.0/24: it is the routed recipient of the first, and of nothing else.
    seen_by_b = {i["id"] for i in hub.rest("b", "GET", "/incidents").json()["incidents"]}
    assert inside in seen_by_b
    assert wide not in seen_by_b
    for secret in (inside, f"{POLICE_TITLE} 192.0.2.77"):
        story.hide(secret, from_=("a",))
    for secret in (wide, f"{POLICE_TITLE} 100.1.2.3"):
        story.hide(secret, from_=("a", "b"))
    return ("a", "admin")


def a_token_outlives_its_parent(story: Story) -> tuple[str, ...]:
    """Finding 9: a token for a day makes one asking for no expiry; then the parent goes."""
    hub = story.hub
    parent = hub.rest("a", "POST", "/tokens", json={"expires_in_days": 1}).json()
    bearer = {"Authorization": f"Bearer {parent['token']}"}
    made = hub.rest("a", "POST", "/tokens", json={}, headers=bearer, auth=None)
    assert made.status_code == 201, made.text
    child = made.json()
    assert child["expires_at"] == parent["expires_at"]
    child_auth = {"Authorization": f"Bearer {child['token']}", "Accept": TAXII}
    assert hub.rest("a", "GET", "/tokens", headers=child_auth, auth=None).status_code == 200
    revoked = hub.rest("a", "DELETE", f"/tokens/{parent['id']}")
    assert revoked.status_code == 204, revoked.text
    assert hub.rest("a", "GET", "/tokens", headers=child_auth, auth=None).status_code == 401
    assert (
        requests.get(f"{hub.url}/taxii2/", headers=child_auth, timeout=scaled(30)).status_code
        == 401
    )
    return EVERYONE


def a_misuses_its_link_and_webhook(story: Story) -> tuple[str, ...]:
    """Finding 11: a peer account reports over REST; webhooks into the hub's own network."""
    hub = story.hub
    body = {**report_body(hub.collection), "title": "pushed by a link"}
    refused = hub.rest("a-link", "POST", "/incidents", json=body)
    assert refused.status_code == 403, refused.text
    assert "TAXII only" in refused.json()["detail"]
    a_id = hub.org_ids[ISP_A]
    for target in PRIVATE_TARGETS:
        put = hub.rest("a-admin", "PUT", f"/orgs/{a_id}/webhook", json={"url": target})
        assert put.status_code == 422, f"{target}: {put.text}"
    assert hub.rest("a-admin", "GET", f"/orgs/{a_id}/webhook").json()["url"] is None
    story.hide("pushed by a link", from_=WALKERS)
    return EVERYONE


def b_observes_in_secret(story: Story) -> tuple[str, ...]:
    """Finding 12, first half: B's RED copy of an observable."""
    hub = story.hub
    secret = _ipv4("203.0.113.50", object_marking_refs=[RED], x_probe_note=B_HIDDEN_COPY)
    assert hub.taxii_post("b", secret)["success_count"] == 1
    hub.watched.append(secret["id"])
    story.hide(B_HIDDEN_COPY)
    return ("a", "police", "admin")


def a_posts_the_same_observables(story: Story) -> tuple[str, ...]:
    """Finding 12, second half: B holds one more copy, visible; A posts both
    observables: the answers are alike, B's copy hidden or visible."""
    hub = story.hub
    visible = _ipv4("198.51.100.60", object_marking_refs=[GREEN])
    assert hub.taxii_post("b", visible)["success_count"] == 1
    hub.watched.append(visible["id"])
    mine = [_ipv4(v, object_marking_refs=[GREEN]) for v in ("203.0.113.50", "198.51.100.60")]
    status = hub.taxii_post("a", *mine)
    assert status["success_count"] == 2, status
    assert [s.get("message") for s in status["successes"]] == [None, None]
    # The police get A's copy of the observable B holds under RED, once.
    served = hub.taxii_get("police", mine[0]["id"]).json()["objects"]
    assert served == [mine[0]]
    # And B's copy of the one B holds in the open, the first added: one copy each time.
    assert hub.taxii_get("police", visible["id"]).json()["objects"] == [visible]
    return ()


ACTS: list[Act] = [
    b_first_report_is_red,
    b_reports_in_the_open,
    a_versions_bs_visible_incident,
    a_versions_bs_hidden_incident,
    a_reposts_the_exact_versions,
    a_posts_in_bs_name,
    a_counterfeits_tlp,
    a_reports_unattributed,
    a_claims_bs_addresses,
    a_token_outlives_its_parent,
    a_misuses_its_link_and_webhook,
    b_observes_in_secret,
    a_posts_the_same_observables,
]


# -- what every walk must show --------------------------------------------------------


def _walk_everyone(story: Story) -> dict[str, Walk]:
    fresh = tuple(s for s in story.hub.statuses if s not in story.statuses_read)
    story.statuses_read.update(fresh)
    # Side by side: the hub serves with two workers, and each walk waits on its answers.
    with ThreadPoolExecutor(len(WALKERS)) as pool:
        walks = pool.map(lambda who: story.hub.walk(who, IPS, fresh), WALKERS)
        return dict(zip(WALKERS, walks, strict=True))


def test_a_hostile_member_learns_nothing_and_moves_nothing(probe: Story) -> None:
    story = probe
    a_reports_in_the_open(story)
    before = _walk_everyone(story)
    problems: list[str] = []
    for act in ACTS:
        unchanged = act(story)
        after = _walk_everyone(story)
        for who, walk in after.items():
            found = leaks(story, who, walk) + duplicates(walk.view) + counterfeits(walk)
            if who in ("b", "police") and story.a_unattributed:
                found += links_to_a(story, who, walk)
            if who in unchanged:
                found += [f"{who}'s view moved: {m}" for m in moved(before[who].view, walk.view)]
            problems += [f"after {act.__name__}: {f}" for f in found]
        before = after
    assert not problems, "\n".join(problems)
    # One answer to each of A's posts, whether B's object is visible or hidden.
    for kind, answers in story.answers.items():
        assert answers["red"] == answers["green"], (kind, answers)
        assert "already held" not in answers["red"], (kind, answers)
