"""``federation serve`` as an operator starts it: no prometheus_client settings,
two workers, and /metrics counting every worker's requests."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.cli.console import METRICS_AUTH, Hub
from tests.e2e.conftest import serve_hub
from tests.helpers import scaled

pytestmark = pytest.mark.e2e

REQUESTS = 12


def _served_healthz(metrics: str) -> float:
    prefix = 'federation_http_requests_total{endpoint="/healthz",method="GET",status="200"} '
    lines = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


def test_every_scrape_counts_the_requests_of_every_worker_and_the_folder_goes_at_exit(
    tmp_path: Path,
) -> None:
    hub = Hub.in_folder(tmp_path)
    hub.run("db", "upgrade")
    with serve_hub(hub, tmp_path / "serve.stderr") as url:
        folders = list((tmp_path / "tmp").glob("federation-metrics-*"))
        assert len(folders) == 1, folders
        for _ in range(REQUESTS):
            # A new connection each time: gunicorn hands them to both workers.
            assert requests.get(f"{url}/healthz", timeout=scaled(10)).status_code == 200
        scrapes = [
            requests.get(f"{url}/metrics", headers=METRICS_AUTH, timeout=scaled(10)).text
            for _ in range(6)
        ]
    # Each scrape, whichever worker answered it, holds at least every request made.
    assert all(_served_healthz(text) >= REQUESTS for text in scrapes), [
        _served_healthz(text) for text in scrapes
    ]
    assert not folders[0].exists()
