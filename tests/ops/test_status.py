"""``federation status``: workers, peers' lag and errors, and the webhook queue."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskCliRunner

from federation.cli import cli
from federation.config import load_config
from federation.domain.sealing import PeerCredentials
from federation.services.access import accounts
from federation.services.peering import peers
from federation.storage.base import utcnow
from federation.storage.database import Database
from federation.storage.models import Peer, WebhookDelivery
from tests.conftest import Factory


def test_status_reports_a_failing_peer_its_worker_and_queued_webhooks(
    runner: FlaskCliRunner, db: Database, factory: Factory
) -> None:
    factory.member("Example ISP")
    collection = factory.collection()
    now = utcnow()
    with db.session() as session:
        peer = peers.add_peer(
            session,
            "test-secret-key",
            peers.PeerSettings(
                name="hub-b",
                url="http://127.0.0.1:9/taxii2/hub/",
                collection="remote",
                local_collection=collection,
                credentials=PeerCredentials(user="hub-a", password="peer-password-123"),
            ),
        )
        row = session.get(Peer, peer.id)
        assert row is not None
        row.last_error = "HTTP 404 from the remote API root"
        row.consecutive_failures = 3
        row.last_attempt_at = now
        row.lease_owner = "host-1:4242:abcd1234"
        row.lease_expires_at = now + timedelta(seconds=60)
        org_id = accounts.organisation_named(session, "Example ISP").id
        for state, error in (("pending", "connection refused"), ("pending", ""), ("failed", "x")):
            session.add(
                WebhookDelivery(
                    organisation_id=org_id,
                    collection_id=uuid.UUID(collection),
                    stix_ids=[],
                    state=state,
                    last_error=error,
                    next_attempt_at=now - timedelta(seconds=1),
                )
            )
        session.commit()

    text = runner.invoke(cli, ["status"])
    shown = runner.invoke(cli, ["status", "--json"])

    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[2] == "workers    host-1:4242:abcd1234"
    assert lines[3].startswith("peers      1 (last attempt 20")
    assert "hub-b" in lines[4]
    assert "failures 3" in lines[4]
    assert "error: HTTP 404 from the remote API root" in lines[4]
    assert lines[5].startswith("webhooks   2 pending (2 due, oldest 20")
    assert lines[5].endswith("1 failed, 0 delivered")
    assert lines[6] == "  last error: x"
    status = json.loads(shown.output)
    assert status["ready"] is True
    assert status["workers"] == ["host-1:4242:abcd1234"]
    (reported,) = status["peers"]
    assert reported["name"] == "hub-b"
    assert reported["consecutive_failures"] == 3
    assert reported["last_error"] == "HTTP 404 from the remote API root"
    assert "password" not in shown.output
    assert status["webhooks"]["pending"] == 2
    assert status["webhooks"]["failed"] == 1


def test_previous_keys_are_read_as_a_list_from_the_environment_and_toml(tmp_path: Path) -> None:
    base = {"FEDERATION_INSTANCE_PATH": str(tmp_path), "FEDERATION_SECRET_KEY": "k"}
    from_env = load_config(environ={**base, "FEDERATION_PREVIOUS_SECRET_KEYS": "old-1, old-2,"})
    assert from_env["PREVIOUS_SECRET_KEYS"] == ("old-1", "old-2")
    toml = tmp_path / "federation.toml"
    toml.write_text('previous_secret_keys = ["old-1"]\nmetrics_token = "scrape"\n')
    from_file = load_config(environ={**base, "FEDERATION_CONFIG": str(toml)})
    assert from_file["PREVIOUS_SECRET_KEYS"] == ("old-1",)
    assert from_file["METRICS_TOKEN"] == "scrape"
