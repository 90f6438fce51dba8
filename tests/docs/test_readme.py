"""Every shell block of README.md runs as written, in a fresh folder, with two
hubs on free ports on 127.0.0.1 (issue 15: the README cannot drift from the code).

What the test substitutes is what a reader would: the ports when 5000 and 5001
are taken, and the project folder (a fresh folder with the project's ``.venv``
and an instance folder of its own, so the developer's hub stays untouched).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.readme_blocks import blocks, script

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
README = PROJECT / "README.md"
VENV = Path(sys.executable).parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_every_block_is_run_or_skipped_with_a_reason() -> None:
    found = blocks(README)
    assert len(found) >= 8
    skipped = [block for block in found if block.skip_reason]
    assert all(len(block.skip_reason or "") > 20 for block in skipped)
    # The walk-through itself must run: two servers, and most blocks.
    assert sum(1 for block in found if block.wait_for) == 2
    # make run/test, the member's HTTPS webhook, the endless worker, and two
    # example blocks (claim review, the CLI tour) whose commands tests/cli runs.
    assert len(skipped) <= 5


def test_readme_shell_blocks_run_as_written(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(VENV)
    ports = {5000: free_port(), 5001: free_port()}
    (tmp_path / "readme.sh").write_text(script(blocks(README), ports))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEDERATION_", "VIRTUAL_ENV"))}
    env["FEDERATION_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if not part.startswith(str(VENV))
    )
    process = subprocess.Popen(
        ["bash", "readme.sh"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=900)
    finally:
        # The script stops its servers on exit; this covers a timeout.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    logs = "\n".join(
        f"--- {log.name}\n{log.read_text()[-3000:]}" for log in tmp_path.glob("background-*.log")
    )
    assert process.returncode == 0, f"{output[-6000:]}\n{logs}"
    assert "database: sqlite:///" in output
    assert (tmp_path / "instance" / "federation.db").exists()
    assert (tmp_path / "instance-b" / "federation.db").exists()
