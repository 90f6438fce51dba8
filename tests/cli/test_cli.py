"""The ``federation`` console script as an operator types it, against a fresh SQLite hub.

Each command runs in its own process, which costs about a second of start-up,
so independent commands run side by side and assertions are grouped.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import stix2
from click.testing import CliRunner
from flask.testing import FlaskClient

from federation import create_app
from federation.cli import cli
from federation.taxii.media import TAXII_MEDIA_TYPE
from federation.web.db import database
from tests.cli.console import FEDERATION, Hub, complaint
from tests.helpers import indicator

ORG = "Example ISP"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    """A migrated hub with one organisation and the ``hub`` API root."""
    hub = Hub.in_folder(tmp_path_factory.mktemp("cli-hub"))
    hub.run("db", "upgrade")
    hub.run_all(
        [("org", "add", ORG, "--sector", "isp"), ("root", "add", "hub", "--title", "CLI hub")],
        check=True,
    )
    return hub


@pytest.fixture(scope="module")
def collection_id(hub: Hub) -> str:
    result = hub.run("collection", "add", "--root", "hub", "--title", "Imports", "--write", "*")
    return str(uuid.UUID(result.stdout.strip()))


@pytest.fixture(scope="module")
def web(hub: Hub) -> Iterator[FlaskClient]:
    """The same hub's HTTP side in this process, to check the tokens the CLI prints."""
    app = create_app({"DATABASE_URL": hub.database_url, "SECRET_KEY": hub.secret_key})
    yield app.test_client()
    database(app).dispose()


def discovery_status(web: FlaskClient, account: str, token: str) -> int:
    response = web.get("/taxii2/", headers={"Accept": TAXII_MEDIA_TYPE}, auth=(account, token))
    return response.status_code


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def test_every_command_has_help(hub: Hub) -> None:
    # Every command found by walking the group, so commands added later are
    # covered too; in this process, since each console-script start costs a second.
    paths = [(), *command_paths(cli)]
    expected = {("db", "upgrade"), ("org", "add"), ("account", "add"), ("token", "revoke")}
    assert expected <= set(paths)
    assert ("serve",) in paths
    assert ("import",) in paths
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(cli, [*path, "--help"], prog_name="federation", env=hub.environ())
        assert result.exit_code == 0, (path, result.output)
        assert result.output.startswith(f"Usage: {' '.join(('federation', *path))} ")

    # And through the installed console script itself.
    top, nested = hub.run_all([("--help",), ("collection", "add", "--help")], check=True)
    for process in (top, nested):
        assert process.stdout.startswith("Usage: federation ")
        assert process.stderr == ""
    assert "collection" in top.stdout
    assert "--read" in nested.stdout
    assert "--write" in nested.stdout


def test_bad_input_is_one_error_line_and_a_non_zero_exit(
    hub: Hub, collection_id: str, tmp_path: Path
) -> None:
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"type": "bundle", "objects": [')
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"type": "bundle", "objects": [indicator()]}))
    cases = {
        "unknown org": (
            ("account", "add", "someone", "--org", "No Such Org", "--role", "analyst", "--json"),
            "no organisation named 'No Such Org'",
        ),
        "duplicate org": (("org", "add", ORG, "--sector", "isp"), "already exists"),
        "bad sector": (("org", "add", "New Org", "--sector", "bank"), "'bank'"),
        "bad role": (("account", "add", "someone", "--org", ORG, "--role", "boss"), "'boss'"),
        "unknown collection": (
            ("import", str(bundle), "--collection", str(uuid.uuid4())),
            "no collection",
        ),
        "malformed JSON": (
            ("import", str(malformed), "--collection", collection_id),
            "is not JSON",
        ),
        "missing file": (
            ("import", str(tmp_path / "absent.json"), "--collection", collection_id),
            "absent.json",
        ),
        "invalid UUID": (
            ("collection", "add", "--root", "hub", "--title", "T", "--id", "not-a-uuid"),
            "not-a-uuid",
        ),
        "unknown root": (("collection", "add", "--root", "nope", "--title", "T"), "'nope'"),
        "unknown token": (("token", "revoke", "987654"), "987654"),
    }
    results = hub.run_all([args for args, _ in cases.values()])
    problems = []
    for (case, (_args, fragment)), result in zip(cases.items(), results, strict=True):
        # Commands that open the database name it on stderr first (issue 15).
        lines = [x for x in result.stderr.splitlines() if not x.startswith("database: ")]
        if not (
            result.returncode != 0
            and len(lines) == 1
            and lines[0].startswith("Error: ")
            and fragment in lines[0]
            and result.stdout == ""
        ):
            problems.append(f"{case}: exit {result.returncode}, stderr {result.stderr!r}")
    assert not problems, "\n".join(problems)


