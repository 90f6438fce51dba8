"""The systemd units of docs/deployment.md: checked by systemd-analyze and
their commands run as written, with only the install paths and the port put
where this test can use them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.cli.console import FEDERATION, METRICS_AUTH, METRICS_TOKEN

pytestmark = pytest.mark.e2e

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
INSTALLED = "/opt/federation/.venv/bin/federation"


def unit_settings(name: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def service_environ(name: str, folder: Path) -> dict[str, str]:
    """The unit's Environment= lines (paths moved into ``folder``) plus what
    /etc/federation/federation.env would hold."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDERATION_")}
    for assignment in unit_settings(name).get("Environment", []):
        key, _, value = assignment.partition("=")
        env[key] = str(folder / value.lstrip("/"))
    env.update(
        FEDERATION_DATABASE_URL=f"sqlite:///{folder / 'federation.db'}",
        FEDERATION_SECRET_KEY="a secret key from the vault",
        FEDERATION_METRICS_TOKEN=METRICS_TOKEN,
    )
    for value in env.values():
        if value.startswith(str(folder)) and not value.endswith(".db"):
            Path(value).mkdir(parents=True, exist_ok=True)
    return env


def exec_start(name: str, port: int) -> list[str]:
    (command,) = unit_settings(name)["ExecStart"]
    words = command.replace(INSTALLED, str(FEDERATION)).split()
    return [str(port) if word == "8000" else word for word in words]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    for unit in ("federation-hub.service", "federation-worker.service"):
        text = (UNITS / unit).read_text().replace(INSTALLED, str(FEDERATION))
        (tmp_path / unit).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(p) for p in sorted(tmp_path.iterdir()))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_units_commands_serve_and_work_until_sigterm(tmp_path: Path) -> None:
    hub_env = service_environ("federation-hub.service", tmp_path)
    upgraded = subprocess.run(
        [str(FEDERATION), "db", "upgrade"], env=hub_env, capture_output=True, text=True, timeout=120
    )
    assert upgraded.returncode == 0, upgraded.stderr

    port = free_port()
    worker_env = service_environ("federation-worker.service", tmp_path)
    with (tmp_path / "hub.log").open("wb") as hub_log:
        hub = subprocess.Popen(
            exec_start("federation-hub.service", port),
            env=hub_env,
            cwd=tmp_path,
            stdout=hub_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    with (tmp_path / "worker.log").open("wb") as worker_log:
        worker = subprocess.Popen(
            exec_start("federation-worker.service", port),
            env=worker_env,
            cwd=tmp_path,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline and hub.poll() is None:
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert ready is not None, (tmp_path / "hub.log").read_text()
        assert ready.status_code == 200
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", headers=METRICS_AUTH, timeout=10)
        assert metrics.status_code == 200
        assert worker.poll() is None, "the worker stopped by itself"
    finally:
        # KillSignal=SIGTERM, within TimeoutStopSec, as systemd stops them.
        for process, unit in (
            (hub, "federation-hub.service"),
            (worker, "federation-worker.service"),
        ):
            (limit,) = unit_settings(unit)["TimeoutStopSec"]
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=int(limit))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                pytest.fail(f"{unit} ignored SIGTERM for {limit} s")
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()
    assert hub.returncode == 0, (tmp_path / "hub.log").read_text()
