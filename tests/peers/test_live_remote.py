"""The real taxii2-client path against a live hub on 127.0.0.1: pull, push, failures."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from sqlalchemy import select

from federation.domain.sealing import PeerCredentials
from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.storage.models import ObjectVersion
from federation.taxii.media import TAXII_MEDIA_TYPE
from tests.e2e.conftest import LiveHub
from tests.helpers import scaled
from tests.peers.conftest import LocalHub, named

pytestmark = pytest.mark.e2e


def post_remote(live: LiveHub, *documents: dict[str, Any]) -> None:
    response = requests.post(
        live.collection_url("shared") + "objects/",
        json={"objects": list(documents)},
        headers={"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE},
        auth=live.accounts["analyst"].basic,
        timeout=scaled(30),
    )
    assert response.status_code == 202
    assert response.json()["failure_count"] == 0


def remote_names(live: LiveHub) -> set[str]:
    response = requests.get(
        live.collection_url("shared") + "objects/",
        params={"limit": 1000},
        headers={"Accept": TAXII_MEDIA_TYPE},
        auth=live.accounts["officer"].basic,
        timeout=scaled(30),
    )
    return {o.get("name", "") for o in response.json().get("objects", [])}


def link(hub: LocalHub, live: LiveHub, name: str = "live", **settings: Any) -> int:
    analyst = live.accounts["analyst"]
    values: dict[str, Any] = {
        "url": live.root_url,
        "collection": live.collections["shared"],
        "credentials": PeerCredentials(user=analyst.account, password=analyst.token),
    }
    values.update(settings)
    return hub.add_peer(name, **values)


def test_pull_from_a_live_hub_stores_its_objects_once(hub: LocalHub, live_hub: LiveHub) -> None:
    tag = uuid.uuid4().hex[:8]
    post_remote(live_hub, *(named(f"live {tag} {i}") for i in range(3)))
    peer_id = link(hub, live_hub, direction="pull")

    first = hub.sync(peer_id)
    second = hub.sync(peer_id)

    assert first.ok, first.error
    assert first.pulled >= 3
    assert second.ok
    assert second.pulled == 0
    assert second.received == 0
    assert hub.peer("live")["pull_checkpoint"] is not None


def test_push_to_a_live_hub_sends_green_and_keeps_red(hub: LocalHub, live_hub: LiveHub) -> None:
    tag = uuid.uuid4().hex[:8]
    hub.post(
        named(f"green {tag}", object_marking_refs=[TLP2_MARKING_IDS[Tlp.GREEN]]),
        named(f"red {tag}", object_marking_refs=[TLP2_MARKING_IDS[Tlp.RED]]),
    )
    peer_id = link(hub, live_hub, direction="push")

    result = hub.sync(peer_id)

    assert result.ok, result.error
    assert result.pushed == 1
    names = remote_names(live_hub)
    assert f"green {tag}" in names
    assert f"red {tag}" not in names


def test_wrong_credentials_fail_the_pass_without_showing_them(
    hub: LocalHub, live_hub: LiveHub
) -> None:
    wrong = PeerCredentials(user=live_hub.accounts["analyst"].account, password="wrong-secret-xyz")
    peer_id = link(hub, live_hub, credentials=wrong)

    result = hub.sync(peer_id)

    assert not result.ok
    assert "HTTP 401" in (result.error or "")
    assert "wrong-secret-xyz" not in (result.error or "")
    assert hub.peer("live")["consecutive_failures"] == 1


def test_a_remote_that_is_not_listening_is_a_connection_error(
    hub: LocalHub, live_hub: LiveHub
) -> None:
    peer_id = link(hub, live_hub, url="http://127.0.0.1:9/taxii2/hub/")

    result = hub.sync(peer_id)

    assert not result.ok
    assert "cannot connect" in (result.error or "")


def test_an_unknown_remote_collection_fails_the_pass(hub: LocalHub, live_hub: LiveHub) -> None:
    peer_id = link(hub, live_hub, collection=str(uuid.uuid4()))

    result = hub.sync(peer_id)

    assert not result.ok
    assert "HTTP 404" in (result.error or "")


def test_pull_brings_every_version_not_only_the_latest(hub: LocalHub, live_hub: LiveHub) -> None:
    first = named(f"versioned {uuid.uuid4().hex[:8]}")
    post_remote(live_hub, first, {**first, "modified": "2024-03-01T00:00:00.000Z"})
    peer_id = link(hub, live_hub, direction="pull")

    assert hub.sync(peer_id).ok

    with hub.db.session() as session:
        versions = session.scalars(
            select(ObjectVersion.modified).where(ObjectVersion.stix_id == first["id"])
        ).all()
    assert len(versions) == 2
