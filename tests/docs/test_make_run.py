"""``make run`` (issue 15 item 4): it checks the port before touching tokens,
and installs only what the hub needs."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(PROJECT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_make_run_on_a_busy_port_stops_before_touching_the_hub(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDERATION_")}
    env["FEDERATION_INSTANCE_PATH"] = str(tmp_path / "instance")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # -o: the existing environment counts as up to date, so nothing is installed.
        result = make(
            "run", f"PORT={port}", f"VENV={VENV}", "-o", f"{VENV}/bin/federation", env=env
        )
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        f"Error: port {port} on 127.0.0.1 is in use (a hub already running?); "
        f"choose another: make run PORT={port + 1}"
    )
    assert "demo" not in result.stdout
    assert not (tmp_path / "instance").exists()


def test_make_run_installs_the_hub_and_make_test_the_test_tools(tmp_path: Path) -> None:
    fresh = tmp_path / "venv"
    run = make("-n", "run", f"VENV={fresh}")
    test = make("-n", "test-sqlite", f"VENV={fresh}")
    assert run.returncode == test.returncode == 0, run.stderr + test.stderr
    run_installs = [line for line in run.stdout.splitlines() if "pip install" in line]
    assert any(line.endswith("install --quiet -e .") for line in run_installs)
    assert not any("[test]" in line for line in run_installs)
    assert any("-e '.[test]'" in line for line in test.stdout.splitlines())
