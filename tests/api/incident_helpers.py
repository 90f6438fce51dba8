"""Helpers for the incident API tests: a friendly report and posting it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.helpers import Member


def report(collection: str, **overrides: Any) -> dict[str, Any]:
    """A valid friendly incident report."""
    body: dict[str, Any] = {
        "title": "DDoS on a customer's resolver",
        "description": "UDP amplification against 203.0.113.0/24",
        "category": "ddos",
        "determination": "confirmed",
        "investigation_status": "open",
        "criticality": 70,
        "first_seen": "2026-11-30T10:00:00Z",
        "last_seen": "2026-11-30T12:30:00Z",
        "affected_asns": [64500],
        "affected_prefixes": ["203.0.113.0/24"],
        "affected_services": ["dns"],
        "indicators": [
            {"type": "ipv4-addr", "value": "198.51.100.7", "role": "source"},
            {"type": "domain-name", "value": "c2.example.net", "role": "c2"},
        ],
        "tlp": "green",
        "collection": collection,
        "external_references": [{"source_name": "ticket", "external_id": "INC-42"}],
    }
    body.update(overrides)
    return body


def post_incident(client: FlaskClient, member: Member, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/incidents", json=body, headers=member.auth)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


def listed(client: FlaskClient, member: Member, **params: Any) -> list[str]:
    response = client.get("/api/v1/incidents", query_string=params, headers=member.auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [i["id"] for i in response.get_json()["incidents"]]
