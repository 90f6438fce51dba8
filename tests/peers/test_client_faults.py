"""The remote client against servers that misbehave: each failure is one clear line."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from federation.domain.sealing import PeerCredentials
from federation.peers.client import RemoteError, remote_collection
from tests.helpers import scaled

pytestmark = pytest.mark.e2e

Behaviour = Callable[[socket.socket], None]


def _answer(status: str, body: bytes, length: int | None = None) -> Behaviour:
    def respond(connection: socket.socket) -> None:
        connection.recv(65536)
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: application/taxii+json;version=2.1\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
        )
        connection.sendall(head.encode() + body)

    return respond


def _hang(connection: socket.socket) -> None:
    connection.recv(65536)
    threading.Event().wait(3)


@pytest.fixture
def server() -> Iterator[Callable[[Behaviour], str]]:
    """Serve one behaviour on 127.0.0.1; returns the API root URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(scaled(10))
    threads: list[threading.Thread] = []

    def start(behaviour: Behaviour) -> str:
        def serve() -> None:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                behaviour(connection)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{listener.getsockname()[1]}/taxii2/hub/"

    yield start
    listener.close()
    for thread in threads:
        thread.join(timeout=scaled(5))


def fetch(url: str, timeout: float = scaled(5.0)) -> None:
    credentials = PeerCredentials(user="hub-a", password="secret-in-no-message")
    with remote_collection(url, "c", credentials, timeout) as remote:
        remote.get_page(None, 10)


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (_answer("500 Internal Server Error", b"{}"), "HTTP 500"),
        (_answer("200 OK", b'{"objects": [{"id": "x"'), "not JSON"),
        (_answer("200 OK", b'{"objects": [', length=5000), "hung up"),
        (_answer("200 OK", b'["not", "an", "envelope"]'), "TAXII envelope"),
        (_answer("200 OK", b'{"objects": [{"type": "indicator"}]}'), "X-TAXII-Date-Added-Last"),
    ],
)
def test_a_misbehaving_remote_is_one_clear_error(
    server: Callable[[Behaviour], str], behaviour: Behaviour, message: str
) -> None:
    with pytest.raises(RemoteError) as raised:
        fetch(server(behaviour))
    assert message in raised.value.description
    assert "secret-in-no-message" not in raised.value.description


def test_a_remote_that_never_answers_times_out(server: Callable[[Behaviour], str]) -> None:
    with pytest.raises(RemoteError, match="did not answer in time"):
        fetch(server(_hang), timeout=0.5)
