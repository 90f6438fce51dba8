"""One live hub of a federation test, driven the way operators and members do it.

Each hub is the real console script: its own folder, SQLite database and
secret key, set up with ``federation org|account|root|collection add`` and
served by ``federation serve`` (gunicorn) on a free 127.0.0.1 port (see
``tests/e2e/fleet.py`` for setting several up together).

Tests read hubs as members do (taxii2-client) and check provenance, which no
wire format shows, in the hub's own database file.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import uuid
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taxii2client.v21 import Collection, as_pages

from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from tests.cli.console import FEDERATION, Hub
from tests.e2e.conftest import Credentials
from tests.helpers import scaled

COMMAND_TIMEOUT = scaled(120.0)
TLP_LEVELS = tuple(level.label for level in Tlp)
Version = tuple[str, str]


@dataclass
class FederationHub:
    """One running hub and what the tests need to reach it."""

    name: str
    console: Hub
    port: int
    identities: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Credentials] = field(default_factory=dict)
    collections: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def title(self) -> str:
        """The organisation that stands for this hub on the other hubs."""
        return f"Hub {self.name.upper()}"

    @property
    def isp(self) -> str:
        return f"ISP {self.name.upper()}"

    @property
    def police(self) -> str:
        return f"Police {self.name.upper()}"

    @property
    def peer_account(self) -> str:
        """The account this hub uses on the others."""
        return f"hub-{self.name}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def root_url(self) -> str:
        return f"{self.url}/taxii2/hub/"

    def collection_url(self, title: str) -> str:
        return f"{self.root_url}collections/{self.collections[title]}/"

    @property
    def folder(self) -> Path:
        return self.console.folder

    @property
    def database(self) -> Path:
        return self.folder / "hub.db"

    # -- the console script -------------------------------------------------

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """Start ``federation ARGS`` in this hub's environment, in its own process group."""
        return subprocess.Popen(
            [str(FEDERATION), *args],
            env=self.console.environ(**env),
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def cli(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        """Run ``federation ARGS``; with ``check``, fail on a non-zero exit."""
        return finish([(self, list(args), self.start(*args, **env))], check=check)[0]

    def peer_show(self, peer: str) -> dict[str, Any]:
        shown: dict[str, Any] = json.loads(self.cli("peer", "show", peer, "--json").stdout)
        return shown

    def sync(
        self, peer: str | None = None, *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.cli("sync", *(("--peer", peer) if peer else ()), check=check)

    # -- TAXII, as members read and write --------------------------------------

    def taxii(self, title: str, account: str = "analyst") -> Collection:
        who = self.accounts[account]
        return Collection(self.collection_url(title), user=who.account, password=who.token)

    def post(self, title: str, objects: Sequence[dict[str, Any]], account: str = "analyst") -> None:
        """Add ``objects`` over TAXII and require every one to succeed."""
        with self.taxii(title, account) as collection:
            for start in range(0, len(objects), 500):
                batch = list(objects[start : start + 500])
                status = collection.add_objects({"objects": batch}, wait_for_completion=True)
                assert (status.success_count, status.failure_count) == (len(batch), 0), (
                    status.failures[:3]
                )

    def documents(self, title: str, account: str = "analyst") -> list[dict[str, Any]]:
        """Every version of every object ``account`` may see, oldest addition first."""
        with self.taxii(title, account) as collection:
            return [
                obj
                for page in as_pages(collection.get_objects, per_request=1000, version="all")
                for obj in page.get("objects", [])
            ]

    def versions(self, title: str, account: str = "analyst") -> list[Version]:
        return [
            (o["id"], o.get("modified", o.get("created", "")))
            for o in self.documents(title, account)
        ]

    # -- the database, for what no wire format shows --------------------------

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Run a read-only query on the hub's SQLite database (the hub keeps running)."""
        uri = f"file:{self.database}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=scaled(30))) as connection:
            return list(connection.execute(sql, params))

    def stored_versions(self, title: str) -> list[tuple[str, str]]:
        """(STIX id, stored version) of every row in a collection, duplicates included."""
        rows = self.query(
            "SELECT stix_id, version FROM object_versions WHERE collection_id = ?",
            *self._collection_keys(title),
        )
        return [(str(stix_id), str(version)) for stix_id, version in rows]

    def provenance(self, title: str) -> dict[str, set[tuple[str | None, str | None, str | None]]]:
        """STIX id -> {(source peer, source account, owning organisation)} of its rows."""
        rows = self.query(
            "SELECT v.stix_id, v.source_peer, a.name, o.name FROM object_versions v"
            " LEFT JOIN accounts a ON a.id = v.source_account_id"
            " LEFT JOIN organisations o ON o.id = v.owner_organisation_id"
            " WHERE v.collection_id = ?",
            *self._collection_keys(title),
        )
        found: dict[str, set[tuple[str | None, str | None, str | None]]] = {}
        for stix_id, peer, account, organisation in rows:
            found.setdefault(str(stix_id), set()).add((peer, account, organisation))
        return found

    def stored_document(self, title: str, stix_id: str) -> dict[str, Any]:
        """The one stored version of ``stix_id``, as stored."""
        rows = self.query(
            "SELECT document FROM object_versions WHERE collection_id = ? AND stix_id = ?",
            *self._collection_keys(title),
            stix_id,
        )
        assert len(rows) == 1, f"{len(rows)} stored versions of {stix_id}"
        document: dict[str, Any] = json.loads(rows[0][0])
        return document

    def stored_text_contains(self, title: str, needle: str) -> bool:
        rows = self.query(
            "SELECT COUNT(*) FROM object_versions WHERE collection_id = ? AND document LIKE ?",
            *self._collection_keys(title),
            f"%{needle}%",
        )
        return bool(rows[0][0])

    def _collection_keys(self, title: str) -> list[str]:
        # SQLite stores UUID columns as 32 hex digits without dashes.
        return [uuid.UUID(self.collections[title]).hex]

    # -- objects a member posts ------------------------------------------------

    def incident(self, tlp: str | None, *, label: str = "", **extra: Any) -> dict[str, Any]:
        """An indicator posted by this hub's ISP at ``tlp`` (None: unmarked).

        AMBER+STRICT and RED name the police as recipient, as members do when
        they share those levels at all.
        """
        obj: dict[str, Any] = {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": f"{self.isp} {label or tlp or 'unmarked'}",
            "pattern": f"[ipv4-addr:value = '198.51.100.{next(_OCTETS)}']",
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
            **extra,
        }
        if tlp is not None:
            obj["object_marking_refs"] = [TLP2_MARKING_IDS[Tlp.parse(tlp)]]
            if Tlp.parse(tlp) >= Tlp.AMBER_STRICT:
                obj["x_federation_recipients"] = [self.identities[self.police]]
        return obj

    def unattributed_report(self) -> list[dict[str, Any]]:
        """The police's own identity and a GREEN indicator it posts unattributed.

        Post it as ``officer``; no other object of the police ever leaves the hub.
        """
        identity = self.identities[self.police]
        return [
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": identity,
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "name": self.police,
                "identity_class": "organization",
            },
            self.incident("green", label="unattributed")
            | {"created_by_ref": identity, "x_federation_unattributed": True},
        ]


_OCTETS = itertools.cycle(range(1, 255))


def finish(
    started: Sequence[tuple[FederationHub, Sequence[str], subprocess.Popen[str]]],
    *,
    check: bool = True,
) -> list[subprocess.CompletedProcess[str]]:
    """Wait for commands started side by side; with ``check``, fail on the first bad exit."""
    results = []
    for _, args, process in started:
        try:
            stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        results.append(subprocess.CompletedProcess(list(args), process.returncode, stdout, stderr))
    # Only once every command has ended: none is left running when one failed.
    for (hub, _, _), result in zip(started, results, strict=True):
        if check and result.returncode != 0:
            raise AssertionError(
                f"hub {hub.name}: federation {' '.join(result.args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
    return results


def run_side_by_side(
    commands: Iterable[tuple[FederationHub, Sequence[str]]], *, check: bool = True
) -> list[subprocess.CompletedProcess[str]]:
    """Independent commands, possibly on several hubs, run at once (each pays the start-up)."""
    started = [(hub, list(args), hub.start(*args)) for hub, args in commands]
    return finish(started, check=check)
