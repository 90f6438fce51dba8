"""A member's inbox: the incidents routed to it because they name its networks."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from federation.domain.visibility import Viewer
from federation.services.incidents.reports import IncidentPage, list_incidents
from federation.storage.incidents import IncidentFilter
from federation.storage.models import RoutingSettings


def list_inbox(
    session: Session, viewer: Viewer, wanted: IncidentFilter, limit: int, secret_key: str
) -> IncidentPage:
    """A page of the incidents routed to the viewer's organisation, newest first.

    The inbox is the organisation's own (never one a caller names), and its
    incidents go through the same visibility rule as every list.
    """
    settings = session.get(RoutingSettings, viewer.organisation_id)
    if settings is None or settings.inbox_collection_id is None:
        return IncidentPage([], False, None)
    wanted = replace(wanted, in_collection=settings.inbox_collection_id)
    return list_incidents(session, viewer, wanted, limit, secret_key)
