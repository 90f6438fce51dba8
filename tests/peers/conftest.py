"""A fake remote TAXII collection, and a local hub with one peer link to it.

The fake stands in for ``federation.peers.client.RemoteCollection`` (the only
code that talks to remote servers), so the sync service is tested on the real
database without a network; tests/peers/test_live_remote.py covers the real
client against a live hub.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from federation.domain.sealing import PeerCredentials
from federation.peers.client import PushOutcome, RemoteError, RemotePage
from federation.services.peering import peers, sync
from federation.storage.database import Database
from tests.conftest import Factory
from tests.helpers import Member, indicator, objects_url

SECRET = "test-secret-key"  # the app fixture's SECRET_KEY


@dataclass
class FakeRemote:
    """A remote collection in memory, with switches for the ways peers fail."""

    objects: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    envelopes: list[int] = field(default_factory=list)
    page_requests: list[str | None] = field(default_factory=list)
    refuse_ids: set[str] = field(default_factory=set)
    max_length: int = 10 * 1024 * 1024
    fail_after_pages: int | None = None
    unreachable: bool = False
    gives_cursors: bool = False

    def add_remote(self, *documents: dict[str, Any], same_date_added: bool = False) -> None:
        """Add objects, each with its own date_added or (like medallion) all with one."""
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=len(self.objects))
        for i, document in enumerate(documents):
            tick = timedelta(microseconds=0 if same_date_added else i)
            added = (start + tick).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            self.objects.append((added, document))

    def get_page(
        self, added_after: str | None, limit: int, cursor: str | None = None
    ) -> RemotePage:
        if self.unreachable:
            raise RemoteError("fetching objects: cannot connect to the remote (or it hung up)")
        if self.fail_after_pages is not None and len(self.page_requests) >= self.fail_after_pages:
            raise RemoteError("fetching objects: the remote answered HTTP 500")
        self.page_requests.append(added_after)
        after = [(d, o) for d, o in self.objects if added_after is None or d > added_after]
        start = int(cursor) if cursor else 0
        page = after[start : start + limit]
        more = len(after) > start + limit
        return RemotePage(
            [o for _, o in page],
            more=more,
            last_added=page[-1][0] if page else None,
            next=str(start + limit) if more and self.gives_cursors else None,
        )

    def max_content_length(self) -> int:
        return self.max_length

    def envelope_size(self, objects: list[bytes]) -> int:
        return 14 + sum(len(o) for o in objects) + max(len(objects) - 1, 0)

    def add_objects(self, encoded: list[bytes], keys: list[tuple[str, str]]) -> PushOutcome:
        if self.unreachable:
            raise RemoteError("adding objects: cannot connect to the remote (or it hung up)")
        assert self.envelope_size(encoded) <= self.max_length
        self.envelopes.append(len(encoded))
        outcome = PushOutcome()
        for raw, key in zip(encoded, keys, strict=True):
            document = json.loads(raw)
            if document["id"] in self.refuse_ids:
                outcome.failed[key] = "refused by the fake"
            else:
                self.received.append(document)
                outcome.succeeded.add(key)
        return outcome

    def received_names(self) -> list[str]:
        return sorted(d.get("name", "") for d in self.received)


@pytest.fixture
def remote(monkeypatch: pytest.MonkeyPatch) -> FakeRemote:
    fake = FakeRemote()

    @contextmanager
    def connect(
        _url: str, _collection: str, _credentials: PeerCredentials, _timeout: float
    ) -> Iterator[FakeRemote]:
        yield fake

    monkeypatch.setattr(sync, "remote_collection", connect)
    return fake


@dataclass
class LocalHub:
    """The hub under test: a collection, a member posting to it, and peer links."""

    app: Flask
    db: Database
    client: FlaskClient
    collection: str
    member: Member

    def add_peer(self, name: str = "hub-b", **settings: Any) -> int:
        values: dict[str, Any] = {
            "url": "http://127.0.0.1:9/taxii2/hub/",
            "collection": "remote-collection",
            "local_collection": self.collection,
            "credentials": PeerCredentials(user="hub-a", password="peer-password-123"),
        }
        values.update(settings)
        with self.db.session() as session:
            return peers.add_peer(session, SECRET, peers.PeerSettings(name=name, **values)).id

    def post(self, *documents: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(
            objects_url(self.collection),
            data=json.dumps({"objects": list(documents)}),
            headers=self.member.post_headers,
        )
        assert response.status_code == 202, response.get_data(as_text=True)
        body: dict[str, Any] = response.json  # type: ignore[assignment]
        assert body["failure_count"] == 0, body
        return body

    def sync(self, peer_id: int) -> sync.SyncResult:
        from federation.services.peering import leases

        owner = leases.new_lease_owner()
        with self.db.session() as session:
            assert leases.claim(session, peer_id, owner, due_only=False)
            return sync.sync_peer(session, SECRET, peer_id, owner)

    def peer(self, name: str = "hub-b") -> dict[str, Any]:
        with self.db.session() as session:
            return peers.report(session, peers.peer_named(session, name)).as_dict()


@pytest.fixture
def hub(app: Flask, db: Database, client: FlaskClient, factory: Factory) -> LocalHub:
    collection = factory.collection(default_tlp="green")
    member = factory.member("Example ISP")
    return LocalHub(app, db, client, collection, member)


def named(name: str, **extra: Any) -> dict[str, Any]:
    """An indicator called ``name`` (names make assertions readable)."""
    return indicator(name=name, **extra)


# The live hub of the end-to-end tests, for the real client (test_live_remote.py).
from tests.e2e.conftest import live_hub as live_hub  # noqa: E402
