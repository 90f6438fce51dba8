"""Operating a hub from the console script: list, show, update, disable and remove
organisations, accounts, tokens, API roots and collections, as an operator types them.

Each command runs in its own process (about a second of start-up), so
independent commands run side by side and assertions are grouped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from federation import create_app
from federation.cli import COMMANDS, load_command
from federation.taxii.media import TAXII_MEDIA_TYPE
from federation.web.db import database
from tests.cli.console import Hub, complaint
from tests.helpers import indicator

ORG = "Example ISP"
SECTORS = "isp, law-enforcement, government, business, csirt, hub"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    hub = Hub.in_folder(tmp_path_factory.mktemp("operated-hub"))
    hub.run("db", "upgrade")
    hub.run_all(
        [("org", "add", ORG, "--sector", "isp"), ("root", "add", "hub", "--title", "Hub")],
        check=True,
    )
    return hub


@pytest.fixture(scope="module")
def web(hub: Hub) -> Any:
    app = create_app({"DATABASE_URL": hub.database_url, "SECRET_KEY": hub.secret_key})
    yield app.test_client()
    database(app).dispose()


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def error(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed command."""
    assert result.returncode != 0, result.stdout
    said = complaint(result.stderr)
    assert said.count("\n") == 1, result.stderr
    assert said.startswith("Error: ")
    return said.removeprefix("Error: ").strip()


def audited(hub: Hub) -> list[str]:
    return [json.loads(line)["action"] for line in lines(hub.run("audit", "--json"))]


