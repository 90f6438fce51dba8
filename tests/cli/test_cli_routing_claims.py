"""``federation org network pending|approve|reject``: the operator reviews routing claims.

The console script runs as the operator types it, against a fresh SQLite hub;
the same hub's REST side runs in this process, so the claims are made and the
reports read as members make and read them (issue 10, finding 5).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from federation import create_app
from federation.web.db import database
from tests.cli.console import Hub, complaint


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    hub = Hub.in_folder(tmp_path_factory.mktemp("claims-hub"))
    hub.run("db", "upgrade")
    hub.run_all(
        [
            ("org", "add", "A ISP", "--sector", "isp"),
            ("org", "add", "B ISP", "--sector", "isp"),
            ("org", "add", "Police", "--sector", "law-enforcement"),
            ("root", "add", "hub", "--title", "Claims hub"),
        ],
        check=True,
    )
    return hub


@pytest.fixture(scope="module")
def web(hub: Hub) -> Iterator[FlaskClient]:
    app = create_app({"DATABASE_URL": hub.database_url, "SECRET_KEY": hub.secret_key})
    yield app.test_client()
    database(app).dispose()


def bearer(added: str) -> dict[str, str]:
    """Headers for the account ``federation account add --json`` printed."""
    return {"Authorization": f"Bearer {json.loads(added)['token']}"}


def test_the_operator_reviews_the_claims_members_make(hub: Hub, web: FlaskClient) -> None:
    made = hub.run_all(
        [
            ("collection", "add", "--root", "hub", "--title", "All", "--write", "*"),
            ("account", "add", "a-admin", "--org", "A ISP", "--role", "org-admin", "--json"),
            ("account", "add", "officer", "--org", "Police", "--role", "analyst", "--json"),
            # The operator's word: approved at once.
            ("org", "network", "add", "B ISP", "192.0.2.0/24"),
            ("org", "network", "add", "A ISP", "198.51.100.0/24"),
        ],
        check=True,
    )
    collection = str(uuid.UUID(made[0].stdout.strip()))
    a_admin, police = bearer(made[1].stdout), bearer(made[2].stdout)
    assert "B ISP is responsible for 192.0.2.0/24" in made[3].stdout
    [own] = web.get("/api/v1/orgs", headers=a_admin).json["organisations"]
    claims = {
        network: web.post(
            f"/api/v1/orgs/{own['id']}/networks", json={"network": network}, headers=a_admin
        ).json
        for network in ("192.0.2.77/32", "100.0.0.0/8")
    }
    assert {c["state"] for c in claims.values()} == {"pending"}

    def red_report(address: str) -> str:
        body: dict[str, Any] = {
            "title": "C2 traffic",
            "category": "malware",
            "first_seen": "2026-11-30T10:00:00Z",
            "collection": collection,
            "tlp": "red",
            "indicators": [{"type": "ipv4-addr", "value": address, "role": "c2"}],
        }
        created = web.post("/api/v1/incidents", json=body, headers=police)
        assert created.status_code == 201, created.json
        return str(created.json["id"])

    def seen_by_a() -> list[str]:
        return [i["id"] for i in web.get("/api/v1/incidents", headers=a_admin).json["incidents"]]

    before = red_report("192.0.2.77")
    assert seen_by_a() == []

    pending = hub.run("org", "network", "pending", "--json")
    queued = [json.loads(line) for line in pending.stdout.splitlines()]
    assert [(q["organisation"], q["value"]) for q in queued] == [
        ("A ISP", "192.0.2.77/32"),
        ("A ISP", "100.0.0.0/8"),
    ]
    assert "inside another member's network" in queued[0]["reason"]
    assert "wider than /16" in queued[1]["reason"]
    decided = hub.run_all(
        [
            ("org", "network", "approve", "A ISP", "192.0.2.77/32"),
            ("org", "network", "reject", "A ISP", "100.0.0.0/8", "--note", "not A's"),
        ],
        check=True,
    )
    assert "approved" in decided[0].stdout
    assert "rejected" in decided[1].stdout

    after = red_report("192.0.2.77")
    unclaimed = red_report("100.1.2.3")
    assert seen_by_a() == [after]
    assert before not in seen_by_a()
    assert unclaimed not in seen_by_a()

    listing, again, empty = hub.run_all(
        [
            ("org", "network", "list", "A ISP", "--json"),
            ("org", "network", "approve", "A ISP", "100.0.0.0/8"),
            ("org", "network", "pending"),
        ]
    )
    states = {n["value"]: n["state"] for n in json.loads(listing.stdout)["networks"]}
    assert states == {
        "198.51.100.0/24": "approved",
        "192.0.2.77/32": "approved",
        "100.0.0.0/8": "rejected",
    }
    assert again.returncode == 1
    assert "already rejected" in again.stderr
    assert len(complaint(again.stderr).strip().splitlines()) == 1
    assert (empty.returncode, empty.stdout) == (0, "")
