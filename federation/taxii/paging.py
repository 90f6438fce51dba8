"""Query parsing and page headers shared by the objects, manifest and versions endpoints."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from federation.domain.errors import BadRequestError
from federation.domain.filters import ObjectQuery, format_date_added, parse_query
from federation.services.objects.query import Page

OBJECTS_PARAMS = frozenset(
    {
        "added_after",
        "limit",
        "next",
        "match[id]",
        "match[type]",
        "match[version]",
        "match[spec_version]",
    }
)
OBJECT_PARAMS = frozenset({"added_after", "limit", "next", "match[version]", "match[spec_version]"})
VERSIONS_PARAMS = frozenset({"added_after", "limit", "next", "match[spec_version]"})
DELETE_PARAMS = frozenset({"match[version]", "match[spec_version]"})


def parse_request_query(allowed: frozenset[str], default_version: str = "last") -> ObjectQuery:
    """The request's filters, with this hub's page limits."""
    args = {key: request.args.get(key, "") for key in request.args}
    repeated = [key for key in request.args if len(request.args.getlist(key)) > 1]
    if repeated:
        raise BadRequestError(f"parameter {repeated[0][:60]!r} given more than once")
    return parse_query(
        args,
        allowed=allowed,
        default_limit=current_app.config["PAGE_LIMIT_DEFAULT"],
        max_limit=current_app.config["PAGE_LIMIT_MAX"],
        default_version=default_version,
    )


def page_envelope(page: Page, key: str, items: list[Any]) -> dict[str, Any]:
    """``more``, ``next`` and the items (omitted when there are none)."""
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next
    if items:
        body[key] = items
    return body


def date_headers(page: Page) -> dict[str, str]:
    """``X-TAXII-Date-Added-First`` and ``-Last`` for the page (section 3.3.1)."""
    if page.first_added is None or page.last_added is None:
        return {}
    return {
        "X-TAXII-Date-Added-First": format_date_added(page.first_added),
        "X-TAXII-Date-Added-Last": format_date_added(page.last_added),
    }
