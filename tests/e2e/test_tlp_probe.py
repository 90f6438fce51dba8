"""The external TLP check: a hub set up through the CLI, probed over HTTP by every account.

Organisations of every sector are admitted with ``federation`` as an operator
types it; an ISP posts objects at every TLP level, with a named recipient, and
one report unattributed. Then every account walks every TAXII endpoint and
every parameterless GET of the REST API (as its OpenAPI document lists them),
and no response, body or headers, may name an object that account must not
see, nor, outside the poster's organisation, the unattributed poster.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.cli.console import Hub
from tests.e2e.conftest import Credentials, _credentials, serve_hub
from tests.e2e.walk import TAXII, as_text, getter, rest_responses, taxii_responses
from tests.helpers import scaled

pytestmark = pytest.mark.e2e

TLP2 = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
POSTER = "Poster ISP"
RECIPIENT = "Response CSIRT"
OUTSIDER = "Outsider Corp"
# Organisation -> sector; every sector of DESIGN.md, the outsider outside the collection.
ORGANISATIONS = {
    POSTER: "isp",
    "Peer ISP": "isp",
    "City Police": "law-enforcement",
    "Ministry": "government",
    "Bank": "business",
    RECIPIENT: "csirt",
    "Hub Ops": "hub",
    OUTSIDER: "business",
}
ROLES = ("reader", "org-admin")


@dataclass
class Probe:
    url: str
    collection: str
    accounts: dict[str, tuple[str, Credentials]]  # account name -> (organisation, credentials)
    identities: dict[str, str]  # organisation -> identity id
    objects: dict[str, dict[str, Any]]  # label -> posted object
    status_id: str


def _indicator(label: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": f"probe {label}",
        "pattern": "[ipv4-addr:value = '203.0.113.9']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        **extra,
    }


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probe]:
    hub = Hub.in_folder(tmp_path_factory.mktemp("tlp-probe"))
    hub.run("db", "upgrade")
    added = hub.run_all(
        [("org", "add", name, "--sector", sector) for name, sector in ORGANISATIONS.items()]
        + [("root", "add", "hub", "--title", "Probe hub")],
        check=True,
    )
    identities = {
        name: re.search(r"identity--[0-9a-f-]{36}", result.stdout).group(0)  # type: ignore[union-attr]
        for name, result in zip(ORGANISATIONS, added, strict=False)
    }
    members = [name for name in ORGANISATIONS if name != OUTSIDER]
    commands: list[tuple[str, ...]] = [
        ("account", "add", f"{sector}-{n}-{role}", "--org", name, "--role", role, "--json")
        for n, (name, sector) in enumerate(ORGANISATIONS.items())
        for role in ROLES
    ]
    commands += [
        ("account", "add", "poster-analyst", "--org", POSTER, "--role", "analyst", "--json"),
        ("account", "add", "operator-admin", "--org", "Hub Ops", "--role", "hub-admin", "--json"),
        (
            "collection",
            "add",
            "--root",
            "hub",
            "--title",
            "probe",
            "--read",
            ",".join(members),
            "--write",
            POSTER,
        ),
    ]
    # A few at a time: each command is an interpreter start-up, and a crowd of
    # them on a small machine only queues on SQLite's write lock.
    results = [
        result
        for start in range(0, len(commands), 6)
        for result in hub.run_all(commands[start : start + 6], check=True)
    ]
    accounts = {
        args[2]: (args[4], _credentials(result))
        for args, result in zip(commands, results, strict=False)
        if args[0] == "account"
    }
    collection = results[-1].stdout.strip()

    recipients = {"x_federation_recipients": [identities[RECIPIENT]]}
    objects = {
        level: _indicator(level, object_marking_refs=[ref], **recipients)
        for level, ref in TLP2.items()
    }
    objects["unmarked"] = _indicator("unmarked")
    objects["unattributed"] = _indicator(
        "unattributed",
        created_by_ref=identities[POSTER],
        object_marking_refs=[TLP2["green"]],
        x_federation_unattributed=True,
    )
    objects["poster identity"] = {
        "type": "identity",
        "spec_version": "2.1",
        "id": identities[POSTER],
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": POSTER,
        "identity_class": "organization",
        "x_federation_unattributed": True,
    }

    with serve_hub(hub, hub.folder / "serve.stderr") as url:
        _, poster = accounts["poster-analyst"]
        response = requests.post(
            f"{url}/taxii2/hub/collections/{collection}/objects/",
            json={"objects": list(objects.values())},
            headers={"Accept": TAXII, "Content-Type": TAXII},
            auth=poster.basic,
            timeout=scaled(30),
        )
        assert response.status_code == 202, response.text
        assert response.json()["success_count"] == len(objects), response.text
        yield Probe(url, collection, accounts, identities, objects, response.json()["id"])


def _may_see(organisation: str, label: str) -> bool:
    if organisation == OUTSIDER:
        return False
    if organisation == POSTER:
        return True
    if label == "poster identity":
        return False
    if label in ("amber+strict", "red"):
        return organisation == RECIPIENT
    return True


def _taxii_responses(probe: Probe, creds: Credentials) -> Iterator[requests.Response]:
    return taxii_responses(
        probe.url,
        creds,
        [probe.collection],
        status_ids=[probe.status_id],
        object_ids=[obj["id"] for obj in probe.objects.values()],
    )


def _rest_responses(probe: Probe, creds: Credentials) -> Iterator[requests.Response]:
    return rest_responses(probe.url, creds)


def test_no_account_sees_an_object_it_must_not_see(probe: Probe) -> None:
    leaks = []
    for account, (organisation, creds) in sorted(probe.accounts.items()):
        hidden = {
            label: obj["id"]
            for label, obj in probe.objects.items()
            if not _may_see(organisation, label) and label != "poster identity"
        }
        for response in [*_taxii_responses(probe, creds), *_rest_responses(probe, creds)]:
            assert response.status_code < 500, as_text(response)
            text = as_text(response)
            leaks += [
                f"{account} saw {label} in {response.url}"
                for label, stix_id in hidden.items()
                if stix_id in text
            ]
    assert leaks == []


def test_every_account_sees_what_it_may(probe: Probe) -> None:
    for account, (organisation, creds) in sorted(probe.accounts.items()):
        for label, obj in probe.objects.items():
            url = f"{probe.url}/taxii2/hub/collections/{probe.collection}/objects/{obj['id']}/"
            response = getter(creds, TAXII)(url)
            expected = 200 if _may_see(organisation, label) else 404
            assert response.status_code == expected, f"{account} reading {label}: {response.text}"


def test_unattributed_poster_is_named_in_no_response_to_another_organisation(
    probe: Probe,
) -> None:
    poster_identity = probe.identities[POSTER]
    leaks = []
    for account, (organisation, creds) in sorted(probe.accounts.items()):
        # The hub's own operators administer every organisation and list them by name.
        if organisation in (POSTER, "Hub Ops"):
            continue
        for response in [*_taxii_responses(probe, creds), *_rest_responses(probe, creds)]:
            text = as_text(response)
            if poster_identity in text or POSTER in text:
                leaks.append(f"{account} learnt the poster from {response.url}")
    assert leaks == []


def test_the_recipient_reads_the_unattributed_report_under_a_pseudonym(probe: Probe) -> None:
    _, creds = next(v for v in probe.accounts.values() if v[0] == RECIPIENT)
    obj = probe.objects["unattributed"]
    url = f"{probe.url}/taxii2/hub/collections/{probe.collection}/objects/{obj['id']}/"
    served = getter(creds, TAXII)(url).json()["objects"][0]
    assert served["created_by_ref"].startswith("identity--")
    assert served["created_by_ref"] != probe.identities[POSTER]
