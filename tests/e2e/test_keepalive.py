"""Keep-alive connections survive every early error, on each server the hub runs on.

A client such as ``requests`` sends its next request on the connection the
previous answer left open. Each early error below is answered before (or
without) the body being used; the normal request after it, on the same
``requests.Session``, must succeed: the connection was either left clean or
closed with ``Connection: close`` so the client opened a new one.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.cli.console import Hub
from tests.e2e.conftest import _free_port, _stop, serve_hub

pytestmark = pytest.mark.e2e

TAXII = "application/taxii+json;version=2.1"
ROUNDS = 60
# Larger than the 64 KiB gunicorn drains by itself before reusing a connection.
PADDING = "x" * (200 * 1024)
MAX_CONTENT_LENGTH = 1024 * 1024
FLASK = Path(sys.executable).with_name("flask")
STARTUP_TIMEOUT = 30.0
ORG = "Example ISP"


@dataclass(frozen=True)
class Target:
    url: str
    analyst: tuple[str, str]
    reader: tuple[str, str]
    collection: str

    @property
    def objects(self) -> str:
        return f"{self.url}/taxii2/hub/collections/{self.collection}/objects/"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> tuple[Hub, dict[str, str]]:
    hub = Hub.in_folder(tmp_path_factory.mktemp("keepalive"))
    hub.run("db", "upgrade")
    hub.run_all(
        [
            ("org", "add", "Example ISP", "--sector", "isp"),
            ("root", "add", "hub", "--title", "Hub"),
        ],
        check=True,
    )
    analyst, reader, collection = hub.run_all(
        [
            ("account", "add", "analyst", "--org", ORG, "--role", "analyst", "--json"),
            ("account", "add", "reader", "--org", ORG, "--role", "reader", "--json"),
            ("collection", "add", "--root", "hub", "--title", "shared"),
        ],
        check=True,
    )
    return (
        hub,
        {
            "analyst": json.loads(analyst.stdout)["token"],
            "reader": json.loads(reader.stdout)["token"],
            "collection": collection.stdout.strip(),
        },
    )


def _target(url: str, state: dict[str, str]) -> Target:
    return Target(
        url,
        ("analyst", state["analyst"]),
        ("reader", state["reader"]),
        state["collection"],
    )


@pytest.fixture(scope="module")
def gunicorn(hub: tuple[Hub, dict[str, str]]) -> Iterator[Target]:
    """``federation serve`` as an operator runs it (gunicorn, gthread workers)."""
    folder, state = hub
    limited = _LimitedHub(folder.folder, folder.secret_key)
    with serve_hub(limited, folder.folder / "serve.stderr") as url:
        yield _target(url, state)


@pytest.fixture(scope="module")
def development_server(hub: tuple[Hub, dict[str, str]]) -> Iterator[Target]:
    """Werkzeug's development server (``flask run``), threaded as Flask starts it."""
    folder, state = hub
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    stderr_path = folder.folder / "flask.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [str(FLASK), "--app", "federation.app:create_app", "run", *_address(port)],
            env=folder.environ(FEDERATION_MAX_CONTENT_LENGTH=str(MAX_CONTENT_LENGTH)),
            cwd=folder.folder,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        _wait(url, process, stderr_path)
        yield _target(url, state)
    finally:
        _stop(process)


class _LimitedHub(Hub):
    """The hub with a 1 MiB body limit, so a 413 costs the test little."""

    def environ(self, **extra: str) -> dict[str, str]:
        return super().environ(FEDERATION_MAX_CONTENT_LENGTH=str(MAX_CONTENT_LENGTH), **extra)


def _address(port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port), "--no-reload"]