def test_the_help_lists_every_command_without_loading_the_database_layer() -> None:
    # The listing comes from a table, so a command missing from it or described
    # differently there would go unseen in `federation --help`.
    for name, (_, text) in COMMANDS.items():
        assert load_command(name).get_short_help_str(limit=500) == text, name
    probe = (
        "import sys; from federation.cli import main; sys.argv = ['federation', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'federation.api', 'federation.services')"
        " if m in sys.modules))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert shown.stdout.splitlines()[-1] == "[]"
    for name in COMMANDS:
        assert f"  {name} " in shown.stdout


def test_organisations_are_listed_shown_and_updated(hub: Hub) -> None:
    listed, shown, updated, nothing, unknown, sector = hub.run_all(
        [
            ("org", "list", "--json"),
            ("org", "show", ORG, "--json"),
            ("org", "update", ORG, "--contact-email", "abuse@isp.example"),
            ("org", "update", ORG),
            ("org", "show", "Nobody"),
            ("org", "add", "Police", "--sector", "police"),
        ]
    )
    assert ORG in [o["name"] for o in json.loads(listed.stdout)]
    assert json.loads(shown.stdout)["sector"] == "isp"
    assert updated.stdout == f"organisation {ORG} updated\n"
    assert nothing.returncode == 2
    assert "give at least one option" in error(nothing)
    assert error(unknown) == "no organisation named 'Nobody'"
    assert sector.returncode == 2
    assert "'police' is not one of 'isp', 'law-enforcement'" in error(sector)

    text = hub.run("org", "show", ORG)
    assert "contact email: abuse@isp.example" in lines(text)
    assert "admin.org.update" in audited(hub)


def test_accounts_are_listed_shown_changed_disabled_and_enabled(hub: Hub, web: FlaskClient) -> None:
    issued = json.loads(
        hub.run("account", "add", "analyst-1", "--org", ORG, "--role", "analyst", "--json").stdout
    )
    token = (issued["account"], issued["token"])

    def status() -> int:
        response = web.get("/taxii2/", headers={"Accept": TAXII_MEDIA_TYPE}, auth=token)
        return response.status_code

    listed, by_org, shown, bad_role = hub.run_all(
        [
            ("account", "list", "--json"),
            ("account", "list", "--org", ORG),
            ("account", "show", "analyst-1", "--json"),
            ("account", "update", "analyst-1", "--role", "boss"),
        ]
    )
    role = hub.run("account", "update", "analyst-1", "--role", "reader")
    assert "analyst-1" in [a["name"] for a in json.loads(listed.stdout)]
    assert [line.split("\t")[1:4] for line in lines(by_org)] == [["analyst-1", ORG, "analyst"]]
    assert json.loads(shown.stdout)["disabled"] is False
    assert role.returncode == 0
    assert "'boss' is not one of 'reader', 'analyst', 'org-admin', 'hub-admin', 'peer'" in error(
        bad_role
    )
    assert json.loads(hub.run("account", "show", "analyst-1", "--json").stdout)["role"] == "reader"

    assert status() == 200
    assert hub.run("account", "disable", "analyst-1").stdout == "account analyst-1 disabled\n"
    assert status() == 401
    assert hub.run("account", "enable", "analyst-1").stdout == "account analyst-1 enabled\n"
    assert status() == 200
    missing = hub.run("account", "disable", "nobody", check=False)
    assert error(missing) == "no account named 'nobody'"
    assert audited(hub).count("admin.account.update") == 3


def test_token_list_shows_the_ids_token_revoke_takes(hub: Hub, web: FlaskClient) -> None:
    issued = json.loads(
        hub.run("account", "add", "machine-1", "--org", ORG, "--role", "reader", "--json").stdout
    )
    listed = hub.run("token", "list", "--account", "machine-1")
    [row] = lines(listed)
    token_id, account, prefix, label, state = row.split("\t")
    assert (account, label, state) == ("machine-1", "first token", "active")
    assert issued["token"].startswith(prefix.removesuffix("..."))
    assert issued["token"] not in listed.stdout

    hub.run("token", "revoke", token_id)
    everyone = json.loads(hub.run("token", "list", "--json").stdout)
    [revoked] = [t for t in everyone if t["id"] == int(token_id)]
    assert revoked["revoked_at"] is not None
    response = web.get(
        "/taxii2/", headers={"Accept": TAXII_MEDIA_TYPE}, auth=("machine-1", issued["token"])
    )
    assert response.status_code == 401
    unknown = hub.run("token", "list", "--account", "nobody", check=False)
    assert error(unknown) == "no account named 'nobody'"


def test_api_roots_are_listed_shown_updated_and_removed(hub: Hub) -> None:
    hub.run("root", "add", "spare", "--title", "Spare")
    listed, shown, nothing, taken, bad_name = hub.run_all(
        [
            ("root", "list", "--json"),
            ("root", "show", "spare"),
            ("root", "update", "spare"),
            ("root", "add", "hub", "--title", "Again"),
            ("root", "add", "Bad Name", "--title", "x"),
        ]
    )
    assert {"hub", "spare"} <= {r["name"] for r in json.loads(listed.stdout)}
    assert "title: Spare" in lines(shown)
    updated = hub.run("root", "update", "spare", "--title", "Spare root")
    assert updated.stdout == "API root spare updated\n"
    assert nothing.returncode == 2
    assert error(taken) == "an API root named 'hub' already exists"
    assert "lower-case letters" in error(bad_name)
    assert json.loads(hub.run("root", "show", "spare", "--json").stdout)["title"] == "Spare root"

    hub.run("collection", "add", "--root", "spare", "--title", "Only")
    refused = hub.run("root", "remove", "spare", check=False)
    assert error(refused) == "API root 'spare' still holds 1 collection(s); remove them first"
    hub.run(
        "collection",
        "remove",
        json.loads(hub.run("collection", "list", "--root", "spare", "--json").stdout)[0]["id"],
    )
    assert hub.run("root", "remove", "spare").stdout == "API root spare removed\n"
    assert "spare" not in hub.run("root", "list").stdout
    actions = audited(hub)
    for action in ("admin.root.create", "admin.root.update", "admin.root.delete"):
        assert action in actions


def test_collections_are_unique_by_title_and_listed_shown_updated_and_removed(
    hub: Hub, tmp_path: Path
) -> None:
    made = hub.run("collection", "add", "--root", "hub", "--title", "Incidents", "--alias", "inc")
    collection = made.stdout.strip()
    again, tlp, sector, unknown_org = hub.run_all(
        [
            ("collection", "add", "--root", "hub", "--title", "Incidents"),
            ("collection", "add", "--root", "hub", "--title", "Purple", "--default-tlp", "purple"),
            ("collection", "add", "--root", "hub", "--title", "Police", "--read", "sector:police"),
            ("collection", "add", "--root", "hub", "--title", "Nobody's", "--read", "Nobody"),
        ]
    )
    assert error(again) == (
        f"API root 'hub' already has a collection titled 'Incidents' ({collection})"
    )
    assert error(tlp) == (
        "unknown TLP level 'purple'; choose one of: clear, green, amber, amber+strict, red"
    )
    assert error(sector) == f"unknown sector 'police'; choose one of: {SECTORS}"
    assert error(unknown_org) == "no organisation named 'Nobody'"
    titles = [c["title"] for c in json.loads(hub.run("collection", "list", "--json").stdout)]
    assert titles.count("Incidents") == 1
    assert "Purple" not in titles

    updated, nothing = hub.run_all(
        [
            ("collection", "update", "inc", "--read", f"{ORG},sector:csirt", "--write", ORG),
            ("collection", "update", "inc"),
        ]
    )
    assert updated.stdout == f"collection {collection} updated\n"
    assert nothing.returncode == 2
    shown = json.loads(hub.run("collection", "show", collection, "--json").stdout)
    assert (shown["read"], shown["write"]) == ([ORG, "sector:csirt"], [ORG])
    assert "read: Example ISP, sector:csirt" in lines(hub.run("collection", "show", "inc"))

    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"type": "bundle", "objects": [indicator()]}))
    hub.run("import", str(bundle), "--collection", collection)
    refused = hub.run("collection", "remove", "inc", check=False)
    assert error(refused) == "collection 'inc' cannot be removed: it holds 1 object version(s)"
    empty = hub.run("collection", "add", "--root", "hub", "--title", "Empty").stdout.strip()
    removed, gone = hub.run_all(
        [("collection", "remove", empty), ("collection", "show", str(uuid.uuid4()))]
    )
    assert removed.stdout == f"collection {empty} removed\n"
    assert error(gone).startswith("no collection")
    actions = audited(hub)
    for action in ("admin.collection.create", "admin.collection.update", "admin.collection.delete"):
        assert action in actions


