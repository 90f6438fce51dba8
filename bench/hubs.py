"""Throw-away hubs for the federation benchmarks, set up with the console script.

Each hub lives in its own folder with its own database (SQLite unless a URL
is given) and secret key, on 127.0.0.1 only. Used by sync_bench.py and
idle_worker_bench.py; not part of the product.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

FEDERATION = Path(sys.executable).with_name("federation")
STARTUP_TIMEOUT = 60.0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class BenchHub:
    """One hub: its folder, database, secret, and the server process once started."""

    folder: Path
    database_url: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.folder / 'hub.db'}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def root_url(self) -> str:
        return f"{self.url}/taxii2/hub/"

    def environ(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEDERATION_")}
        env.update(
            FEDERATION_DATABASE_URL=self.database_url,
            FEDERATION_SECRET_KEY=self.secret_key,
            FEDERATION_INSTANCE_PATH=str(self.folder / "instance"),
            FEDERATION_LOG_LEVEL="WARNING",
        )
        env.update(extra)
        return env

    def run(self, *args: str) -> str:
        """``federation ARGS``; its stdout, or SystemExit with its stderr on failure."""
        return self.run_all([args])[0]

    def run_all(self, commands: Sequence[Sequence[str]]) -> list[str]:
        """Independent commands side by side."""
        started = [
            subprocess.Popen(
                [str(FEDERATION), *args],
                env=self.environ(),
                cwd=self.folder,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args in commands
        ]
        outputs = []
        for args, process in zip(commands, started, strict=True):
            stdout, stderr = process.communicate()
            if process.returncode != 0:
                raise SystemExit(f"federation {' '.join(args)} failed:\n{stderr}")
            outputs.append(stdout)
        return outputs

    def issue(self, name: str, org: str, role: str) -> str:
        """Create an account and return its token."""
        issued = json.loads(
            self.run("account", "add", name, "--org", org, "--role", role, "--json")
        )
        token: str = issued["token"]
        return token

    def serve(self, workers: int = 2) -> None:
        metrics = self.folder / "prometheus"
        metrics.mkdir(exist_ok=True)
        log = (self.folder / "serve.log").open("wb")
        gunicorn = ("--workers", str(workers))
        self.server = subprocess.Popen(
            [str(FEDERATION), "serve", "--host", "127.0.0.1", "--port", str(self.port), *gunicorn],
            env=self.environ(PROMETHEUS_MULTIPROC_DIR=str(metrics)),
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"federation serve exited; see {self.folder / 'serve.log'}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise SystemExit("the hub did not start in time")

    def stop(self) -> None:
        if self.server is None:
            return
        if self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
        try:
            self.server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()
        self.server = None


def check_local(url: str) -> None:
    """The benchmarks start servers on 127.0.0.1 and talk to nothing else."""
    host = url.split("@")[-1].split("/")[0].split(":")[0]
    if url.startswith("postgresql") and host not in ("127.0.0.1", "localhost", ""):
        raise SystemExit(f"refusing a database that is not on this machine: {host}")
