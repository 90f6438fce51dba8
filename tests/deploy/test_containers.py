"""The container image and the compose deployment of docs/deployment.md.

The build and a compose start need a running container engine; where there is
none (only a client, or nothing) they are skipped with the engine's own answer
as the reason. What the files promise is checked everywhere.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

PROJECT = Path(__file__).resolve().parents[2]
CONTAINERFILE = PROJECT / "Containerfile"
COMPOSE = PROJECT / "deploy" / "compose.yaml"


@functools.cache
def engine_problem() -> str | None:
    """Why no image can be built here, or None when an engine answers."""
    for client in ("docker", "podman"):
        if shutil.which(client) is None:
            continue
        answer = subprocess.run(
            [client, "info"], capture_output=True, text=True, timeout=60, check=False
        )
        if answer.returncode == 0:
            return None
        last = (answer.stderr.strip().splitlines() or ["no answer"])[-1]
        return f"no container engine answers '{client} info': {last}"
    return "no container client (docker or podman) is installed"


def engine() -> str:
    return "docker" if shutil.which("docker") else "podman"


needs_engine = pytest.mark.skipif(engine_problem() is not None, reason=str(engine_problem()))


def test_the_image_runs_as_a_user_and_serves_hub_and_worker() -> None:
    lines = [line.split() for line in CONTAINERFILE.read_text().splitlines() if line.strip()]
    users = [words[1] for words in lines if words[0] == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert ["ENTRYPOINT", '["federation"]'] in lines

    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"db", "migrate", "hub", "worker", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["hub"]["image"] == services["worker"]["image"] == services["migrate"]["image"]
    assert services["hub"]["command"][0] == "serve"
    assert services["worker"]["command"] == ["worker"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["hub"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert "443:443" in services["proxy"]["ports"]
    # Only the proxy is published; the hub's port stays on the internal network.
    assert "ports" not in services["hub"]
    nginx = (PROJECT / "deploy" / "nginx.conf").read_text()
    assert "ssl_certificate " in nginx
    assert "location = /metrics" in nginx


@needs_engine
def test_the_image_builds_and_runs_as_an_unprivileged_user() -> None:
    tag = f"federation-test:{uuid.uuid4().hex[:8]}"
    client = engine()
    subprocess.run(
        [client, "build", "-f", str(CONTAINERFILE), "-t", tag, str(PROJECT)],
        check=True,
        timeout=1800,
    )
    try:
        uid = subprocess.run(
            [client, "run", "--rm", "--entrypoint", "id", tag, "-u"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        helped = subprocess.run(
            [client, "run", "--rm", tag, "worker", "--help"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
    finally:
        subprocess.run([client, "rmi", "-f", tag], capture_output=True, check=False, timeout=120)
    assert uid != "0"
    assert "Usage: federation worker" in helped.stdout


@pytest.fixture
def compose_project(tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    """The compose deployment with a generated env file and a self-signed certificate."""
    deploy = tmp_path / "deploy"
    shutil.copytree(PROJECT / "deploy", deploy)
    env = (deploy / "federation.env.example").read_text()
    password = uuid.uuid4().hex
    env = env.replace("change-me-too", uuid.uuid4().hex).replace("change-me-as-well", "metrics")
    (deploy / "federation.env").write_text(env.replace("change-me", password))
    (deploy / "tls").mkdir()
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(deploy / "tls" / "privkey.pem"),
            "-out", str(deploy / "tls" / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    compose = (deploy / "compose.yaml").read_text().replace("context: ..", f"context: {PROJECT}")
    compose = compose.replace('"443:443"', '"127.0.0.1::443"').replace('"80:80"', '"127.0.0.1::80"')
    (deploy / "compose.yaml").write_text(compose)
    command = [
        engine(),
        "compose",
        "-p",
        f"fedtest{uuid.uuid4().hex[:6]}",
        "-f",
        str(deploy / "compose.yaml"),
    ]
    try:
        yield command, deploy
    finally:
        subprocess.run([*command, "down", "-v"], capture_output=True, check=False, timeout=600)


@needs_engine
def test_compose_starts_the_hub_behind_tls_with_postgres_and_a_worker(
    compose_project: tuple[list[str], Path],
) -> None:
    command, deploy = compose_project
    certificate = str(deploy / "tls" / "fullchain.pem")
    subprocess.run([*command, "up", "-d", "--build", "--wait"], check=True, timeout=1800)
    port = (
        subprocess.run(
            [*command, "port", "proxy", "443"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        .stdout.strip()
        .rsplit(":", 1)[1]
    )
    deadline = time.monotonic() + 120
    answer = None
    while time.monotonic() < deadline:
        try:
            answer = requests.get(f"https://localhost:{port}/readyz", verify=certificate, timeout=5)
            if answer.status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(1)
    assert answer is not None
    assert answer.status_code == 200
    hidden = requests.get(f"https://localhost:{port}/metrics", verify=certificate, timeout=5)
    assert hidden.status_code == 404
    running = subprocess.run(
        [*command, "ps", "--services", "--status", "running"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()  # fmt: skip
    assert {"db", "hub", "worker", "proxy"} <= set(running)