def test_deliver_once_fails_while_deliveries_fail(hub: Hub, tmp_path: Path) -> None:
    # The receiver that never answers is on this machine, which webhooks may
    # reach only when the operator allows private addresses.
    hub = replace(hub, settings=(("FEDERATION_WEBHOOK_ALLOW_PRIVATE", "true"),))
    hub.run("org", "add", "Routed ISP", "--sector", "isp")
    hub.run_all(
        [
            ("org", "network", "add", "Routed ISP", "198.51.100.0/24"),
            ("org", "webhook", "set", "Routed ISP", "http://127.0.0.1:9/hook"),
        ],
        check=True,
    )
    target = hub.run("collection", "add", "--root", "hub", "--title", "Routed", "--write", "*")
    address = {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uuid.uuid4()}"}
    address["value"] = "198.51.100.7"
    bundle = tmp_path / "routed.json"
    bundle.write_text(json.dumps({"type": "bundle", "objects": [address]}))
    hub.run("import", str(bundle), "--collection", target.stdout.strip())

    delivered = hub.run("webhooks", "deliver", "--once", check=False)

    assert delivered.returncode == 1
    assert delivered.stdout == "0 delivered, 1 to retry, 0 failed\n"
    # The worker's log line comes first on stderr; the error is the last line.
    message = delivered.stderr.splitlines()[-1]
    assert message.startswith("Error: 1 delivery still failing (1 to retry, 0 given up): ")
    assert "Connection refused" in message
