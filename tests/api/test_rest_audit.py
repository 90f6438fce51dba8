"""REST admin API: the audit log (/api/v1/audit) and access receipts (/api/v1/receipts)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import Factory
from tests.helpers import Member, assert_problem, indicator, objects_url


def org_id(client: FlaskClient, member: Member) -> int:
    return int(client.get("/api/v1/orgs", headers=member.auth).json["organisations"][0]["id"])


def test_management_actions_are_audited_with_their_target(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    client.post(
        "/api/v1/orgs", json={"name": "Police", "sector": "law-enforcement"}, headers=hub.auth
    )
    created = client.post(
        "/api/v1/accounts",
        json={"name": "officer", "organisation": "Police", "role": "reader"},
        headers={**hub.auth, "X-Request-ID": "req-123"},
    ).json
    token = client.post("/api/v1/tokens", json={"account": "officer"}, headers=hub.auth).json
    client.delete(f"/api/v1/tokens/{token['id']}", headers=hub.auth)
    response = client.get("/api/v1/audit", headers=hub.auth)
    assert response.status_code == 200
    events = response.json["events"]
    assert [e["action"] for e in events] == [
        "admin.token.revoke",
        "admin.token.create",
        "admin.account.create",
        "admin.org.create",
    ]
    account_event = events[2]
    assert account_event["account"] == hub.account
    assert account_event["organisation_id"] == org_id(client, hub)
    assert account_event["request_id"] == "req-123"
    assert account_event["client_address"] == "127.0.0.1"
    assert "officer" in account_event["detail"]
    assert "Police" in events[3]["detail"]
    assert set(account_event) == {
        "id",
        "at",
        "account",
        "organisation_id",
        "action",
        "collection_id",
        "object_count",
        "request_id",
        "client_address",
        "detail",
    }
    text = response.get_data(as_text=True)
    assert created["token"] not in text
    assert token["token"] not in text


def test_org_admin_sees_only_own_organisations_events(
    client: FlaskClient, factory: Factory
) -> None:
    isp_admin = factory.member("Example ISP", role="org-admin")
    police_admin = factory.member("Police", sector="law-enforcement", role="org-admin")
    client.post(
        "/api/v1/accounts", json={"name": "isp-bot", "role": "reader"}, headers=isp_admin.auth
    )
    client.post(
        "/api/v1/accounts", json={"name": "police-bot", "role": "reader"}, headers=police_admin.auth
    )
    events = client.get("/api/v1/audit", headers=isp_admin.auth).json["events"]
    assert [e["detail"] for e in events] == ["account 'isp-bot' (reader) in 'Example ISP'"]
    assert {e["organisation_id"] for e in events} == {org_id(client, isp_admin)}
    other = client.get(
        f"/api/v1/audit?org_id={org_id(client, police_admin)}", headers=isp_admin.auth
    )
    assert_problem(other, 403)


def test_hub_admin_filters_the_audit_log_by_organisation(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    isp_admin = factory.member("Example ISP", role="org-admin")
    client.post(
        "/api/v1/accounts", json={"name": "isp-bot", "role": "reader"}, headers=isp_admin.auth
    )
    client.post("/api/v1/groups", json={"name": "trusted"}, headers=hub.auth)
    everything = client.get("/api/v1/audit", headers=hub.auth).json["events"]
    assert len(everything) == 2
    isp_only = client.get(f"/api/v1/audit?org_id={org_id(client, isp_admin)}", headers=hub.auth)
    assert [e["action"] for e in isp_only.json["events"]] == ["admin.account.create"]


def test_the_audit_log_pages_newest_first_with_a_before_cursor(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    for n in range(5):
        client.post("/api/v1/groups", json={"name": f"group-{n}"}, headers=hub.auth)
    seen: list[str] = []
    url = "/api/v1/audit?limit=2"
    while True:
        page = client.get(url, headers=hub.auth).json
        seen += [e["detail"] for e in page["events"]]
        if not page["more"]:
            assert page["next"] is None
            break
        url = f"/api/v1/audit?limit=2&before={page['next']}"
    assert seen == [f"group 'group-{n}'" for n in reversed(range(5))]


def test_readers_and_analysts_cannot_read_the_audit_log(
    client: FlaskClient, factory: Factory
) -> None:
    for role in ("reader", "analyst"):
        member = factory.member("Example ISP", role=role)
        assert_problem(client.get("/api/v1/audit", headers=member.auth), 403)


def test_receipts_show_which_sectors_pulled_objects_without_naming_readers(
    client: FlaskClient, factory: Factory
) -> None:
    analyst = factory.member("Example ISP", role="analyst")
    police = factory.member("Regional Police", sector="law-enforcement", role="reader")
    cert = factory.member("National CERT", sector="csirt", role="reader")
    collection = factory.collection(read="*", write="*")
    objects = [indicator(), indicator()]
    posted = client.post(
        objects_url(collection), json={"objects": objects}, headers=analyst.post_headers
    )
    assert posted.status_code == 202
    for reader in (police, cert, police):
        assert client.get(objects_url(collection), headers=reader.headers).status_code == 200
    response = client.get("/api/v1/receipts", headers=analyst.auth)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["organisation_id"] == org_id(client, analyst)
    assert [(r["sector"], r["organisations"], r["objects"]) for r in body["receipts"]] == [
        ("csirt", 1, 2),
        ("law-enforcement", 1, 4),
    ]
    text = response.get_data(as_text=True)
    assert "Regional Police" not in text
    assert "National CERT" not in text


def test_receipts_are_for_the_owners_analysts_and_admins(
    client: FlaskClient, factory: Factory
) -> None:
    hub = factory.member("Hub", sector="hub", role="hub-admin")
    reader = factory.member("Example ISP", role="reader")
    admin = factory.member("Example ISP", role="org-admin")
    police = factory.member("Police", sector="law-enforcement", role="org-admin")
    assert_problem(client.get("/api/v1/receipts", headers=reader.auth), 403)
    assert client.get("/api/v1/receipts", headers=admin.auth).json["receipts"] == []
    other = f"/api/v1/receipts?org_id={org_id(client, police)}"
    assert_problem(client.get(other, headers=admin.auth), 403)
    assert client.get(other, headers=hub.auth).json["organisation_id"] == org_id(client, police)
