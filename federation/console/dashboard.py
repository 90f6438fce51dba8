"""The dashboard (``/``) and the inbox: what happened lately, and what concerns
the organisation's own networks."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from federation.api.incidents import summary
from federation.console.blueprint import console, secret_key, viewer
from federation.domain.cursors import decode_keyed_cursor, encode_cursor
from federation.domain.incidents import is_incident_id
from federation.services.incidents import inbox, reports, stats
from federation.storage.incidents import IncidentFilter
from federation.web.audit import audit_write
from federation.web.db import db_session

DASHBOARD_DAYS = 56


@console.get("/")
def dashboard() -> str:
    session, person = db_session(), viewer()
    counts = stats.incident_stats(session, person, DASHBOARD_DAYS)
    newest = reports.list_incidents(session, person, IncidentFilter(), 10, secret_key())
    routed = inbox.list_inbox(session, person, IncidentFilter(), 5, secret_key())
    audit_write("console.dashboard", None, len(newest.incidents) + len(routed.incidents))
    return render_template(
        "dashboard.html",
        counts=counts,
        weekly=_weekly(counts["per_category_week"]),
        newest=[summary(i) for i in newest.incidents],
        routed=[summary(i) for i in routed.incidents],
        days=DASHBOARD_DAYS,
    )


@console.get("/inbox")
def inbox_list() -> str:
    cursor = request.args.get("cursor")
    after = decode_keyed_cursor(cursor, "cursor", is_incident_id) if cursor else None
    page = inbox.list_inbox(db_session(), viewer(), IncidentFilter(after=after), 50, secret_key())
    audit_write("console.inbox", None, len(page.incidents))
    next_url = (
        url_for("console.inbox_list", cursor=encode_cursor(*page.next)) if page.next else None
    )
    return render_template(
        "inbox.html", incidents=[summary(i) for i in page.incidents], next_url=next_url
    )


def _weekly(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per week and category as a table: weeks down, categories across."""
    weeks = sorted({row["week"] for row in rows})
    categories = sorted({row["category"] for row in rows})
    cells = {(row["week"], row["category"]): row["incidents"] for row in rows}
    return {
        "weeks": weeks,
        "categories": categories,
        "rows": [[cells.get((w, c), 0) for c in categories] for w in weeks],
    }
