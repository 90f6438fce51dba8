"""``/api/v1/peers``: hub admins only, credentials write-only, health visible."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.storage.models import AuditEvent, Peer
from tests.conftest import Factory
from tests.helpers import Member
from tests.peers.conftest import FakeRemote, LocalHub, named

SECRET_PASSWORD = "never-in-a-response-password"
SECRET_TOKEN = "never-in-a-response-token"


@pytest.fixture
def admin(factory: Factory) -> Member:
    return factory.member("Hub operator", sector="hub", role="hub-admin")


def create(client: FlaskClient, who: Member, **body: Any) -> Any:
    return client.post("/api/v1/peers", data=json.dumps(body), headers=_json(who))


def _json(who: Member) -> dict[str, str]:
    return {**who.auth, "Content-Type": "application/json"}


def peer_body(hub: LocalHub, name: str = "hub-b", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "url": "http://127.0.0.1:8001/taxii2/hub/",
        "collection": "0b1b4a3c-0000-4000-8000-000000000001",
        "local_collection": hub.collection,
        **extra,
    }


def test_a_hub_admin_creates_lists_shows_and_removes_peers(
    client: FlaskClient, hub: LocalHub, admin: Member
) -> None:
    created = create(client, admin, **peer_body(hub, user="hub-a", password=SECRET_PASSWORD))
    assert created.status_code == 201, created.json
    assert created.headers["Location"].endswith("/api/v1/peers/hub-b")
    assert created.json["auth"] == "basic"
    assert created.json["direction"] == "both"

    listed = client.get("/api/v1/peers", headers=admin.auth)
    assert [p["name"] for p in listed.json["peers"]] == ["hub-b"]
    shown = client.get("/api/v1/peers/hub-b", headers=admin.auth)
    assert shown.status_code == 200
    assert shown.json["counters"] == {
        "pulled": 0,
        "pushed": 0,
        "failed": 0,
    }

    assert client.delete("/api/v1/peers/hub-b", headers=admin.auth).status_code == 204
    assert client.get("/api/v1/peers/hub-b", headers=admin.auth).status_code == 404


def test_credentials_are_write_only(client: FlaskClient, hub: LocalHub, admin: Member) -> None:
    responses = [
        create(client, admin, **peer_body(hub, "basic", user="hub-a", password=SECRET_PASSWORD)),
        create(client, admin, **peer_body(hub, "bearer", token=SECRET_TOKEN)),
        client.get("/api/v1/peers", headers=admin.auth),
        client.get("/api/v1/peers/basic", headers=admin.auth),
        client.get("/api/v1/peers/bearer", headers=admin.auth),
    ]
    for response in responses:
        text = response.get_data(as_text=True)
        assert response.status_code < 300
        assert SECRET_PASSWORD not in text
        assert SECRET_TOKEN not in text
        assert "password" not in text
        assert "sealed" not in text
    with hub.db.session() as session:
        details = " ".join(session.scalars(select(AuditEvent.detail)))
        sealed = " ".join(session.scalars(select(Peer.sealed_credentials)))
    assert SECRET_PASSWORD not in details + sealed
    assert SECRET_TOKEN not in details + sealed


def test_peer_changes_are_audited(client: FlaskClient, hub: LocalHub, admin: Member) -> None:
    create(client, admin, **peer_body(hub))
    client.delete("/api/v1/peers/hub-b", headers=admin.auth)

    with hub.db.session() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["peer.add", "peer.remove"]


@pytest.mark.parametrize("role", ["analyst", "org-admin", "reader", "peer"])
def test_only_hub_admins_may_see_or_manage_peers(
    client: FlaskClient, hub: LocalHub, admin: Member, factory: Factory, role: str
) -> None:
    create(client, admin, **peer_body(hub))
    other = factory.member("Example ISP", role=role)

    assert client.get("/api/v1/peers", headers=other.auth).status_code == 403
    assert client.get("/api/v1/peers/hub-b", headers=other.auth).status_code == 403
    assert create(client, other, **peer_body(hub, "mine")).status_code == 403
    assert client.delete("/api/v1/peers/hub-b", headers=other.auth).status_code == 403


def test_anonymous_callers_are_refused(client: FlaskClient) -> None:
    assert client.get("/api/v1/peers").status_code == 401


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"max_tlp": "red"}, "max_tlp"),
        ({"direction": "sideways"}, "direction"),
        ({"interval": "300"}, "interval"),
        ({"user": "only-a-user"}, "_schema"),
        ({"token": "t", "user": "u", "password": "p"}, "_schema"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_peers_are_422_naming_the_field(
    client: FlaskClient, hub: LocalHub, admin: Member, extra: dict[str, Any], field: str
) -> None:
    response = create(client, admin, **peer_body(hub, **extra))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_amber_without_trust_is_refused(client: FlaskClient, hub: LocalHub, admin: Member) -> None:
    response = create(client, admin, **peer_body(hub, max_tlp="amber"))
    assert response.status_code == 422
    assert "trusted" in response.json["detail"]
    trusted = create(client, admin, **peer_body(hub, max_tlp="amber", trusted_amber=True))
    assert trusted.status_code == 201


def test_an_unknown_local_collection_is_404(
    client: FlaskClient, hub: LocalHub, admin: Member
) -> None:
    body = peer_body(hub, local_collection="no-such-collection")
    assert create(client, admin, **body).status_code == 404


def test_peers_appear_in_the_openapi_document(client: FlaskClient, admin: Member) -> None:
    document = client.get("/api/v1/openapi.json", headers=admin.auth).json
    assert {"get", "post"} <= set(document["paths"]["/api/v1/peers"])
    assert {"get", "delete"} <= set(document["paths"]["/api/v1/peers/{name}"])
    create_schema = document["components"]["schemas"]["PeerCreate"]["properties"]
    assert "password" in create_schema
    assert "password" not in document["components"]["schemas"]["Peer"]["properties"]


def test_metrics_show_each_peer_counters_success_lag_and_failures(
    client: FlaskClient, hub: LocalHub, remote: FakeRemote
) -> None:
    peer_id = hub.add_peer("hub-b", direction="both")
    remote.add_remote(named("pulled"))
    hub.post(named("pushed"))
    hub.sync(peer_id)

    metrics = {"Authorization": "Bearer test-metrics-token"}
    text = client.get("/metrics", headers=metrics).get_data(as_text=True)

    assert (
        'federation_peer_objects_total{direction="pull",outcome="stored",peer="hub-b"} 1.0' in text
    )
    assert (
        'federation_peer_objects_total{direction="push",outcome="success",peer="hub-b"} 1.0' in text
    )
    assert 'federation_peer_last_success_timestamp{peer="hub-b"}' in text
    assert 'federation_peer_lag_objects{peer="hub-b"} 0.0' in text
    assert 'federation_peer_failures{peer="hub-b"} 0.0' in text
    assert "peer-password-123" not in text
