"""The hub of the hostile-member probe: two ISPs, a police force and the hub
operator, admitted with ``federation`` as an operator types it, on SQLite or
on a PostgreSQL database of its own; and what each account sees of it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.cli.console import Hub
from tests.conftest import IN_CI
from tests.e2e.conftest import Credentials, _credentials, serve_hub
from tests.e2e.walk import TAXII, as_text, getter, rest_responses, taxii_responses
from tests.helpers import scaled

ISP_A = "Alpha ISP"
ISP_B = "Bravo ISP"
POLICE = "Metro Police"
OPERATOR = "Partnership Hub Staff"
B_NETWORK = "192.0.2.0/24"
# The address of every plain report: their correlations meet on it.
SHARED_IP = "198.51.100.7"
# The four accounts that walk the read paths after every act.
WALKERS = ("a", "b", "police", "admin")
# The server the PostgreSQL pass of the suite uses; the probe makes its own database there.
POSTGRES_SERVER = os.environ.get(
    "FEDERATION_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class PostgresHub(Hub):
    """A hub whose database is ``url`` instead of the SQLite file in its folder."""

    url: str = ""

    @property
    def database_url(self) -> str:
        return self.url


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """Create database ``name`` on the suite's PostgreSQL server, yield its URL, drop it.

    Skipped with the reason when the server cannot be reached, failed in CI."""
    admin_url = make_url(POSTGRES_SERVER).set(database="postgres")
    try:
        engine = create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
        )
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        shown = admin_url.render_as_string(hide_password=True)
        message = f"the PostgreSQL hostile probe needs a server: {shown}: {exc}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@dataclass
class View:
    """What one account gets from the shared collection and the incident index:
    the parts another organisation's hidden activity must never move."""

    objects: list[tuple[str, str | None]]
    manifest: list[dict[str, Any]]
    headers: list[tuple[str | None, str | None]]
    incidents: list[dict[str, Any]]
    stats: Any


@dataclass
class Walk:
    """Every response one account got on one walk, and its view."""

    responses: list[requests.Response]
    view: View

    def texts(self) -> Iterator[tuple[str, str]]:
        for response in self.responses:
            yield response.url, as_text(response)

    def json_of(self, path: str) -> Any:
        """The body of the first response whose URL path ends with ``path``."""
        for response in self.responses:
            if urlsplit(response.url).path.endswith(path) and response.status_code == 200:
                return response.json()
        raise AssertionError(f"the walk has no 200 for {path}")


