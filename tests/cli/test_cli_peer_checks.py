"""``peer add`` asks the remote before saving, ``peer test`` asks again, ``peer remove``
tidies up: as an operator types them, against a live hub on 127.0.0.1 as the remote."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.cli.console import Hub, complaint
from tests.e2e.conftest import LiveHub
from tests.e2e.conftest import live_hub as live_hub  # the remote

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> tuple[Hub, str]:
    hub = Hub.in_folder(tmp_path_factory.mktemp("checking-hub"))
    hub.run("db", "upgrade")
    hub.run("root", "add", "hub", "--title", "Local")
    made = hub.run("collection", "add", "--root", "hub", "--title", "From peers", "--write", "*")
    return hub, made.stdout.strip()


def link(live: LiveHub, local_collection: str, name: str, *extra: str) -> tuple[str, ...]:
    reader = live.accounts["reader"]
    return (
        "peer",
        "add",
        name,
        "--url",
        live.root_url,
        "--collection",
        live.collections["shared"],
        "--local-collection",
        local_collection,
        "--user",
        reader.account,
        "--password",
        reader.token,
        *extra,
    )


def test_peer_add_says_what_is_wrong_and_saves_nothing(
    local: tuple[Hub, str], live_hub: LiveHub
) -> None:
    hub, collection = local
    base = link(live_hub, collection, "wrong")
    url_at = base.index("--url") + 1
    collection_at = base.index("--collection") + 1
    password_at = base.index("--password") + 1
    discovery = (*base[:url_at], live_hub.discovery_url, *base[url_at + 1 :], "--direction", "pull")
    no_root = (*base[:url_at], f"{live_hub.url}/taxii2/nope/", *base[url_at + 1 :])
    bad_password = (*base[:password_at], "not-the-token", *base[password_at + 1 :])
    hidden = (*base[:collection_at], live_hub.collections["police"], *base[collection_at + 1 :])
    unknown = (*base[:collection_at], str(uuid.uuid4()), *base[collection_at + 1 :])
    pushing = base  # the reader may read, not write, and the default direction is both
    nobody = (*base[:url_at], "http://127.0.0.1:9/taxii2/hub/", *base[url_at + 1 :])

    # Two batches rather than eight processes at once: each start-up and each
    # question to the remote must finish within the console's 60 s on a busy machine.
    results = hub.run_all([discovery, no_root, bad_password, hidden])
    results += hub.run_all([unknown, pushing, nobody, ("peer", "list")])
    *refused, listed = results

    assert [r.returncode for r in refused] == [1] * 7
    errors = [complaint(r.stderr) for r in refused]
    assert all(e.count("\n") == 1 and e.startswith("Error: ") for e in errors)
    assert f"that URL is a discovery endpoint; its API roots are: {live_hub.root_url}" in errors[0]
    assert "no TAXII API root at" in errors[1]
    assert f"its API roots are: {live_hub.root_url}" in errors[1]
    assert "refused these credentials" in errors[2]
    assert live_hub.accounts["reader"].token not in "".join(errors)
    shared = f"these credentials see: {live_hub.collections['shared']} (shared)"
    assert "has no collection" in errors[3]
    assert shared in errors[3]
    assert live_hub.collections["police"] not in errors[3].split("see:")[1]
    assert "has no collection" in errors[4]
    assert shared in errors[4]
    assert "can_write is false" in errors[5]
    assert "--direction pull" in errors[5]
    assert "cannot connect to http://127.0.0.1:9/taxii2/hub/" in errors[6]
    assert listed.returncode == 0
    assert "wrong" not in listed.stdout
    assert "wrong" not in hub.run("org", "list").stdout


def test_a_link_the_remote_accepts_is_saved_and_tested_again(
    local: tuple[Hub, str], live_hub: LiveHub
) -> None:
    hub, collection = local
    added = hub.run(*link(live_hub, collection, "reading", "--direction", "pull", "--json"))
    assert json.loads(added.stdout)["name"] == "reading"

    tested = hub.run("peer", "test", "reading")
    assert "the remote answers as the link needs" in tested.stdout
    assert "collection 'shared' (can_read true, can_write false)" in tested.stdout


def test_peer_test_reports_a_remote_gone_since_an_offline_add(
    local: tuple[Hub, str], live_hub: LiveHub
) -> None:
    hub, collection = local
    offline = link(live_hub, collection, "offline", "--direction", "pull", "--no-check")
    url_at = offline.index("--url") + 1
    offline = (*offline[:url_at], "http://127.0.0.1:9/taxii2/hub/", *offline[url_at + 1 :])
    hub.run(*offline)

    tested = hub.run("peer", "test", "offline", check=False)
    missing = hub.run("peer", "test", "nobody", check=False)

    assert tested.returncode == 1
    assert complaint(tested.stderr) == "Error: cannot connect to http://127.0.0.1:9/taxii2/hub/\n"
    assert (missing.returncode, complaint(missing.stderr)) == (1, "Error: no peer named 'nobody'\n")


def test_peer_remove_removes_the_organisation_it_made_unless_used(
    local: tuple[Hub, str], live_hub: LiveHub
) -> None:
    hub, collection = local
    hub.run("org", "add", "Hub Kept", "--sector", "hub")
    hub.run_all(
        [
            link(live_hub, collection, "made", "--direction", "pull", "--no-check"),
            link(live_hub, collection, "given", "--direction", "pull", "--org", "Hub Kept"),
        ],
        check=True,
    )
    assert "made" in json.dumps(hub.run("org", "list", "--json").stdout)

    removed_made, removed_given = hub.run_all(
        [("peer", "remove", "made"), ("peer", "remove", "given")], check=True
    )

    assert removed_made.stdout == "peer made removed, and its organisation 'made'\n"
    assert removed_given.stdout == "peer given removed\n"
    names = [o["name"] for o in json.loads(hub.run("org", "list", "--json").stdout)]
    assert "made" not in names
    assert "Hub Kept" in names
    events = hub.run("audit", "--json").stdout
    assert "peer.remove" in events
    assert "peer.add" in events
