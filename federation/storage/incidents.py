"""SQL over the incident index: the latest visible version of each incident.

Every condition here goes through ``visible_versions`` on the incident
version (which carries its object version's key and visibility facts), per
readable collection (grouped by the collection's default
TLP), so lists, details, correlations and statistics see exactly what TAXII
would show the same account.

Each indexed version holds only the values and related ids of its own post.
What a reader finds an incident by (``?ip=``, ``?asn=``, the indicators of a
detail, correlations) is the union over the versions of that incident the
reader may see, never over versions hidden from it (DESIGN.md invariant 4).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from federation.domain.incidents import UNATTRIBUTED_SECTOR, IpRange
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer
from federation.storage.models import IncidentValue, IncidentVersion
from federation.storage.visibility import visible_versions

Readable = Mapping[Tlp, Sequence[uuid.UUID]]
"""The collections a viewer may read, grouped by their default TLP."""


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """What a list of incidents is narrowed to; every field is optional."""

    category: str | None = None
    investigation_status: str | None = None
    tlp: Tlp | None = None
    sector: str | None = None
    asn: int | None = None
    network: IpRange | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: tuple[datetime, str] | None = None
    stix_ids: tuple[str, ...] = field(default_factory=tuple)
    # Incidents with a version in this collection (a member's routing inbox).
    in_collection: uuid.UUID | None = None


def visible(
    viewer: Viewer, readable: Readable, collection: Any, version: Any = IncidentVersion
) -> ColumnElement[bool]:
    """The visibility rule for rows of ``version`` (incident or object versions)
    in any readable collection."""
    options = [
        and_(collection.in_(list(ids)), visible_versions(viewer, tlp, version))
        for tlp, ids in readable.items()
        if ids
    ]
    return or_(*options) if options else false()


def latest_visible(viewer: Viewer, readable: Readable) -> ColumnElement[bool]:
    """No other visible version of the same incident is newer (in any collection).

    A routed copy of one incident in two collections is therefore one row; on
    a tie in version the higher index key wins, so exactly one row remains.
    """
    other = aliased(IncidentVersion)
    return ~exists(
        select(other.pk).where(
            other.stix_id == IncidentVersion.stix_id,
            or_(
                other.version > IncidentVersion.version,
                and_(other.version == IncidentVersion.version, other.pk > IncidentVersion.pk),
            ),
            visible(viewer, readable, other.collection_id, other),
        )
    )


def has_visible_value(
    viewer: Viewer, readable: Readable, *conditions: ColumnElement[bool]
) -> ColumnElement[bool]:
    """A version of the incident that ``viewer`` may see holds a value meeting ``conditions``.

    Matched by STIX id, so a value indexed on an earlier visible version finds
    the latest one, and a value of a hidden version finds nothing.
    """
    source = aliased(IncidentVersion)
    return IncidentVersion.stix_id.in_(
        select(source.stix_id)
        .join(IncidentValue, IncidentValue.incident_pk == source.pk)
        .where(*conditions, visible(viewer, readable, source.collection_id, source))
    )


def select_visible_values(
    viewer: Viewer, readable: Readable, stix_ids: Sequence[str]
) -> Select[str, IncidentValue]:
    """The values of every version of ``stix_ids`` that ``viewer`` may see, oldest first."""
    source = aliased(IncidentVersion)
    return (
        select(source.stix_id, IncidentValue)
        .join(source, source.pk == IncidentValue.incident_pk)
        .where(
            source.stix_id.in_(list(stix_ids)),
            visible(viewer, readable, source.collection_id, source),
        )
        .order_by(source.version, source.pk, IncidentValue.id)
    )


def select_visible_related(viewer: Viewer, readable: Readable, stix_id: str) -> Select[list[Any]]:
    """The related ids of every version of ``stix_id`` that ``viewer`` may see."""
    source = aliased(IncidentVersion)
    return select(source.related).where(
        source.stix_id == stix_id, visible(viewer, readable, source.collection_id, source)
    )


def reporter_hidden_sql(viewer: Viewer) -> ColumnElement[bool]:
    """SQL for ``reporter_hidden(viewer, ...)`` on incident versions."""
    return and_(
        IncidentVersion.unattributed,
        func.coalesce(IncidentVersion.owner_organisation_id, -1) != viewer.organisation_id,
    )


def shown_sector(viewer: Viewer) -> ColumnElement[str]:
    """The reporter's sector as ``viewer`` may know it."""
    return case(
        (reporter_hidden_sql(viewer), literal(UNATTRIBUTED_SECTOR)),
        else_=func.coalesce(IncidentVersion.reporter_sector, literal("unknown")),
    )


