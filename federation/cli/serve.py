"""``federation serve``: the hub under gunicorn."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

# Nothing here imports prometheus_client (federation.app and the web layer do,
# below, inside serve_command): it picks per-process or shared counters once,
# when first imported, from PROMETHEUS_MULTIPROC_DIR.
_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _share_metrics_between_workers() -> str | None:
    """Point prometheus_client at a folder every worker writes its counters to,
    so that /metrics, answered by any one worker, counts the requests of all.

    An operator's own ``PROMETHEUS_MULTIPROC_DIR`` is used as it is; otherwise a
    private temporary folder is made, and its path returned so that it is
    removed when the server stops.
    """
    if os.environ.get(_METRICS_DIR):
        return None
    folder = tempfile.mkdtemp(prefix="federation-metrics-")
    os.environ[_METRICS_DIR] = folder
    return folder


def _forget_worker(server: Any, worker: Any) -> None:
    # A stopped worker's gauges would otherwise be summed in for ever.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


# The request each gunicorn thread is serving: a worker thread runs the
# pre_request hook and then the application for the same request.
_serving = threading.local()


def _remember_request(worker: Any, req: Any) -> None:
    _serving.request = req


def _honour_connection_close(app: Flask) -> Callable[..., Iterable[bytes]]:
    """``app``, with its ``Connection: close`` acted on by gunicorn.

    Gunicorn drops the hop-by-hop headers an application sets and decides
    keep-alive itself; when the hub has left a request body unread because it
    was too large to skip (``federation.web.connections``), the connection
    must close, and say so, or the client's next request on it is lost.
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if any(k.lower() == "connection" and v.lower() == "close" for k, v in headers):
                request = getattr(_serving, "request", None)
                if request is not None:
                    request.force_close()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wsgi


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn running our factory; each worker builds its own app after the fork."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            # Settings newer than the oldest gunicorn we support are skipped there.
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Callable[..., Iterable[bytes]]:
        from federation.app import create_app

        return _honour_connection_close(create_app())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, workers: int, threads: int) -> None:
    """Serve the hub with gunicorn on HOST:PORT."""
    private_metrics = _share_metrics_between_workers()
    master = os.getpid()
    try:
        # Imported only now, after the metrics folder is chosen.
        from federation.cli.common import checked_database
        from federation.web.observability import JsonFormatter

        class JsonLogger(Logger):  # type: ignore[misc]
            """Gunicorn's own messages as JSON lines too, so stderr holds one log format."""

            def setup(self, cfg: Any) -> None:
                super().setup(cfg)
                for handler in self.error_log.handlers:
                    handler.setFormatter(JsonFormatter())

        # Fail fast, in the foreground, on a bad configuration, a missing or
        # unmigrated database, or another hub's secret key.
        with ctx.ensure_object(ScriptInfo).load_app().app_context():
            checked_database()
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": None,
                "logger_class": JsonLogger,
                "timeout": 120,
                # Several hubs may run on one machine (tests, federation): no shared
                # control socket in the home directory.
                "control_socket_disable": True,
                "pre_request": _remember_request,
                "child_exit": _forget_worker,
            }
        ).run()
    finally:
        # Workers are forked from here and leave through this block too.
        if private_metrics is not None and os.getpid() == master:
            shutil.rmtree(private_metrics, ignore_errors=True)


def register(cli: click.Group) -> None:
    cli.add_command(serve_command)
