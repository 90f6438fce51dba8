"""Incident pages: what a signed-in person reports, sees and cannot see."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.api.incident_helpers import post_incident, report
from tests.console.helpers import post_form, sign_in
from tests.helpers import Member

FORM = {
    "title": "Botnet C2 talking to customers",
    "category": "botnet",
    "first_seen": "2026-11-30T10:00",
    "description": "Seen from the abuse desk.",
    "tlp": "green",
    "indicators-0-type": "ipv4-addr",
    "indicators-0-value": "198.51.100.23",
    "indicators-0-role": "c2",
}


def _form(collection: str, **changes: str) -> dict[str, str]:
    return {**FORM, "collection": collection, **changes}


def test_a_report_posted_through_the_form_is_shown_and_served_over_rest(
    app: Flask, browser: FlaskClient, analyst: Member, rival: Member, collection: str
) -> None:
    response = post_form(browser, "/incidents/new", _form(collection))
    assert response.status_code == 302
    detail_path = response.headers["Location"].split("?")[0]
    page = browser.get(detail_path).get_data(as_text=True)
    assert "Botnet C2 talking to customers" in page
    assert "198.51.100.23" in page
    assert "TLP:GREEN" in page
    assert "Botnet C2" in browser.get("/incidents").get_data(as_text=True)
    # The same incident, through REST, for another organisation.
    listed = app.test_client().get("/api/v1/incidents", headers=rival.auth).get_json()
    assert [i["title"] for i in listed["incidents"]] == ["Botnet C2 talking to customers"]


def test_another_organisations_green_report_shows_and_its_red_one_never_does(
    app: Flask, browser: FlaskClient, rival: Member, collection: str
) -> None:
    api = app.test_client()
    post_incident(api, rival, report(collection, title="Rival green report", tlp="green"))
    red = post_incident(
        api,
        rival,
        report(
            collection,
            title="Rival red report",
            tlp="red",
            indicators=[{"type": "ipv4-addr", "value": "192.0.2.99", "role": "source"}],
        ),
    )
    pages = [browser.get(path) for path in ("/", "/incidents", "/incidents?q=Rival", "/inbox")]
    for response in pages:
        text = response.get_data(as_text=True)
        assert "Rival red report" not in text
        assert "192.0.2.99" not in text
    assert "Rival green report" in pages[1].get_data(as_text=True)
    hidden = browser.get(f"/incidents/{red['id']}")
    absent = browser.get("/incidents/incident--00000000-0000-4000-8000-000000000000")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.get_data(as_text=True) == absent.get_data(as_text=True)
    assert browser.get(f"/incidents/{red['id']}/stix").status_code == 404


def test_hostile_text_renders_inert(
    app: Flask, browser: FlaskClient, rival: Member, collection: str
) -> None:
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    body = report(
        collection,
        title=hostile,
        description="javascript:alert(3) <a href='javascript:alert(4)'>click</a>",
        external_references=[{"source_name": "x", "url": "https://example.org/<script>"}],
    )
    incident = post_incident(app.test_client(), rival, body)
    for path in ("/incidents", f"/incidents/{incident['id']}", "/"):
        text = browser.get(path).get_data(as_text=True)
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert "href='javascript:" not in text
        assert 'href="javascript:' not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_bad_report_shows_errors_beside_fields_and_stores_nothing(
    app: Flask, browser: FlaskClient, collection: str
) -> None:
    form = _form(
        collection,
        title="",
        category="not-a-category",
        **{
            "indicators-2-value": "999.1.1.1",
            "indicators-2-type": "ipv4-addr",
            "indicators-2-role": "source",
        },
    )
    response = post_form(browser, "/incidents/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert 'id="title-error"' in page
    assert 'id="category-error"' in page
    assert 'id="indicators-2-value-error"' in page
    assert "Indicator 3 value: Not an IP address" in page
    # What the person typed is kept.
    assert 'value="999.1.1.1"' in page
    assert "Seen from the abuse desk." in page
    listed = browser.get("/incidents").get_data(as_text=True)
    assert "No incidents." in listed


def test_adding_a_note_shows_it_on_the_incident(
    app: Flask, browser: FlaskClient, rival: Member, collection: str
) -> None:
    incident = post_incident(app.test_client(), rival, report(collection, tlp="green"))
    path = f"/incidents/{incident['id']}"
    response = post_form(browser, f"{path}/notes", {"content": "Case opened: 2026/123"}, page=path)
    assert response.status_code == 302
    assert "Case opened: 2026/123" in browser.get(path).get_data(as_text=True)
    notes = app.test_client().get(f"/api/v1/incidents/{incident['id']}", headers=rival.auth)
    assert [n["content"] for n in notes.get_json()["notes"]] == ["Case opened: 2026/123"]


def test_filters_narrow_the_list_like_rest(
    app: Flask, browser: FlaskClient, rival: Member, collection: str
) -> None:
    api = app.test_client()
    post_incident(api, rival, report(collection, title="Phishing wave", category="phishing"))
    post_incident(api, rival, report(collection, title="Flood", category="ddos"))
    text = browser.get("/incidents?category=phishing&tlp=").get_data(as_text=True)
    assert "Phishing wave" in text
    assert "Flood" not in text
    text = browser.get("/incidents?ip=198.51.100.0/24").get_data(as_text=True)
    assert "Phishing wave" in text
    assert "Flood" in text
    bad = browser.get("/incidents?ip=not-an-address")
    assert bad.status_code == 400
    assert 'id="ip-error"' in bad.get_data(as_text=True)


def test_the_stix_bundle_downloads(
    app: Flask, browser: FlaskClient, rival: Member, collection: str
) -> None:
    incident = post_incident(app.test_client(), rival, report(collection))
    response = browser.get(f"/incidents/{incident['id']}/stix")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    bundle = response.get_json()
    assert bundle["type"] == "bundle"
    assert incident["id"] in [o["id"] for o in bundle["objects"]]


def test_unattributed_reports_do_not_name_the_reporter_in_pages(
    app: Flask, browser: FlaskClient, rival: Member, collection: str
) -> None:
    incident = post_incident(
        app.test_client(), rival, report(collection, title="Anonymous tip", unattributed=True)
    )
    text = browser.get(f"/incidents/{incident['id']}").get_data(as_text=True)
    assert "Unattributed" in text
    assert "Second ISP" not in text
    assert rival.identity_id not in text


def test_console_errors_are_html_pages(browser: FlaskClient) -> None:
    response = browser.get("/incidents/incident--00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert re.search(r"<h1>[^<]+</h1>", response.get_data(as_text=True))


def test_pages_are_not_cached(browser: FlaskClient) -> None:
    assert browser.get("/incidents").headers["Cache-Control"] == "no-store"


def test_the_api_still_answers_problem_json_for_unknown_paths(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_second_browser_signs_in_as_the_rival_and_sees_its_own_name(
    app: Flask, rival: Member
) -> None:
    other = sign_in(app.test_client(), rival)
    assert "Second ISP" in other.get("/").get_data(as_text=True)
