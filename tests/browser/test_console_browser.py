"""The console in real Chromium: what people do, and what they must never see."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, ConsoleHub, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
# `make screenshots` points this at docs/screenshots; otherwise a temporary folder.
SCREENSHOTS_VARIABLE = "FEDERATION_SCREENSHOTS"
# The element that sticks out furthest to the right, to name it when a page is too wide.
WIDEST = """() => {
  let found = null, right = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-scroll') && !el.classList.contains('table-scroll')) continue;
    const r = el.getBoundingClientRect().right;
    if (r > right) { right = r; found = el.tagName + '.' + el.className + '#' + el.id; }
  }
  return found + ' ends at ' + Math.round(right);
}"""


def _report(collection: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "SYN flood on a hosting customer",
        "category": "ddos",
        "first_seen": "2026-11-30T10:00:00Z",
        "collection": collection,
        "tlp": "green",
        "indicators": [{"type": "ipv4-addr", "value": "203.0.113.50", "role": "source"}],
    }
    body.update(changes)
    return body


def test_an_analyst_reports_through_the_form_and_finds_it_in_the_list(
    page: Any, console_hub: ConsoleHub
) -> None:
    sign_in(page, console_hub.url, "alice")
    page.get_by_role("link", name="Report an incident").click()
    page.get_by_label("Title").fill("Phishing kit on a customer's web space")
    page.get_by_label("Category").select_option("phishing")
    page.get_by_label("First seen (UTC)").fill("2026-11-29T08:30")
    page.get_by_label("Description").fill("Kit imitating a bank; taken down at 09:10.")
    page.get_by_text("TLP:GREEN").click()
    page.get_by_label("Value of indicator 1").fill("login-bank.example.com")
    page.get_by_label("Type of indicator 1").select_option("domain-name")
    page.get_by_role("button", name="Report incident").click()
    page.get_by_role("heading", name="Incident reported").wait_for()
    assert page.get_by_text("login-bank.example.com").is_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    assert page.get_by_role("link", name="Phishing kit on a customer's web space").is_visible()


def test_another_members_green_report_shows_and_its_red_one_never_reaches_the_browser(
    page: Any, console_hub: ConsoleHub
) -> None:
    console_hub.post_incident("bob", _report(console_hub.collection, title="Rival GREEN flood"))
    red = console_hub.post_incident(
        "bob",
        _report(
            console_hub.collection,
            title="Rival RED intrusion",
            tlp="red",
            indicators=[{"type": "ipv4-addr", "value": "192.0.2.201", "role": "source"}],
        ),
    )
    bodies: list[str] = []

    def keep(response: Any) -> None:
        if response.request.resource_type in ("document", "xhr", "fetch"):
            bodies.append(response.text())

    page.on("response", keep)
    sign_in(page, console_hub.url, "alice")
    for path in ("/", "/incidents", "/incidents?q=Rival", "/inbox", f"/incidents/{red['id']}"):
        page.goto(console_hub.url + path)
    page.goto(console_hub.url + "/incidents")
    assert page.get_by_role("link", name="Rival GREEN flood").is_visible()
    assert bodies
    for body in bodies:
        assert "Rival RED intrusion" not in body
        assert "192.0.2.201" not in body
        assert red["id"] not in body.replace(f"/incidents/{red['id']}", "")


def test_a_note_added_in_the_browser_shows_on_the_incident(
    page: Any, console_hub: ConsoleHub
) -> None:
    incident = console_hub.post_incident(
        "bob", _report(console_hub.collection, title="Scanning from a VPS")
    )
    sign_in(page, console_hub.url, "carol")
    page.goto(f"{console_hub.url}/incidents/{incident['id']}")
    page.get_by_label("Note", exact=True).fill("Case opened, reference 2026/881")
    page.get_by_role("button", name="Add note").click()
    assert page.get_by_text("Case opened, reference 2026/881").is_visible()


def test_the_inbox_lists_what_names_the_members_network(page: Any, console_hub: ConsoleHub) -> None:
    console_hub.post_incident(
        "bob",
        _report(
            console_hub.collection,
            title="Botnet C2 inside Example ISP",
            category="botnet",
            indicators=[{"type": "ipv4-addr", "value": "198.51.100.77", "role": "c2"}],
        ),
    )
    sign_in(page, console_hub.url, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    assert page.get_by_role("link", name="Botnet C2 inside Example ISP").is_visible()
    sign_in(page, console_hub.url, "carol")
    page.goto(f"{console_hub.url}/inbox")
    assert page.get_by_role("link", name="Botnet C2 inside Example ISP").count() == 0


def test_signing_out_ends_the_session(page: Any, console_hub: ConsoleHub) -> None:
    sign_in(page, console_hub.url, "alice")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{console_hub.url}/login")
    page.goto(f"{console_hub.url}/incidents")
    assert page.url.startswith(f"{console_hub.url}/login")


def test_reporting_works_with_the_keyboard_alone(page: Any, console_hub: ConsoleHub) -> None:
    sign_in(page, console_hub.url, "alice")
    page.goto(f"{console_hub.url}/incidents/new")
    page.get_by_label("Title").focus()
    page.keyboard.type("Keyboard-only report of a DNS amplification")
    page.keyboard.press("Tab")  # category
    page.keyboard.type("ddos")
    page.keyboard.press("Tab")  # first seen: a datetime-local field takes typed digits
    page.get_by_label("First seen (UTC)").press_sequentially("11302026")
    page.keyboard.press("Tab")
    page.keyboard.type("1030A")
    page.get_by_role("button", name="Report incident").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Incident reported").wait_for()
    assert page.get_by_role(
        "heading", name="Keyboard-only report of a DNS amplification"
    ).is_visible()


def test_pages_fit_a_phone_and_a_desktop_and_pass_the_accessibility_check(
    chromium: Any, console_hub: ConsoleHub, tmp_path: Path
) -> None:
    incident = console_hub.post_incident(
        "bob", _report(console_hub.collection, title="Accessible incident")
    )
    pages = {
        "login": "/login",
        "dashboard": "/",
        "incidents": "/incidents",
        "incident": f"/incidents/{incident['id']}",
        "report": "/incidents/new",
        "inbox": "/inbox",
        "account": "/account",
    }
    screenshots = Path(os.environ.get(SCREENSHOTS_VARIABLE) or tmp_path)
    screenshots.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    for size_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        # axe is injected as a script, which the CSP forbids: bypass it here only.
        context = chromium.new_context(viewport=viewport, bypass_csp=True)
        page = context.new_page()
        sign_in(page, console_hub.url, "alice")
        for name, path in pages.items():
            if name == "login":
                continue
            page.goto(console_hub.url + path)
            page.screenshot(path=str(screenshots / f"{name}-{size_name}.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            widest = page.evaluate(WIDEST)
            assert width <= viewport["width"] + 1, f"{name} is too wide on a {size_name}: {widest}"
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            )
            serious = [
                f"{v['id']}: {v['help']}" for v in result if v["impact"] in ("serious", "critical")
            ]
            if serious:
                problems[f"{name} ({size_name})"] = serious
        page.get_by_role("button", name="Sign out").click()
        page.goto(console_hub.url + "/login")
        page.screenshot(path=str(screenshots / f"login-{size_name}.png"))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => (await axe.run()).violations")
        serious = [v["id"] for v in result if v["impact"] in ("serious", "critical")]
        if serious:
            problems[f"login ({size_name})"] = serious
        context.close()
    assert not problems, json.dumps(problems, indent=2)


def test_the_pages_load_nothing_from_other_hosts(page: Any, console_hub: ConsoleHub) -> None:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    sign_in(page, console_hub.url, "alice")
    for path in ("/", "/incidents", "/incidents/new", "/account"):
        page.goto(console_hub.url + path)
    assert hosts == {console_hub.url.split("/")[2]}


def test_filtering_updates_the_list_in_place_and_the_address_bar(
    page: Any, console_hub: ConsoleHub
) -> None:
    console_hub.post_incident(
        "bob", _report(console_hub.collection, title="Filter me: spam run", category="spam")
    )
    sign_in(page, console_hub.url, "alice")
    page.goto(f"{console_hub.url}/incidents")
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Category").select_option("spam")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**category=spam**")
    assert page.get_by_role("link", name="Filter me: spam run").is_visible()
    assert page.get_by_role("link", name="Rival GREEN flood").count() == 0
    # htmx swapped the results in: the document (and what a script left on it) is the same.
    assert page.evaluate("window.sameDocument") is True
