"""Browser tests: real Chromium (Debian's package) driven by Playwright against a
live hub on 127.0.0.1. No browser is downloaded: Playwright launches the
system's executable. Without Chromium the tests skip with the reason, and fail
in CI (``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cli.console import FEDERATION, Hub
from tests.e2e.conftest import serve_hub

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = os.environ.get("FEDERATION_TEST_CHROMIUM") or shutil.which("chromium") or ""
PASSWORD = "correct horse battery staple"
ISP, RIVAL, POLICE = "Example ISP", "Second ISP", "National Police"
# Flags a sandboxed CI machine needs, and none that reach for the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@dataclass
class ConsoleHub:
    url: str
    hub: Hub
    tokens: dict[str, str] = field(default_factory=dict)
    collection: str = ""

    def post_incident(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            f"{self.url}/api/v1/incidents",
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[account]}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


def _chromium_or_skip() -> str:
    if CHROMIUM and Path(CHROMIUM).exists():
        return CHROMIUM
    message = "browser tests need Debian's chromium (apt-get install chromium); none found"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def console_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleHub]:
    """A hub built the way an operator builds it, with people who sign in."""
    _chromium_or_skip()
    hub = Hub.in_folder(tmp_path_factory.mktemp("console-hub"))
    hub.run("db", "upgrade")
    hub.run_all(
        [
            ("org", "add", ISP, "--sector", "isp"),
            ("org", "add", RIVAL, "--sector", "isp"),
            ("org", "add", POLICE, "--sector", "law-enforcement"),
            ("root", "add", "hub", "--title", "Partnership hub"),
        ],
        check=True,
    )
    people = {"alice": ISP, "bob": RIVAL, "carol": POLICE}
    results = hub.run_all(
        [
            *(
                ("account", "add", name, "--org", org, "--role", "analyst", "--json")
                for name, org in people.items()
            ),
            ("collection", "add", "--root", "hub", "--title", "Incidents", "--write", "*"),
            ("org", "network", "add", ISP, "198.51.100.0/24"),
        ],
        check=True,
    )
    live = ConsoleHub(url="", hub=hub)
    for name, result in zip(people, results, strict=False):
        live.tokens[name] = json.loads(result.stdout)["token"]
    live.collection = results[len(people)].stdout.strip()
    for name in people:
        subprocess.run(
            [str(FEDERATION), "account", "password", name, "--stdin"],
            input=PASSWORD + "\n",
            env=hub.environ(),
            cwd=hub.folder,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
    with serve_hub(hub, hub.folder / "serve.stderr") as url:
        live.url = url
        yield live


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Any, url: str, account: str, password: str = PASSWORD) -> None:
    """Sign in the way a person does: by the fields' labels."""
    page.goto(f"{url}/login")
    page.get_by_label("Account name").fill(account)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")
