"""Signed webhooks: routed deliveries POSTed from the outbox to a server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from federation.cli import cli
from federation.domain import webhooks
from federation.domain.errors import UnprocessableError
from federation.services.peering.worker import run_worker
from federation.services.routing import networks
from federation.services.routing.webhooks import deliver_pending, list_deliveries
from federation.storage.base import utcnow
from federation.storage.database import Database
from federation.storage.models import WebhookDelivery
from tests.conftest import Factory
from tests.helpers import Member
from tests.service.test_routing import add, declare, incident_bundle, viewer_of

SECRET = "a-webhook-secret-of-the-routed-isp"


@dataclass
class Receiver:
    """A member's webhook endpoint: records each POST, answers with ``statuses`` in turn."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append((dict(self.headers), body))
            self.send_response(state.statuses.pop(0) if state.statuses else 204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class Routed:
    poster: Member
    org_id: int
    objects: list[dict[str, Any]]


@pytest.fixture
def routed(db: Database, factory: Factory, receiver: Receiver) -> Routed:
    """An unattributed incident routed to an ISP whose webhook is the receiver."""
    poster = factory.member("Quiet ISP")
    factory.member("Routed ISP", role="reader")
    org_id = declare(db, "Routed ISP", "198.51.100.0/24")
    with db.session() as session:
        networks.set_webhook(
            session,
            None,
            org_id,
            receiver.url,
            "test-secret-key",
            secret=SECRET,
            allow_private=True,
        )
    objects = incident_bundle(created_by_ref=poster.identity_id, x_federation_unattributed=True)
    add(db, viewer_of(db, poster), factory.collection(), objects)
    return Routed(poster, org_id, objects)


def deliveries(db: Database) -> list[WebhookDelivery]:
    with db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_routed_delivery_is_posted_once_signed_and_without_the_poster(
    app: Flask, db: Database, receiver: Receiver, routed: Routed
) -> None:
    with db.session() as session:
        report = deliver_pending(session, app.config["SECRET_KEY"], allow_private=True)
        assert report.delivered == 1
        assert deliver_pending(session, app.config["SECRET_KEY"], allow_private=True).delivered == 0

    [(headers, body)] = receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[webhooks.SIGNATURE_HEADER] == expected
    payload = json.loads(body)
    assert payload["event"] == "routed"
    assert payload["objects"] == sorted(o["id"] for o in routed.objects[:3])
    [delivery] = deliveries(db)
    assert payload["collection"] == str(delivery.collection_id)
    assert int(headers[webhooks.TIMESTAMP_HEADER]) > 0
    assert routed.poster.identity_id not in body.decode()
    assert "Quiet ISP" not in body.decode()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("delivered", 1, "")


def test_a_failed_post_is_retried_later_with_backoff(
    app: Flask, db: Database, receiver: Receiver, routed: Routed
) -> None:
    receiver.statuses = [500]
    with db.session() as session:
        first = deliver_pending(session, app.config["SECRET_KEY"], allow_private=True)
    [delivery] = deliveries(db)
    assert (first.retrying, delivery.attempts, delivery.last_error) == (1, 1, "HTTP 500")
    assert delivery.next_attempt_at - utcnow() > timedelta(seconds=20)

    with db.session() as session:
        assert deliver_pending(session, app.config["SECRET_KEY"], allow_private=True).delivered == 0
        later = utcnow() + timedelta(minutes=1)
        assert (
            deliver_pending(
                session, app.config["SECRET_KEY"], now=later, allow_private=True
            ).delivered
            == 1
        )
    assert len(receiver.received) == 2
    assert deliveries(db)[0].state == "delivered"


def test_a_delivery_is_given_up_after_the_last_attempt_with_its_error_kept(
    app: Flask, db: Database, routed: Routed
) -> None:
    def unreachable(*_args: Any) -> int:
        raise ConnectionRefusedError("connection refused")

    now = utcnow()
    with db.session() as session:
        for _ in range(webhooks.MAX_ATTEMPTS):
            deliver_pending(
                session, app.config["SECRET_KEY"], now=now, send=unreachable, allow_private=True
            )
            now += timedelta(days=1)
    [delivery] = deliveries(db)
    assert (delivery.state, delivery.attempts) == ("failed", webhooks.MAX_ATTEMPTS)
    assert "connection refused" in delivery.last_error
    with db.session() as session:
        [listed] = list_deliveries(session, state="failed")
    assert (listed.organisation, listed.attempts) == ("Routed ISP", webhooks.MAX_ATTEMPTS)


def test_the_payload_names_only_objects_the_member_may_see(
    app: Flask, db: Database, receiver: Receiver, routed: Routed
) -> None:
    with db.session() as session:
        [delivery] = session.scalars(select(WebhookDelivery))
        delivery.stix_ids = [*delivery.stix_ids, routed.objects[3]["id"]]
        session.commit()
        deliver_pending(session, app.config["SECRET_KEY"], allow_private=True)
    payload = json.loads(receiver.received[0][1])
    assert routed.objects[3]["id"] not in payload["objects"]
    assert len(payload["objects"]) == 3


def test_a_cleared_webhook_fails_its_pending_deliveries(
    app: Flask, db: Database, receiver: Receiver, routed: Routed
) -> None:
    with db.session() as session:
        networks.clear_webhook(session, None, routed.org_id)
        assert deliver_pending(session, app.config["SECRET_KEY"], allow_private=True).failed == 1
    assert receiver.received == []


def test_webhooks_to_the_hubs_own_network_are_refused_unless_allowed(
    app: Flask, db: Database, receiver: Receiver, routed: Routed
) -> None:
    with db.session() as session:
        report = deliver_pending(session, app.config["SECRET_KEY"])
    [delivery] = deliveries(db)
    assert (report.retrying, receiver.received) == (1, [])
    assert "non-public address 127.0.0.1" in delivery.last_error
    with db.session() as session:
        health = networks.routing_info(session, None, routed.org_id)
    assert (health.pending_deliveries, health.failed_deliveries) == (1, 0)
    assert health.last_error == delivery.last_error


def test_the_operator_sets_webhooks_and_delivers_from_the_command_line(
    app: Flask,
    runner: FlaskCliRunner,
    db: Database,
    factory: Factory,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    factory.member("Routed ISP", role="reader")
    poster = factory.member("Poster ISP")
    added = runner.invoke(cli, args=["org", "network", "add", "Routed ISP", "198.51.100.0/24"])
    assert added.exit_code == 0, added.output
    hook = runner.invoke(
        cli,
        args=["org", "webhook", "set", "Routed ISP", receiver.url, "--secret-env", "HOOK_SECRET"],
        env={"HOOK_SECRET": SECRET},
    )
    assert hook.exit_code == 0, hook.output
    assert SECRET not in hook.output
    add(db, viewer_of(db, poster), factory.collection(), incident_bundle())

    delivered = runner.invoke(cli, args=["webhooks", "deliver", "--once"])
    assert delivered.exit_code == 0, delivered.output
    assert "1 delivered" in delivered.output
    [(headers, body)] = receiver.received
    assert headers[webhooks.SIGNATURE_HEADER] == webhooks.signature(SECRET, body)
    outbox = runner.invoke(cli, args=["webhooks", "list", "--json"])
    [line] = outbox.output.splitlines()
    assert json.loads(line) | {"id": 0, "created_at": "", "next_attempt_at": ""} == {
        "id": 0,
        "organisation": "Routed ISP",
        "state": "delivered",
        "attempts": 1,
        "objects": 3,
        "created_at": "",
        "next_attempt_at": "",
        "delivered_at": json.loads(line)["delivered_at"],
        "last_error": "",
    }
    assert runner.invoke(cli, args=["webhooks", "list", "--state", "failed"]).output == ""

    listed = runner.invoke(cli, args=["org", "network", "list", "Routed ISP", "--json"])
    document = json.loads(listed.output)
    assert [n["value"] for n in document["networks"]] == ["198.51.100.0/24"]
    assert document["inbox_collection_id"] == json.loads(body)["collection"]
    assert document["webhook_url"] == receiver.url

    cleared = runner.invoke(cli, args=["org", "webhook", "clear", "Routed ISP"])
    removed = runner.invoke(cli, args=["org", "network", "remove", "Routed ISP", "198.51.100.0/24"])
    assert (cleared.exit_code, removed.exit_code) == (0, 0)
    missing = runner.invoke(cli, args=["org", "network", "remove", "Routed ISP", "AS64500"])
    assert missing.exit_code == 1
    assert "declared no network" in missing.output
    bad = runner.invoke(cli, args=["org", "network", "add", "Routed ISP", "198.51.100.7/24"])
    assert bad.exit_code == 1
    assert "host bits set" in bad.output


def test_the_worker_posts_due_webhooks_while_it_waits_for_peers(
    app: Flask, db: Database, receiver: Receiver, routed: Routed
) -> None:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(db.session, app.config["SECRET_KEY"], stop),
        kwargs={"poll": 0.05, "allow_private_webhooks": True},
    )
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not receiver.received:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)

    assert not thread.is_alive()
    assert len(receiver.received) == 1
    [delivery] = deliveries(db)
    assert delivery.state == "delivered"


