"""REST API: declaring networks and webhooks (/api/v1/orgs/<id>/networks, /webhook)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from federation.services.access import accounts
from federation.storage.database import Database
from federation.storage.models import AuditEvent, RoutingSettings
from tests.api.incident_helpers import listed, post_incident, report
from tests.api.test_rest_orgs import assert_problem
from tests.conftest import Factory
from tests.helpers import Member

# A public address written literally, so setting it resolves nothing; no test
# delivers to it.
PUBLIC_HOOK = "https://93.184.215.14/hook"


def org_id(db: Database, member: Member) -> int:
    with db.session() as session:
        return accounts.organisation_named(session, member.organisation).id


def networks_url(db: Database, member: Member) -> str:
    return f"/api/v1/orgs/{org_id(db, member)}/networks"


def test_an_org_admin_declares_lists_and_withdraws_its_own_networks(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    url = networks_url(db, admin)
    created = client.post(url, json={"network": "2001:DB8::/32"}, headers=admin.auth)
    assert created.status_code == 201, created.json
    assert created.json["value"] == "2001:db8::/32"
    assert created.json["kind"] == "prefix"
    assert client.post(url, json={"network": "as64500"}, headers=admin.auth).status_code == 201

    listing = client.get(url, headers=admin.auth)
    assert listing.status_code == 200
    assert [n["value"] for n in listing.json["networks"]] == ["2001:db8::/32", "AS64500"]
    # The hub cannot verify an AS number: it waits for a hub admin.
    assert [n["state"] for n in listing.json["networks"]] == ["approved", "pending"]
    assert listing.json["inbox_collection_id"] is None

    gone = client.delete(f"{url}/{created.json['id']}", headers=admin.auth)
    assert gone.status_code == 204
    assert [n["value"] for n in client.get(url, headers=admin.auth).json["networks"]] == ["AS64500"]
    with db.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["admin.network.add", "admin.network.add", "admin.network.remove"]


def test_a_prefix_claimed_by_another_organisation_is_refused(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    first = factory.member("First ISP", role="org-admin")
    second = factory.member("Second ISP", role="org-admin")
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    client.post(networks_url(db, first), json={"network": "198.51.100.0/24"}, headers=first.auth)

    taken = client.post(
        networks_url(db, second), json={"network": "198.51.100.0/24"}, headers=second.auth
    )
    body = assert_problem(taken, 409)
    assert "already claimed by another member" in body["detail"]
    assert "First ISP" not in body["detail"]
    # The hub admin is told who holds it.
    as_hub = client.post(
        networks_url(db, second), json={"network": "198.51.100.0/24"}, headers=hub.auth
    )
    assert "First ISP" in assert_problem(as_hub, 409)["detail"]
    again = client.post(
        networks_url(db, first), json={"network": "198.51.100.0/24"}, headers=first.auth
    )
    assert "already declared" in assert_problem(again, 409)["detail"]
    # A more specific prefix inside it may be another member's (a delegated
    # block), but only on the hub's word: it waits for a hub admin.
    nested = client.post(
        networks_url(db, second), json={"network": "198.51.100.128/25"}, headers=second.auth
    )
    assert nested.status_code == 201
    assert (nested.json["state"], nested.json["reason"]) == (
        "pending",
        "it lies inside another member's network",
    )


def test_bad_prefixes_are_refused_with_the_reason(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    url = networks_url(db, admin)
    for network, reason in [
        ("198.51.100.7/24", "host bits set; the network is 198.51.100.0/24"),
        ("not-a-network", "neither an IP prefix"),
        ("0.0.0.0/0", "too wide"),
    ]:
        body = assert_problem(client.post(url, json={"network": network}, headers=admin.auth), 422)
        assert reason in body["detail"], body
    unknown = client.post(url, json={"network": "AS1", "extra": 1}, headers=admin.auth)
    assert "extra" in assert_problem(unknown, 422)["errors"]


def test_only_the_org_admins_and_hub_admins_manage_an_organisations_networks(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    analyst = factory.member("Example ISP", role="analyst")
    stranger = factory.member("Other ISP", role="org-admin")
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    url = networks_url(db, admin)
    assert_problem(client.get(url, headers=analyst.auth), 403)
    assert_problem(client.post(url, json={"network": "AS1"}, headers=analyst.auth), 403)
    assert_problem(client.get(url, headers=stranger.auth), 404)
    assert_problem(client.post(url, json={"network": "AS1"}, headers=stranger.auth), 404)
    assert client.post(url, json={"network": "AS1"}, headers=hub.auth).status_code == 201
    assert_problem(client.get("/api/v1/orgs/999999/networks", headers=hub.auth), 404)
    assert_problem(client.delete(f"{url}/999999", headers=admin.auth), 404)


def test_the_webhook_secret_is_write_only_and_stored_encrypted(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    url = f"/api/v1/orgs/{org_id(db, admin)}/webhook"
    secret = "a-secret-only-the-member-knows"
    put = client.put(url, json={"url": PUBLIC_HOOK, "secret": secret}, headers=admin.auth)
    assert put.status_code == 200, put.json
    healthy = {"pending_deliveries": 0, "failed_deliveries": 0, "last_error": ""}
    assert put.json == {"url": PUBLIC_HOOK, "secret_set": True} | healthy
    got = client.get(url, headers=admin.auth)
    assert got.json == {"url": PUBLIC_HOOK, "secret_set": True} | healthy
    with db.session() as session:
        [stored] = session.scalars(select(RoutingSettings.webhook_secret))
        details = " ".join(session.scalars(select(AuditEvent.detail)))
    assert stored is not None
    assert secret not in stored
    assert secret not in details

    made = client.put(url, json={"url": PUBLIC_HOOK}, headers=admin.auth)
    assert len(made.json["secret"]) >= 32
    assert "secret" not in client.get(url, headers=admin.auth).json

    assert client.delete(url, headers=admin.auth).status_code == 204
    assert client.get(url, headers=admin.auth).json == {"url": None, "secret_set": False} | healthy


def test_webhook_urls_and_secrets_are_checked(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    url = f"/api/v1/orgs/{org_id(db, admin)}/webhook"
    for body in [
        {"url": "ftp://soc.example/hook"},
        {"url": "https://user:pw@soc.example/hook"},
        {"url": "soc.example/hook"},
        {"url": "https://soc.example/hook", "secret": "short"},
    ]:
        assert_problem(client.put(url, json=body, headers=admin.auth), 422)


def test_webhooks_aimed_at_the_hubs_own_network_are_refused_when_set(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    admin = factory.member("Example ISP", role="org-admin")
    url = f"/api/v1/orgs/{org_id(db, admin)}/webhook"
    for target in [
        "http://127.0.0.1:8080/hook",
        "http://10.0.0.1/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/hook",
        "http://[fd00:ec2::254]/hook",
        "http://100.100.100.200/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ]:
        body = assert_problem(client.put(url, json={"url": target}, headers=admin.auth), 422)
        assert "non-public address" in body["errors"]["url"][0], (target, body)
    assert client.get(url, headers=admin.auth).json["url"] is None
    with db.session() as session:
        assert list(session.scalars(select(RoutingSettings.webhook_url))) in ([], [None])


def claims_url(db: Database, member: Member, claim: int, decision: str) -> str:
    return f"{networks_url(db, member)}/{claim}/{decision}"


def test_hub_admins_review_pending_claims_over_rest(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    admin = factory.member("A ISP", role="org-admin")
    stranger = factory.member("C ISP", role="org-admin")
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    url = networks_url(db, admin)
    wide = client.post(url, json={"network": "100.0.0.0/8"}, headers=admin.auth).json
    asn = client.post(url, json={"network": "AS64500"}, headers=admin.auth).json
    small = client.post(url, json={"network": "203.0.113.0/24"}, headers=admin.auth).json
    assert (wide["state"], asn["state"], small["state"]) == ("pending", "pending", "approved")
    assert "wider than /16" in wide["reason"]

    queue = client.get("/api/v1/networks", headers=hub.auth)
    assert queue.status_code == 200
    assert [(n["organisation"], n["value"]) for n in queue.json["networks"]] == [
        ("A ISP", "100.0.0.0/8"),
        ("A ISP", "AS64500"),
    ]
    assert_problem(client.get("/api/v1/networks", headers=admin.auth), 403)
    own = client.post(claims_url(db, admin, wide["id"], "approve"), json={}, headers=admin.auth)
    assert_problem(own, 403)
    foreign = claims_url(db, admin, wide["id"], "approve")
    assert_problem(client.post(foreign, json={}, headers=stranger.auth), 404)

    rejected = client.post(
        claims_url(db, admin, wide["id"], "reject"),
        json={"note": "not A's address space"},
        headers=hub.auth,
    )
    assert rejected.status_code == 200, rejected.json
    assert (rejected.json["state"], rejected.json["decision_note"]) == (
        "rejected",
        "not A's address space",
    )
    approved = client.post(claims_url(db, admin, asn["id"], "approve"), json={}, headers=hub.auth)
    assert approved.json["state"] == "approved"
    again = client.post(claims_url(db, admin, asn["id"], "reject"), json={}, headers=hub.auth)
    assert "already approved" in assert_problem(again, 409)["detail"]
    assert client.get("/api/v1/networks", headers=hub.auth).json["networks"] == []
    [answer] = client.get(
        "/api/v1/networks", query_string={"state": "rejected"}, headers=hub.auth
    ).json["networks"]
    assert answer["decided_by"] == hub.account
    # The organisation sees the hub's answer on its own claims.
    listing = client.get(url, headers=admin.auth).json["networks"]
    assert {(n["value"], n["state"]) for n in listing} == {
        ("100.0.0.0/8", "rejected"),
        ("AS64500", "approved"),
        ("203.0.113.0/24", "approved"),
    }
    with db.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["admin.network.reject", "admin.network.approve"]


def test_a_hijacking_claim_receives_no_red_report_until_a_hub_admin_approves_it(
    client: FlaskClient, db: Database, factory: Factory
) -> None:
    police = factory.member("Police", sector="law-enforcement")
    owner = factory.member("B ISP", role="org-admin")
    hijacker = factory.member("A ISP", role="org-admin")
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    collection = factory.collection()
    client.post(networks_url(db, owner), json={"network": "192.0.2.0/24"}, headers=hub.auth)
    claims = [
        client.post(networks_url(db, hijacker), json={"network": n}, headers=hijacker.auth).json
        for n in ("192.0.2.77/32", "100.0.0.0/8")
    ]
    assert [c["state"] for c in claims] == ["pending", "pending"]

    def red_report(address: str) -> str:
        indicator = {"type": "ipv4-addr", "value": address, "role": "source"}
        body = report(collection, tlp="red", indicators=[indicator])
        return str(post_incident(client, police, body)["id"])

    inside, unclaimed = red_report("192.0.2.77"), red_report("100.1.2.3")
    assert listed(client, hijacker) == []
    assert listed(client, owner) == [inside]
    for hidden in (inside, unclaimed):
        response = client.get(f"/api/v1/incidents/{hidden}", headers=hijacker.auth)
        assert_problem(response, 404)

    approve = claims_url(db, hijacker, claims[0]["id"], "approve")
    assert client.post(approve, json={}, headers=hub.auth).status_code == 200
    routed = red_report("192.0.2.77")
    assert listed(client, hijacker) == [routed]
    assert listed(client, owner) == [inside]
