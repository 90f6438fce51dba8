"""The OASIS reference TAXII 2.1 server, medallion, with its memory backend on 127.0.0.1.

medallion 3 reads one JSON configuration (users, backend, page size) and, for
the memory backend, one JSON data file holding discovery, the API roots and
their collections. It is started with its own console script, like any
server a member might run, and always stopped by the context manager.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from taxii2client.v21 import Collection, as_pages

from tests.e2e.conftest import _free_port
from tests.helpers import scaled

MEDALLION = Path(sys.executable).with_name("medallion")
TAXII_21 = "application/taxii+json;version=2.1"
STIX_21 = "application/stix+json;version=2.1"
STARTUP_TIMEOUT = scaled(30.0)
API_ROOT = "federation-interop"


@dataclass(frozen=True)
class Medallion:
    url: str
    user: str
    password: str
    collection_id: str

    @property
    def root_url(self) -> str:
        return f"{self.url}/{API_ROOT}/"

    @property
    def collection_url(self) -> str:
        return f"{self.root_url}collections/{self.collection_id}/"

    def collection(self) -> Collection:
        return Collection(self.collection_url, user=self.user, password=self.password)

    def post(self, objects: list[dict[str, Any]], *, batch: int = 100) -> None:
        """Add ``objects``, ``batch`` per request (one request's objects share a date_added)."""
        with self.collection() as collection:
            for start in range(0, len(objects), batch):
                chunk = objects[start : start + batch]
                status = collection.add_objects({"objects": chunk})
                assert (status.success_count, status.failure_count) == (len(chunk), 0)

    def documents(self) -> list[dict[str, Any]]:
        with self.collection() as collection:
            return [
                obj
                for page in as_pages(collection.get_objects, per_request=100)
                for obj in page.get("objects", [])
            ]


def _data(url: str, collection_id: str, max_content_length: int) -> dict[str, Any]:
    return {
        "/discovery": {
            "title": "medallion for the interoperation tests",
            "description": "The OASIS reference TAXII 2.1 server",
            "contact": "",
            "default": f"{url}/{API_ROOT}/",
            "api_roots": [f"{url}/{API_ROOT}/"],
        },
        API_ROOT: {
            "information": {
                "title": "Interoperation",
                "description": "A member's own TAXII server",
                "versions": [TAXII_21],
                "max_content_length": max_content_length,
            },
            "status": [],
            "collections": [
                {
                    "id": collection_id,
                    "title": "member feed",
                    "description": "read and written by the hub",
                    "can_read": True,
                    "can_write": True,
                    "media_types": [STIX_21],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }


@contextmanager
def medallion_server(
    folder: Path, *, max_page_size: int = 100, max_content_length: int = 1024 * 1024
) -> Iterator[Medallion]:
    """Run medallion on a free port until the block ends (also when it fails)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = Medallion(url, "hub", uuid.uuid4().hex, str(uuid.uuid4()))
    data_file = folder / "medallion-data.json"
    data_file.write_text(json.dumps(_data(url, server.collection_id, max_content_length)))
    config_file = folder / "medallion.json"
    config_file.write_text(
        json.dumps(
            {
                "backend": {
                    "module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": str(data_file),
                },
                "users": {server.user: server.password},
                "taxii": {"max_page_size": max_page_size},
            }
        )
    )
    log = folder / "medallion.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(MEDALLION), "--host", "127.0.0.1", "--port", str(port), str(config_file)],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=folder,
            # Flask's own CLI, run in-process by other tests, leaves
            # FLASK_RUN_FROM_CLI set, and medallion's app.run() then returns at once.
            env={k: v for k, v in os.environ.items() if not k.startswith("FLASK_")},
            start_new_session=True,
        )
    try:
        _wait_until_up(server, process, log)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=scaled(10))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(server: Medallion, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"medallion exited {process.returncode}:\n{log.read_text()}")
        try:
            answer = requests.get(
                f"{server.url}/taxii2/",
                auth=(server.user, server.password),
                headers={"Accept": TAXII_21},
                timeout=scaled(2),
            )
            if answer.status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"medallion did not answer within {STARTUP_TIMEOUT:.0f} s")