def hook_on(receiver: Receiver, host: str) -> str:
    """The receiver's URL with ``host`` in place of 127.0.0.1."""
    return receiver.url.replace("127.0.0.1", host)


def dns(answers: dict[str, list[str]]) -> webhooks.Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"Name or service not known: {host}")
        return answers[host]

    return resolve


def routed_to(db: Database, factory: Factory, url: str, resolve: webhooks.Resolver) -> int:
    """An incident routed to an ISP whose webhook is ``url``, set with ``resolve``."""
    poster = factory.member("Poster ISP")
    factory.member("Routed ISP", role="reader")
    org_id = declare(db, "Routed ISP", "198.51.100.0/24")
    with db.session() as session:
        networks.set_webhook(
            session, None, org_id, url, "test-secret-key", secret=SECRET, resolve=resolve
        )
    add(db, viewer_of(db, poster), factory.collection(), incident_bundle())
    return org_id


def test_a_host_that_rebinds_to_a_private_address_after_the_check_gets_nothing(
    app: Flask, db: Database, factory: Factory, receiver: Receiver
) -> None:
    url = hook_on(receiver, "hooks.member.test")
    # Public when set; the hub's own loopback (where the receiver listens) at delivery.
    routed_to(db, factory, url, dns({"hooks.member.test": ["93.184.215.14"]}))
    rebound = dns({"hooks.member.test": ["127.0.0.1"]})
    with db.session() as session:
        report = deliver_pending(session, app.config["SECRET_KEY"], resolve=rebound)
    assert (report.delivered, report.retrying) == (0, 1)
    assert receiver.received == []
    [delivery] = deliveries(db)
    assert "hooks.member.test resolves to the non-public address 127.0.0.1" in (delivery.last_error)


