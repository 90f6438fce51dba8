"""``federation peer add|list|show|remove`` and ``federation sync`` as an operator types them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from federation.cli import cli
from federation.storage.models import Peer
from tests.peers.conftest import FakeRemote, LocalHub, named

PASSWORD = "peer-password-never-shown"


def add_args(hub: LocalHub, name: str = "hub-b", *extra: str) -> list[str]:
    return [
        "peer",
        "add",
        name,
        "--url",
        "http://127.0.0.1:8001/taxii2/hub/",
        "--collection",
        "0b1b4a3c-0000-4000-8000-000000000001",
        "--local-collection",
        hub.collection,
        # Nothing answers at that URL: these tests are about what is saved;
        # tests/peers/test_peer_checks.py asks a live remote.
        "--no-check",
        *extra,
    ]


def run_json(runner: FlaskCliRunner, *args: str) -> Any:
    result = runner.invoke(cli, args=[*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_peer_add_prints_the_peer_without_its_credentials(
    runner: FlaskCliRunner, hub: LocalHub
) -> None:
    result = runner.invoke(
        cli, args=add_args(hub, "hub-b", "--user", "hub-a", "--password", PASSWORD, "--json")
    )

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    peer = json.loads(result.output)
    assert peer["name"] == "hub-b"
    assert peer["auth"] == "basic"
    assert peer["direction"] == "both"
    assert peer["max_tlp"] == "green"
    assert peer["interval"] == 300
    assert peer["organisation"] == "hub-b"


def test_credentials_are_stored_sealed(runner: FlaskCliRunner, hub: LocalHub) -> None:
    runner.invoke(cli, args=add_args(hub, "hub-b", "--user", "hub-a", "--password", PASSWORD))

    with hub.db.session() as session:
        sealed = session.scalars(select(Peer.sealed_credentials)).one()
    assert sealed
    assert PASSWORD not in sealed
    assert "hub-a" not in sealed


def test_credentials_may_come_from_the_environment(
    runner: FlaskCliRunner, hub: LocalHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEDERATION_PEER_TOKEN", "token-from-env")
    peer = run_json(runner, *add_args(hub, "by-token"))
    assert peer["auth"] == "bearer"

    monkeypatch.setenv("FEDERATION_PEER_PASSWORD", PASSWORD)
    peer = run_json(runner, *add_args(hub, "by-password", "--user", "hub-a"))
    assert peer["auth"] == "basic"


def test_amber_needs_a_peer_trusted_for_amber(runner: FlaskCliRunner, hub: LocalHub) -> None:
    refused = runner.invoke(cli, args=add_args(hub, "hub-b", "--max-tlp", "amber"))
    assert refused.exit_code == 1
    assert refused.output.strip().startswith("Error:")
    assert "trusted" in refused.output

    peer = run_json(runner, *add_args(hub, "hub-b", "--max-tlp", "amber", "--trusted-amber"))
    assert peer["max_tlp"] == "amber"
    assert peer["trusted_amber"] is True


@pytest.mark.parametrize(
    "extra",
    [
        ("--max-tlp", "red"),
        ("--direction", "sideways"),
        ("--interval", "0"),
        ("--user", "someone"),
        ("--password", "alone"),
    ],
)
def test_bad_peer_settings_are_one_line_errors(
    runner: FlaskCliRunner, hub: LocalHub, extra: tuple[str, ...]
) -> None:
    result = runner.invoke(cli, args=add_args(hub, "hub-b", *extra))
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_a_peer_url_may_not_carry_credentials(runner: FlaskCliRunner, hub: LocalHub) -> None:
    args = add_args(hub)
    args[args.index("--url") + 1] = f"http://hub-a:{PASSWORD}@127.0.0.1:8001/taxii2/hub/"
    result = runner.invoke(cli, args=args)
    assert result.exit_code == 1
    assert PASSWORD not in result.output


def test_peer_names_are_unique(runner: FlaskCliRunner, hub: LocalHub) -> None:
    assert runner.invoke(cli, args=add_args(hub)).exit_code == 0
    again = runner.invoke(cli, args=add_args(hub))
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_peer_list_show_and_remove(runner: FlaskCliRunner, hub: LocalHub) -> None:
    runner.invoke(cli, args=add_args(hub, "hub-b", "--direction", "pull", "--interval", "60"))
    runner.invoke(cli, args=add_args(hub, "hub-c"))

    listed = run_json(runner, "peer", "list")
    assert [p["name"] for p in listed] == ["hub-b", "hub-c"]
    shown = run_json(runner, "peer", "show", "hub-b")
    for key in (
        "pull_checkpoint",
        "push_checkpoint",
        "last_success",
        "last_error",
        "consecutive_failures",
        "next_attempt",
        "lag_objects",
        "lag_seconds",
        "counters",
    ):
        assert key in shown
    assert shown["interval"] == 60
    assert shown["direction"] == "pull"
    text = runner.invoke(cli, args=["peer", "show", "hub-b"])
    assert "last success: -" in text.output

    assert runner.invoke(cli, args=["peer", "remove", "hub-b"]).exit_code == 0
    assert [p["name"] for p in run_json(runner, "peer", "list")] == ["hub-c"]
    missing = runner.invoke(cli, args=["peer", "show", "hub-b"])
    assert missing.exit_code == 1
    assert "no peer named" in missing.output


def test_peer_add_uses_the_given_organisation_and_peer_account(
    runner: FlaskCliRunner, hub: LocalHub, factory: Any
) -> None:
    member = factory.member("Hub B", sector="hub", role="peer")
    peer = run_json(runner, *add_args(hub, "hub-b", "--org", "Hub B", "--account", member.account))
    assert peer["organisation"] == "Hub B"
    assert peer["account"] == member.account

    analyst = factory.member("Hub B", sector="hub", role="analyst")
    refused = runner.invoke(cli, args=add_args(hub, "hub-x", "--account", analyst.account))
    assert refused.exit_code == 1
    assert "peer role" in refused.output


def test_sync_shows_progress_and_exits_zero_when_every_peer_synced(
    runner: FlaskCliRunner, hub: LocalHub, remote: FakeRemote
) -> None:
    runner.invoke(cli, args=add_args(hub))
    remote.add_remote(named("one"), named("two"))

    result = runner.invoke(cli, args=["sync"])

    assert result.exit_code == 0, result.output
    assert "hub-b: pulled 2 objects (2 new)" in result.output
    assert "hub-b: ok" in result.output


def test_sync_exits_one_with_a_line_per_failed_peer(
    runner: FlaskCliRunner, hub: LocalHub, remote: FakeRemote
) -> None:
    runner.invoke(cli, args=add_args(hub, "hub-b", "--user", "hub-a", "--password", PASSWORD))
    remote.unreachable = True

    result = runner.invoke(cli, args=["sync", "--peer", "hub-b"])

    assert result.exit_code == 1
    assert "Error: hub-b: fetching objects: cannot connect" in result.output
    assert PASSWORD not in result.output


def test_sync_of_an_unknown_peer_is_an_error(runner: FlaskCliRunner, hub: LocalHub) -> None:
    result = runner.invoke(cli, args=["sync", "--peer", "nobody"])
    assert result.exit_code == 1
    assert "no peer named 'nobody'" in result.output
