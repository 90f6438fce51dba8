"""``federation worker`` as a process: it starts, idles, and stops cleanly on a signal."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.console import FEDERATION, Hub
from tests.helpers import scaled

pytestmark = pytest.mark.e2e


def wait_for(path: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text():
            return
        assert process.poll() is None, path.read_text()
        time.sleep(0.1)
    pytest.fail(f"{text!r} did not appear in the worker's log:\n{path.read_text()}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_stops_cleanly_on_sigterm_and_sigint(
    tmp_path: Path, signum: signal.Signals
) -> None:
    hub = Hub.in_folder(tmp_path)
    hub.run("db", "upgrade")
    log = tmp_path / "worker.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [str(FEDERATION), "worker", "--poll", "0.2"],
            env=hub.environ(),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_for(log, "worker started", process, timeout=scaled(60))
        process.send_signal(signum)
        assert process.wait(timeout=scaled(15)) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "worker stopped" in log.read_text()
    assert "Traceback" not in log.read_text()