def test_a_delivery_connects_to_the_address_it_checked_and_names_the_host(
    app: Flask, db: Database, factory: Factory, receiver: Receiver
) -> None:
    # No resolver on this machine knows hooks.member.test: the POST can only
    # reach the receiver through the address the check resolved and pinned.
    url = hook_on(receiver, "hooks.member.test")
    local = dns({"hooks.member.test": ["127.0.0.1"]})
    factory.member("Routed ISP", role="reader")
    org_id = declare(db, "Routed ISP", "198.51.100.0/24")
    with db.session() as session:
        with pytest.raises(UnprocessableError, match=r"non-public address 127\.0\.0\.1"):
            networks.set_webhook(session, None, org_id, url, "k", secret=SECRET, resolve=local)
        networks.set_webhook(
            session, None, org_id, url, "k", secret=SECRET, resolve=local, allow_private=True
        )
    poster = factory.member("Poster ISP")
    add(db, viewer_of(db, poster), factory.collection(), incident_bundle())
    with db.session() as session:
        report = deliver_pending(session, "k", resolve=local, allow_private=True)
    assert report.delivered == 1
    [(headers, body)] = receiver.received
    assert headers["Host"] == url.split("/")[2]
    assert headers[webhooks.SIGNATURE_HEADER] == webhooks.signature(SECRET, body)
    assert deliveries(db)[0].state == "delivered"


def test_a_redirect_is_not_followed_to_an_unchecked_target(
    app: Flask, db: Database, receiver: Receiver, routed: Routed
) -> None:
    receiver.statuses = [307]
    with db.session() as session:
        report = deliver_pending(session, app.config["SECRET_KEY"], allow_private=True)
    assert report.retrying == 1
    assert len(receiver.received) == 1
    assert deliveries(db)[0].last_error == "HTTP 307"
