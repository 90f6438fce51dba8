"""Statistics over the incidents a viewer may see (DESIGN.md invariant 4).

Counted in SQL over the latest visible version of each incident, so a RED
incident never adds to another organisation's counts. An unattributed
incident counts under the sector "unattributed" for readers outside the
reporting organisation (its sector would narrow down who reported it), and
is left out of their reporting-frequency figures.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from federation.domain.incidents import frequency_class
from federation.domain.visibility import Viewer
from federation.services.incidents.reports import readable_collections
from federation.storage.base import utcnow
from federation.storage.incidents import (
    Readable,
    latest_visible,
    reporter_hidden_sql,
    shown_sector,
    visible,
    week_start,
)
from federation.storage.models import IncidentVersion


def incident_stats(session: Session, viewer: Viewer, days: int) -> dict[str, Any]:
    """Counts of the visible incidents reported in the last ``days`` days."""
    readable = readable_collections(session, viewer)
    conditions = _conditions(viewer, readable, days)
    base = (
        select(
            IncidentVersion.category.label("category"),
            week_start(IncidentVersion.created).label("week"),
            shown_sector(viewer).label("sector"),
            IncidentVersion.owner_organisation_id.label("owner"),
            reporter_hidden_sql(viewer).label("hidden"),
        )
        .where(*conditions)
        .subquery()
    )
    weeks = session.execute(
        select(base.c.week, base.c.category, func.count())
        .group_by(base.c.week, base.c.category)
        .order_by(base.c.week, base.c.category)
    )
    sectors = session.execute(
        select(base.c.sector, func.count()).group_by(base.c.sector).order_by(base.c.sector)
    )
    owners = session.execute(
        select(base.c.owner, func.count())
        .where(~base.c.hidden, base.c.owner.is_not(None))
        .group_by(base.c.owner)
    )
    frequency = {"daily": 0, "weekly": 0, "monthly": 0, "rarely": 0}
    for _, reports in owners:
        label = frequency_class(int(reports), days)
        if label is not None:
            frequency[label] += 1
    per_sector = [{"sector": s, "incidents": int(n)} for s, n in sectors]
    hidden = session.scalar(select(func.count()).select_from(base).where(base.c.hidden)) or 0
    return {
        "days": days,
        "total": sum(item["incidents"] for item in per_sector),
        "per_category_week": [
            {"week": str(w)[:10], "category": c, "incidents": int(n)} for w, c, n in weeks
        ],
        "per_sector": per_sector,
        "reporting_frequency": frequency,
        "unattributed_incidents": int(hidden),
    }


def _conditions(viewer: Viewer, readable: Readable, days: int) -> list[ColumnElement[bool]]:
    return [
        visible(viewer, readable, IncidentVersion.collection_id),
        latest_visible(viewer, readable),
        ~IncidentVersion.revoked,
        IncidentVersion.created >= utcnow() - timedelta(days=days),
    ]
