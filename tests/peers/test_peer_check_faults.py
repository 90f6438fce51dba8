"""``check_link`` against remotes that answer wrongly: each gets its own message
(tests/cli/test_cli_peer_checks.py covers a real hub as the remote)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from federation.domain.sealing import PeerCredentials
from federation.peers.check import check_link
from federation.peers.client import RemoteError
from tests.peers.test_client_faults import Behaviour, _answer, _hang
from tests.peers.test_client_faults import server as server  # one behaviour on 127.0.0.1

pytestmark = pytest.mark.e2e
PASSWORD = "secret-in-no-message"


def _redirect(connection: socket.socket) -> None:
    connection.recv(65536)
    connection.sendall(
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: /taxii2/elsewhere/\r\n"
        b"Content-Length: 0\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (_redirect, "redirects to http://127.0.0.1:{port}/taxii2/elsewhere/; give that URL"),
        (_answer("200 OK", b"<html>welcome</html>"), "answered, but not with TAXII JSON"),
        (_answer("200 OK", b'{"title": "x"}'), "answered, but not as a TAXII 2.1 API root"),
        (
            _answer(
                "200 OK",
                b'{"title": "x", "versions": ["application/taxii+json;version=2.0"],'
                b' "max_content_length": 1000}',
            ),
            "does not speak TAXII 2.1",
        ),
        (_answer("500 Internal Server Error", b"{}"), "answered HTTP 500"),
        (_hang, "did not answer within 1 s"),
    ],
)
def test_a_wrong_answer_is_named_without_the_credentials(
    server: Callable[[Behaviour], str], behaviour: Behaviour, message: str
) -> None:
    url = server(behaviour)
    port = url.split(":")[2].split("/")[0]
    with pytest.raises(RemoteError) as caught:
        check_link(
            url,
            "c",
            PeerCredentials(user="hub-a", password=PASSWORD),
            pulls=True,
            pushes=False,
            timeout=1.0,
        )
    assert message.format(port=port) in str(caught.value)
    assert PASSWORD not in str(caught.value)
