"""Keep-alive connections that survive answers given before the body was read.

Many answers come before a view reads the request body: 401, 403, 404, 405,
406, 413, 415, 422. If the body is left on the socket, the server must either
skip it or close the connection, and servers differ: Werkzeug's development
server closes every connection, gunicorn drains at most 64 KiB and otherwise
drops the connection after promising keep-alive, so a client's next request on
it dies with "Remote end closed connection without response". Here, once for
every response, the unread rest of the body is read and discarded, which
leaves the connection clean on any server; a body too large for that gets
``Connection: close`` so clients retry on a new one (``federation serve``
makes gunicorn honour that header).
"""

from __future__ import annotations

from typing import IO

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

_CHUNK = 64 * 1024
# How far past MAX_CONTENT_LENGTH a refused body is still read to keep the connection.
_OVERSHOOT = 2


def init_app(app: Flask) -> None:
    """Finish every request's body before its response goes out."""
    app.after_request(finish_request_body)


def finish_request_body(response: Response) -> Response:
    """Read and discard what is left of the request body, or mark the connection to close.

    Reading costs little next to what the client sends anyway: up to
    ``MAX_CONTENT_LENGTH`` bytes, or twice that for a body refused for its
    size, so a client that overshoots a little gets its 413 and keeps its
    connection. Past that (a longer declared length, or a chunked body that
    keeps coming) the connection closes instead.
    """
    length = request.content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not chunked and not length:
        return response
    limit: int | None = current_app.config.get("MAX_CONTENT_LENGTH")
    stream: IO[bytes] | LimitedStream
    if length is not None and limit is not None and length > limit:
        if length > _OVERSHOOT * limit:
            return _close(response)
        # Werkzeug refuses to open a body over the limit, so no view read any
        # of it: skip it straight from the server's input.
        stream = LimitedStream(request.environ["wsgi.input"], length)
        budget = length
    else:
        stream = request.stream
        budget = limit if limit is not None else length or 0
    try:
        while budget >= 0:
            data = stream.read(_CHUNK)
            if not data:
                return response
            budget -= len(data)
    except (OSError, ClientDisconnected, RequestEntityTooLarge, ValueError):
        # The client went away, sent a broken chunk or more than the limit:
        # where its next request would start is unknown.
        pass
    return _close(response)


def _close(response: Response) -> Response:
    response.headers["Connection"] = "close"
    return response