def _wait(url: str, process: subprocess.Popen[bytes], stderr_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited:\n{stderr_path.read_text()}", pytrace=False)
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the development server did not start", pytrace=False)


def _envelope(padding: str = PADDING) -> bytes:
    return json.dumps({"objects": [{"type": "x-padding", "padding": padding}]}).encode()


EarlyError = Callable[[requests.Session, Target], requests.Response]


def _unauthenticated(session: requests.Session, target: Target) -> requests.Response:
    return session.post(target.objects, data=_envelope(), headers=_taxii_post())


def _forbidden(session: requests.Session, target: Target) -> requests.Response:
    return session.post(target.objects, data=_envelope(), headers=_taxii_post(), auth=target.reader)


def _not_found(session: requests.Session, target: Target) -> requests.Response:
    url = target.objects.replace(target.collection, "00000000-0000-4000-8000-000000000000")
    return session.post(url, data=_envelope(), headers=_taxii_post(), auth=target.analyst)


def _not_acceptable(session: requests.Session, target: Target) -> requests.Response:
    headers = {**_taxii_post(), "Accept": "text/html"}
    return session.post(target.objects, data=_envelope(), headers=headers, auth=target.analyst)


def _too_large(session: requests.Session, target: Target) -> requests.Response:
    body = _envelope("x" * (MAX_CONTENT_LENGTH + 1024))
    return session.post(target.objects, data=body, headers=_taxii_post(), auth=target.analyst)


def _unsupported_media_type(session: requests.Session, target: Target) -> requests.Response:
    headers = {**_taxii_post(), "Content-Type": "application/json"}
    return session.post(target.objects, data=_envelope(), headers=headers, auth=target.analyst)


def _unprocessable(session: requests.Session, target: Target) -> requests.Response:
    # The REST API refuses an unknown query parameter before it reads the body.
    url = f"{target.url}/api/v1/incidents?unknown=1"
    headers = {"Content-Type": "application/json"}
    return session.post(url, data=_envelope(), headers=headers, auth=target.analyst)


EARLY_ERRORS: dict[int, EarlyError] = {
    401: _unauthenticated,
    403: _forbidden,
    404: _not_found,
    406: _not_acceptable,
    413: _too_large,
    415: _unsupported_media_type,
    422: _unprocessable,
}


def _taxii_post() -> dict[str, str]:
    return {"Accept": TAXII, "Content-Type": TAXII}


def _every_early_error_keeps_the_session_working(target: Target) -> None:
    with requests.Session() as session:
        for round_ in range(ROUNDS):
            for status, early_error in EARLY_ERRORS.items():
                response = early_error(session, target)
                assert response.status_code == status, (round_, status, response.text[:200])
                after = session.get(
                    target.objects, headers={"Accept": TAXII}, auth=target.analyst, timeout=10
                )
                assert after.status_code == 200, (round_, status, after.text[:200])


def test_gunicorn_keeps_every_connection_usable_after_early_errors(gunicorn: Target) -> None:
    _every_early_error_keeps_the_session_working(gunicorn)


def test_development_server_keeps_every_connection_usable_after_early_errors(
    development_server: Target,
) -> None:
    _every_early_error_keeps_the_session_working(development_server)


def _huge_declared_body_closes_the_connection_cleanly(target: Target) -> None:
    # Declared far over the limit, so the hub will not read it: the answer
    # must say the connection closes, and close it, rather than promise
    # keep-alive and drop it. No body is sent, so the close is a clean FIN.
    url = urlsplit(target.objects)
    credentials = base64.b64encode(":".join(target.analyst).encode()).decode()
    head = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Authorization: Basic {credentials}\r\nAccept: {TAXII}\r\nContent-Type: {TAXII}\r\n"
        f"Content-Length: {3 * MAX_CONTENT_LENGTH}\r\n\r\n"
    )
    received = b""
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head.encode())
        while chunk := sock.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    headers = rest.split(b"\r\n\r\n")[0].decode().lower().splitlines()
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    assert "connection: close" in headers, headers


def test_gunicorn_says_connection_close_when_it_will_not_read_the_body(gunicorn: Target) -> None:
    _huge_declared_body_closes_the_connection_cleanly(gunicorn)


def test_development_server_says_connection_close_when_it_will_not_read_the_body(
    development_server: Target,
) -> None:
    _huge_declared_body_closes_the_connection_cleanly(development_server)