def select_incidents(
    viewer: Viewer, readable: Readable, wanted: IncidentFilter
) -> Select[IncidentVersion]:
    """Latest visible, unrevoked versions matching ``wanted``, newest first."""
    conditions = [
        visible(viewer, readable, IncidentVersion.collection_id),
        latest_visible(viewer, readable),
        ~IncidentVersion.revoked,
        *_filters(viewer, readable, wanted),
    ]
    return (
        select(IncidentVersion)
        .where(*conditions)
        .order_by(IncidentVersion.created.desc(), IncidentVersion.stix_id.desc())
    )


def _filters(
    viewer: Viewer, readable: Readable, wanted: IncidentFilter
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if wanted.stix_ids:
        found.append(IncidentVersion.stix_id.in_(wanted.stix_ids))
    if wanted.in_collection is not None:
        held = aliased(IncidentVersion)
        found.append(
            IncidentVersion.stix_id.in_(
                select(held.stix_id).where(held.collection_id == wanted.in_collection)
            )
        )
    if wanted.category is not None:
        found.append(IncidentVersion.category == wanted.category)
    if wanted.investigation_status is not None:
        found.append(IncidentVersion.investigation_status == wanted.investigation_status)
    if wanted.tlp is not None:
        defaults = [c for tlp, ids in readable.items() if tlp == wanted.tlp for c in ids]
        found.append(
            or_(
                IncidentVersion.tlp == int(wanted.tlp),
                and_(IncidentVersion.tlp.is_(None), IncidentVersion.collection_id.in_(defaults)),
            )
        )
    if wanted.sector is not None:
        found.append(shown_sector(viewer) == wanted.sector)
    if wanted.asn is not None:
        found.append(
            has_visible_value(
                viewer,
                readable,
                IncidentValue.kind == "autonomous-system",
                IncidentValue.value == str(wanted.asn),
            )
        )
    if wanted.network is not None:
        # Values that fall in the network: a range scan on ip_start, then a
        # check of ip_end; the semi-join lets the planner start from the few
        # matching values instead of walking every incident.
        net = wanted.network
        found.append(
            has_visible_value(
                viewer,
                readable,
                IncidentValue.ip_start >= net.start,
                IncidentValue.ip_start <= net.end,
                IncidentValue.ip_end <= net.end,
                # IPv4 is mapped into IPv6 (::ffff:0:0/96), which ::/0 covers.
                IncidentValue.kind == ("ipv4-addr" if net.version == 4 else "ipv6-addr"),
            )
        )
    if wanted.text:
        found.append(
            func.lower(IncidentVersion.title).contains(wanted.text.lower(), autoescape=True)
        )
    if wanted.since is not None:
        found.append(IncidentVersion.created >= wanted.since)
    if wanted.until is not None:
        found.append(IncidentVersion.created < wanted.until)
    if wanted.after is not None:
        found.append(
            tuple_(IncidentVersion.created, IncidentVersion.stix_id) < tuple_(*wanted.after)
        )
    return found


class week_start(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """The Monday (``YYYY-MM-DD``, UTC) of the week a timestamp falls in."""

    name = "week_start"
    type = String()
    inherit_cache = True


@compiles(week_start)
def _compile_week_start(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char(date_trunc('week', timezone('UTC', {column})), 'YYYY-MM-DD')"


@compiles(week_start, "sqlite")
def _compile_week_start_sqlite(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps naive UTC text; 'weekday 0' moves to the next Sunday (or
    # stays on one), and six days back is that week's Monday.
    column = compiler.process(element.clauses, **kw)
    return f"date({column}, 'weekday 0', '-6 days')"
