"""FEDERATION_TEST_TIME_SCALE stretches the wall-clock windows of the tests."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import TIME_SCALE_VARIABLE, project_root


def _scaled_in_a_fresh_interpreter(value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != TIME_SCALE_VARIABLE}
    if value is not None:
        env[TIME_SCALE_VARIABLE] = value
    return subprocess.run(
        [sys.executable, "-c", "from tests.helpers import scaled; print(scaled(10))"],
        cwd=project_root(),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_windows_keep_their_length_without_the_setting() -> None:
    assert _scaled_in_a_fresh_interpreter(None).stdout.strip() == "10.0"


def test_the_setting_stretches_every_window() -> None:
    assert _scaled_in_a_fresh_interpreter("2.5").stdout.strip() == "25.0"


def test_a_scale_that_is_not_a_positive_number_stops_the_run() -> None:
    for bad in ("fast", "0", "-1"):
        result = _scaled_in_a_fresh_interpreter(bad)
        assert result.returncode != 0
        assert f"{TIME_SCALE_VARIABLE} must be a positive number" in result.stderr