@dataclass
class ProbeHub:
    url: str
    collection: str
    accounts: dict[str, Credentials]
    identities: dict[str, str]  # organisation -> identity id
    org_ids: dict[str, int] = field(default_factory=dict)
    # The status resource of every add so far -> the account that posted it.
    statuses: dict[str, str] = field(default_factory=dict)
    watched: list[str] = field(default_factory=list)  # STIX ids every walk reads one by one

    # -- writing, as an account ---------------------------------------------------

    def taxii_post(self, who: str, *objects: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            f"{self.url}/taxii2/hub/collections/{self.collection}/objects/",
            data=json.dumps({"objects": list(objects)}),
            headers={"Accept": TAXII, "Content-Type": TAXII},
            auth=self.accounts[who].basic,
            timeout=scaled(30),
        )
        assert response.status_code == 202, response.text
        status: dict[str, Any] = response.json()
        self.statuses[status["id"]] = who
        return status

    def taxii_get(self, who: str, stix_id: str) -> requests.Response:
        """One object of the shared collection (TAXII 2.1 section 5.6), as ``who``."""
        return getter(self.accounts[who], TAXII)(
            f"{self.url}/taxii2/hub/collections/{self.collection}/objects/{stix_id}/"
        )

    def rest(self, who: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """``method`` on ``/api/v1{path}`` as ``who`` (or with the ``auth``/``headers`` given)."""
        kwargs.setdefault("auth", self.accounts[who].basic)
        return requests.request(method, f"{self.url}/api/v1{path}", timeout=scaled(30), **kwargs)

    def report(self, who: str, **body: Any) -> str:
        """Report an incident over REST in the shared collection; its STIX id."""
        response = self.rest(
            who, "POST", "/incidents", json={**report_body(self.collection), **body}
        )
        assert response.status_code == 201, response.text
        stix_id: str = response.json()["id"]
        self.watched.append(stix_id)
        return stix_id

    # -- reading: one walk per account ------------------------------------------

    def walk(self, who: str, ips: tuple[str, ...] = (), statuses: tuple[str, ...] = ()) -> Walk:
        """Every read path as ``who``: TAXII (the ``statuses`` given: a status never
        changes once its add is done), the REST GETs, each listed incident's detail
        and bundle, and the incident list filtered by each of ``ips``."""
        creds = self.accounts[who]
        responses = list(
            taxii_responses(
                self.url,
                creds,
                [self.collection],
                status_ids=statuses,
                object_ids=self.watched,
                limit=100,
            )
        )
        rest = list(rest_responses(self.url, creds))
        responses += rest
        get = getter(creds, "application/json")
        listed = next(r for r in rest if urlsplit(r.url).path == "/api/v1/incidents")
        assert listed.status_code == 200, listed.text
        for incident in listed.json()["incidents"]:
            responses.append(get(f"{self.url}/api/v1/incidents/{incident['id']}"))
            responses.append(get(f"{self.url}/api/v1/incidents/{incident['id']}/stix"))
        for ip in ips:
            responses.append(get(f"{self.url}/api/v1/incidents", params={"ip": ip}))
        for response in responses:
            assert response.status_code < 500, as_text(response)
        return Walk(responses, self._view(responses))

    def _view(self, responses: list[requests.Response]) -> View:
        shared = f"/collections/{self.collection}/"
        objects, manifest, headers = [], [], []
        for response in responses:
            path = urlsplit(response.url).path
            if response.status_code != 200 or not path.startswith("/taxii2/"):
                continue
            if path.endswith(shared + "objects/"):
                objects += [
                    (o["id"], o.get("modified")) for o in response.json().get("objects", [])
                ]
            elif path.endswith(shared + "manifest/"):
                manifest += response.json().get("objects", [])
            else:
                continue
            headers.append(
                (
                    response.headers.get("X-TAXII-Date-Added-First"),
                    response.headers.get("X-TAXII-Date-Added-Last"),
                )
            )
        incidents = next(
            r.json()["incidents"]
            for r in responses
            if urlsplit(r.url).path == "/api/v1/incidents" and not urlsplit(r.url).query
        )
        stats = next(r.json() for r in responses if urlsplit(r.url).path == "/api/v1/stats")
        return View(objects, manifest, headers, incidents, stats)


def report_body(collection: str) -> dict[str, Any]:
    """A plain GREEN report; acts override what they need."""
    return {
        "title": "DDoS on a customer",
        "description": "UDP amplification",
        "category": "ddos",
        "determination": "confirmed",
        "investigation_status": "open",
        "criticality": 50,
        "first_seen": "2026-11-30T10:00:00Z",
        "indicators": [{"type": "ipv4-addr", "value": SHARED_IP, "role": "source"}],
        "tlp": "green",
        "collection": collection,
    }


def build(folder: Path, database_url: str | None) -> tuple[Hub, ProbeHub]:
    """Admit the members, their accounts and the shared collection through the CLI."""
    hub: Hub = (
        PostgresHub(folder, secrets.token_hex(32), url=database_url)
        if database_url
        else Hub.in_folder(folder)
    )
    hub.run("db", "upgrade")
    sectors = {ISP_A: "isp", ISP_B: "isp", POLICE: "law-enforcement", OPERATOR: "hub"}
    added = hub.run_all(
        [("org", "add", name, "--sector", sector) for name, sector in sectors.items()]
        + [("root", "add", "hub", "--title", "Hostile probe hub")],
        check=True,
    )
    identities = {
        name: re.search(r"identity--[0-9a-f-]{36}", result.stdout).group(0)  # type: ignore[union-attr]
        for name, result in zip(sectors, added, strict=False)
    }
    accounts = {
        "a": (ISP_A, "analyst"),
        "a-admin": (ISP_A, "org-admin"),
        "a-link": (ISP_A, "peer"),
        "b": (ISP_B, "analyst"),
        "police": (POLICE, "reader"),
        "officer": (POLICE, "analyst"),
        "admin": (OPERATOR, "hub-admin"),
    }
    commands = [
        ("account", "add", f"probe-{key}", "--org", org, "--role", role, "--json")
        for key, (org, role) in accounts.items()
    ]
    # The first command alone: it creates the operator's own account, which two
    # first commands side by side would both try to create (one of them fails).
    results = [hub.run(*commands[0])]
    results += [
        result
        for start in range(1, len(commands), 3)
        for result in hub.run_all(commands[start : start + 3], check=True)
    ]
    collection, _network = hub.run_all(
        [
            ("collection", "add", "--root", "hub", "--title", "shared", "--write", "*"),
            ("org", "network", "add", ISP_B, B_NETWORK),
        ],
        check=True,
    )
    probe = ProbeHub(
        url="",
        collection=collection.stdout.strip(),
        accounts={key: _credentials(r) for key, r in zip(accounts, results, strict=True)},
        identities=identities,
    )
    return hub, probe


@contextmanager
def served(hub: Hub, probe: ProbeHub) -> Iterator[ProbeHub]:
    with serve_hub(hub, hub.folder / "serve.stderr") as url:
        probe.url = url
        orgs = probe.rest("admin", "GET", "/orgs").json()["organisations"]
        probe.org_ids = {org["name"]: org["id"] for org in orgs}
        yield probe