def test_account_add_json_prints_one_object_with_a_working_token(
    hub: Hub, web: FlaskClient
) -> None:
    added = hub.run("account", "add", "cli-analyst", "--org", ORG, "--role", "analyst", "--json")
    assert len(added.stdout.splitlines()) == 1
    issued = json.loads(added.stdout)
    assert set(issued) == {"account", "token"}
    assert issued["account"] == "cli-analyst"
    assert discovery_status(web, "cli-analyst", issued["token"]) == 200

    second = json.loads(hub.run("token", "add", "cli-analyst", "--label", "ci", "--json").stdout)
    assert second["account"] == "cli-analyst"
    assert second["token"] != issued["token"]
    assert discovery_status(web, "cli-analyst", second["token"]) == 200

    revoked = hub.run("token", "revoke", str(second["id"]))
    assert f"token {second['id']} revoked" in revoked.stdout
    assert discovery_status(web, "cli-analyst", second["token"]) == 401
    assert discovery_status(web, "cli-analyst", issued["token"]) == 200


def demo_table(output: str, heading: str) -> dict[str, str]:
    """Account name to the second column of one table ``federation demo`` prints."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = lines.index("", start)
    return {line.split()[0]: line.split()[1] for line in lines[start + 1 : end]}


def demo_tokens(output: str) -> dict[str, str]:
    return demo_table(output, "API tokens")


def test_demo_prints_console_sign_ins_that_work(hub: Hub, web: FlaskClient) -> None:
    output = hub.run("demo", "--url", "http://127.0.0.1:5999").stdout
    assert "Console: http://127.0.0.1:5999/" in output
    passwords = demo_table(output, "Console:")
    assert set(passwords) == set(demo_tokens(output))
    page = web.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    account, password = next(iter(passwords.items()))
    response = web.post(
        "/login", data={"account": account, "password": password, "csrf_token": csrf}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = web.get("/").get_data(as_text=True)
    # The demo holds incidents over several weeks, so the dashboard is not empty.
    assert "No incidents yet." not in dashboard
    assert "TLP:GREEN" in dashboard


def test_account_password_reads_stdin_or_asks_twice(hub: Hub, web: FlaskClient) -> None:
    hub.run("org", "add", "Password ISP", "--sector", "isp")
    hub.run("account", "add", "pat", "--org", "Password ISP", "--role", "analyst")
    for how, text in (
        ("--stdin", "a long enough passphrase\n"),
        (None, "second passphrase!\n" * 2),
    ):
        args = ["account", "password", "pat", *([how] if how else [])]
        done = subprocess.run(
            [str(FEDERATION), *args],
            input=text,
            env=hub.environ(),
            cwd=hub.folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "password set for account pat" in done.stdout
    short = subprocess.run(
        [str(FEDERATION), "account", "password", "pat", "--stdin"],
        input="short\n",
        env=hub.environ(),
        cwd=hub.folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert short.returncode == 1
    assert complaint(short.stderr).strip() == "Error: Use at least 12 characters."
    nobody = subprocess.run(
        [str(FEDERATION), "account", "password", "nobody", "--stdin"],
        input="a long enough one\n",
        env=hub.environ(),
        cwd=hub.folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert nobody.returncode == 1
    assert "no account named 'nobody'" in nobody.stderr


def test_demo_twice_rotates_the_demo_tokens(hub: Hub, web: FlaskClient) -> None:
    first = demo_tokens(hub.run("demo").stdout)
    second = demo_tokens(hub.run("demo", "--url", "http://127.0.0.1:5999").stdout)

    assert set(first) == set(second)
    assert len(first) >= 4
    for account in first:
        assert first[account] != second[account]
        assert discovery_status(web, account, second[account]) == 200, account
        assert discovery_status(web, account, first[account]) == 401, account
    analyst = next(iter(second))
    response = web.get(
        "/taxii2/hub/collections/",
        headers={"Accept": TAXII_MEDIA_TYPE},
        auth=(analyst, second[analyst]),
    )
    titles = [c["title"] for c in response.get_json()["collections"]]
    assert titles.count("Incidents") == 1


def test_import_reports_counts_and_export_returns_exactly_the_imported_objects(
    hub: Hub, collection_id: str, tmp_path: Path
) -> None:
    objects = [indicator(name=f"imported {n}") for n in range(50)]
    invalid = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}"}
    bundle = tmp_path / "bundle.json"
    bundle.write_text(
        json.dumps(
            {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [*objects, invalid]}
        )
    )

    imported = hub.run("import", str(bundle), "--collection", collection_id, check=False)
    assert imported.returncode == 1
    assert imported.stdout.strip() == "50 stored or already held, 1 rejected"
    assert invalid["id"] in imported.stderr

    exported = hub.run("export", "--collection", collection_id)
    parsed = stix2.parse(exported.stdout, allow_custom=True)
    assert parsed.type == "bundle"
    assert sorted(o.id for o in parsed.objects) == sorted(o["id"] for o in objects)
    assert {o.name for o in parsed.objects} == {o["name"] for o in objects}


def test_db_upgrade_is_idempotent(hub: Hub) -> None:
    again = hub.run("db", "upgrade")
    assert again.stdout.strip() == "database at head"
