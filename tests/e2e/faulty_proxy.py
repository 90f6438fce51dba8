"""A fault-injecting HTTP proxy in front of one hub, switchable by the test.

The proxy listens on 127.0.0.1 and forwards every request to the hub it
fronts. A test arms a fault for the requests it cares about (by default the
object pages a puller fetches): answer 500, stall past the client's timeout,
or drop the connection half way through the response body. Faults can let a
number of matching requests through first, so a pull fails after some pages
were committed, and stop by themselves after a number of hits or when healed.
"""

from __future__ import annotations

import enum
import http.client
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from tests.helpers import scaled

# Headers that describe one hop, not the message (RFC 9110 section 7.6.1);
# Content-Length is recomputed because the body is re-sent whole or cut.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
UPSTREAM_TIMEOUT = scaled(60.0)


class Fault(enum.Enum):
    ERROR = "500"
    STALL = "stall"
    DROP = "drop"


def object_pages(method: str, path: str) -> bool:
    """The requests a puller makes for pages of objects."""
    return method == "GET" and "/objects/" in path


@dataclass(frozen=True)
class Exchange:
    """One request through the proxy; ``status`` 0 is a stall, negative a dropped response."""

    method: str
    path: str
    status: int
    # The ids of the objects in the envelope sent (POST) or received (GET).
    object_ids: tuple[str, ...] = ()


def _object_ids(payload: bytes) -> tuple[str, ...]:
    try:
        document = json.loads(payload)
    except ValueError:
        return ()
    objects = document.get("objects") if isinstance(document, dict) else None
    if not isinstance(objects, list):
        return ()
    return tuple(str(o.get("id")) for o in objects if isinstance(o, dict))


@dataclass
class _Armed:
    fault: Fault
    matches: Callable[[str, str], bool]
    after: int
    times: int | None
    seen: int = 0
    hits: int = 0

    def strikes(self, method: str, path: str) -> bool:
        if not self.matches(method, path):
            return False
        self.seen += 1
        if self.seen <= self.after or (self.times is not None and self.hits >= self.times):
            return False
        self.hits += 1
        return True


class FaultyProxy:
    """A threaded proxy to ``upstream`` (``http://127.0.0.1:PORT``); use as a context manager."""

    def __init__(self, upstream: str, *, stall_seconds: float = 120.0) -> None:
        target = urlsplit(upstream)
        assert target.hostname in ("127.0.0.1", "localhost"), "the proxy only fronts local hubs"
        self._upstream = (target.hostname, target.port or 80)
        self._stall_seconds = stall_seconds
        self._lock = threading.Lock()
        self._armed: _Armed | None = None
        self._released = threading.Event()
        self.exchanges: list[Exchange] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def rewrite(self, url: str) -> str:
        """``url`` of the upstream hub, pointed at the proxy instead."""
        parts = urlsplit(url)
        return f"{self.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def arm(
        self,
        fault: Fault,
        *,
        after: int = 0,
        times: int | None = None,
        matches: Callable[[str, str], bool] = object_pages,
    ) -> None:
        """Fault matching requests after ``after`` pass, ``times`` times or until healed."""
        with self._lock:
            self._released.clear()
            self._armed = _Armed(fault, matches, after, times)

    def heal(self) -> None:
        """Forward everything again and release any stalled request."""
        with self._lock:
            self._armed = None
            self._released.set()

    @property
    def hits(self) -> int:
        with self._lock:
            return self._armed.hits if self._armed else 0

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=scaled(5))

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            if self._armed and self._armed.strikes(method, path):
                return self._armed.fault
            return None

    def _record(self, method: str, path: str, status: int, payload: bytes = b"") -> None:
        with self._lock:
            self.exchanges.append(Exchange(method, path, status, _object_ids(payload)))

    def since(self, mark: int) -> list[Exchange]:
        """The exchanges after the first ``mark`` ones (``mark = len(proxy.exchanges)``)."""
        with self._lock:
            return self.exchanges[mark:]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            # One request per connection keeps "drop the connection" exact.
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                pass  # the test reads proxy.exchanges instead

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._fault_for(self.command, self.path)
                if fault is Fault.ERROR:
                    self._error_500()
                    return
                if fault is Fault.STALL:
                    proxy._released.wait(proxy._stall_seconds)
                    proxy._record(self.command, self.path, 0)
                    self.close_connection = True
                    return
                status, reason, headers, payload = self._forward(body)
                if fault is Fault.DROP:
                    self._send(status, reason, headers, payload, cut=len(payload) // 2)
                    proxy._record(self.command, self.path, -status, payload)
                    return
                self._send(status, reason, headers, payload)
                proxy._record(self.command, self.path, status, body or payload)

            def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
                connection = http.client.HTTPConnection(*proxy._upstream, timeout=UPSTREAM_TIMEOUT)
                try:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP
                    }
                    connection.request(self.command, self.path, body=body or None, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                    kept = [
                        (k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP
                    ]
                    return response.status, response.reason, kept, payload
                finally:
                    connection.close()

            def _send(
                self,
                status: int,
                reason: str,
                headers: list[tuple[str, str]],
                payload: bytes,
                *,
                cut: int | None = None,
            ) -> None:
                self.send_response_only(status, reason)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.wfile.write(payload if cut is None else payload[:cut])
                    self.wfile.flush()
                except OSError:
                    pass
                self.close_connection = True

            def _error_500(self) -> None:
                payload = json.dumps(
                    {
                        "title": "Internal server error",
                        "http_status": "500",
                        "description": "injected by the test's faulty proxy",
                    }
                ).encode()
                headers = [("Content-Type", "application/taxii+json;version=2.1")]
                self._send(500, "Internal Server Error", headers, payload)
                proxy._record(self.command, self.path, 500)

        return Handler
