"""A live hub for the end-to-end tests, set up and served the way an operator does it.

The hub runs the real console script (``federation serve``: gunicorn, two
workers) on 127.0.0.1 with its own SQLite database, once per session.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from tests.cli.console import FEDERATION, Hub
from tests.helpers import scaled

if TYPE_CHECKING:
    from tests.e2e.fleet import Fleet

ORG = "Example ISP"
OTHER_ORG = "National Police"
# The second collection: readable and writable by the other organisation only.
POLICE_ONLY = ("--read", OTHER_ORG, "--write", OTHER_ORG)
STARTUP_TIMEOUT = scaled(30.0)
SHUTDOWN_TIMEOUT = scaled(10.0)


@dataclass(frozen=True)
class Credentials:
    account: str
    token: str

    @property
    def basic(self) -> tuple[str, str]:
        return (self.account, self.token)


@dataclass
class LiveHub:
    """What a test needs to talk to the running hub."""

    url: str
    accounts: dict[str, Credentials] = field(default_factory=dict)
    collections: dict[str, str] = field(default_factory=dict)
    stderr_path: Path = Path()

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/taxii2/"

    @property
    def root_url(self) -> str:
        return f"{self.url}/taxii2/hub/"

    def collection_url(self, key: str) -> str:
        return f"{self.root_url}collections/{self.collections[key]}/"

    def log_lines(self) -> list[str]:
        return [line for line in self.stderr_path.read_text().splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _mkdir(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def _credentials(result: subprocess.CompletedProcess[str]) -> Credentials:
    issued = json.loads(result.stdout)
    return Credentials(issued["account"], issued["token"])


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], stderr_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"federation serve exited {process.returncode}:\n{stderr_path.read_text()}",
                pytrace=False,
            )
        try:
            if requests.get(f"{url}/healthz", timeout=scaled(2)).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the hub did not answer /healthz within {STARTUP_TIMEOUT:.0f} s", pytrace=False)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn's master and workers (their own process group), as an operator would."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def live_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = Hub.in_folder(tmp_path_factory.mktemp("live-hub"))
    # Independent commands run side by side: quicker, and it shows that operator
    # commands queue on SQLite's write lock instead of failing.
    hub.run("db", "upgrade")
    hub.run_all(
        [
            ("org", "add", ORG, "--sector", "isp"),
            ("org", "add", OTHER_ORG, "--sector", "law-enforcement"),
            ("root", "add", "hub", "--title", "End-to-end hub"),
        ],
        check=True,
    )
    analyst, reader, officer, shared, police = hub.run_all(
        [
            ("account", "add", "isp-analyst", "--org", ORG, "--role", "analyst", "--json"),
            ("account", "add", "isp-reader", "--org", ORG, "--role", "reader", "--json"),
            ("account", "add", "officer", "--org", OTHER_ORG, "--role", "analyst", "--json"),
            ("collection", "add", "--root", "hub", "--title", "shared", "--write", "*"),
            ("collection", "add", "--root", "hub", "--title", "police", *POLICE_ONLY),
        ],
        check=True,
    )
    live = LiveHub(url="")
    live.accounts = {
        "analyst": _credentials(analyst),
        "reader": _credentials(reader),
        "officer": _credentials(officer),
    }
    live.collections = {"shared": shared.stdout.strip(), "police": police.stdout.strip()}

    live.stderr_path = hub.folder / "serve.stderr"
    with serve_hub(hub, live.stderr_path) as url:
        live.url = url
        yield live


@contextmanager
def serve_hub(hub: Hub, stderr_path: Path) -> Iterator[str]:
    """Serve ``hub`` with ``federation serve`` (gunicorn, two workers) on a free
    127.0.0.1 port until the block ends; yield its base URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [
                str(FEDERATION),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            # No PROMETHEUS_MULTIPROC_DIR, as an operator runs it: serve makes its
            # own, in the hub's folder here so that a test can see it go.
            env=hub.environ(TMPDIR=str(_mkdir(hub.folder / "tmp"))),
            cwd=hub.folder,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(url, process, stderr_path)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Hubs A, B and C, served once per session; each test adds its own collections and peers."""
    # Imported here: the fleet builds on the helpers above.
    from tests.e2e.fleet import fleet_of

    yield from fleet_of(tmp_path_factory.mktemp("fleet"), ("a", "b", "c"))


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    """Long-running processes a test starts (``federation worker``); killed if still running."""
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
