"""Running the ``federation`` console script the way an operator types it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import scaled

# The console script installed next to the interpreter running the tests.
FEDERATION = Path(sys.executable).with_name("federation")
# What hubs under test expect from a Prometheus scraper.
METRICS_TOKEN = "test-metrics-token"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@dataclass(frozen=True)
class Hub:
    """Where one hub under test keeps its state, and the environment that names it."""

    folder: Path
    secret_key: str
    # More FEDERATION_* settings for every command of this hub.
    settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def in_folder(cls, folder: Path) -> Hub:
        return cls(folder, secrets.token_hex(32))

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.folder / 'hub.db'}"

    def environ(self, **extra: str) -> dict[str, str]:
        """The caller's environment without its FEDERATION_* settings, plus this hub's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEDERATION_")}
        env.update(
            FEDERATION_DATABASE_URL=self.database_url,
            FEDERATION_INSTANCE_PATH=str(self.folder / "instance"),
            FEDERATION_SECRET_KEY=self.secret_key,
            FEDERATION_METRICS_TOKEN=METRICS_TOKEN,
        )
        env.update(self.settings)
        env.update(extra)
        return env

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start ``federation ARGS`` without waiting for it."""
        return subprocess.Popen(
            [str(FEDERATION), *args],
            env=self.environ(),
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``federation ARGS``; with ``check``, fail the test on a non-zero exit."""
        return self.run_all([args], check=check)[0]

    def run_all(
        self, commands: Sequence[Sequence[str]], *, check: bool = False
    ) -> list[subprocess.CompletedProcess[str]]:
        """Run independent commands side by side (each one pays the interpreter's start-up)."""
        processes = [(list(args), self.start(*args)) for args in commands]
        results = []
        # Every process is waited for before any is judged, so none is left
        # running with its pipes open when one fails.
        for args, process in processes:
            try:
                stdout, stderr = process.communicate(timeout=scaled(60))
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
            results.append(subprocess.CompletedProcess(args, process.returncode, stdout, stderr))
        for result in results if check else []:
            if result.returncode != 0:
                command = " ".join(result.args)
                raise AssertionError(
                    f"federation {command} exited {result.returncode}:\n{result.stderr}"
                )
        return results


def complaint(stderr: str) -> str:
    """What a command said on stderr besides the line naming its database."""
    return "".join(
        line for line in stderr.splitlines(keepends=True) if not line.startswith("database: ")
    )
