"""Keyset queries over object versions for the TAXII read endpoints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from federation.domain.filters import ObjectQuery, VersionFilter
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer
from federation.storage.models import ObjectVersion
from federation.storage.visibility import visible_versions


def select_versions(
    collection_id: uuid.UUID,
    viewer: Viewer,
    default_tlp: Tlp,
    query: ObjectQuery,
    *,
    stix_id: str | None = None,
) -> Select[ObjectVersion]:
    """Visible versions matching ``query``, oldest date_added first, one row past the limit.

    The extra row tells the caller whether there is ``more``.
    """
    conditions: list[ColumnElement[bool]] = [
        ObjectVersion.collection_id == collection_id,
        visible_versions(viewer, default_tlp),
    ]
    if stix_id is not None:
        conditions.append(ObjectVersion.stix_id == stix_id)
    if query.lower_bound is not None:
        conditions.append(ObjectVersion.date_added > query.lower_bound)
    if query.ids:
        conditions.append(ObjectVersion.stix_id.in_(query.ids))
    if query.types:
        conditions.append(ObjectVersion.type.in_(query.types))
    if query.spec_versions:
        conditions.append(ObjectVersion.spec_version.in_(query.spec_versions))
    version_condition = _version_condition(query.versions, viewer, default_tlp)
    if version_condition is not None:
        conditions.append(version_condition)
    return (
        select(ObjectVersion)
        .where(*conditions)
        .order_by(ObjectVersion.date_added)
        .limit(query.limit + 1)
    )


def _version_condition(
    versions: VersionFilter, viewer: Viewer, default_tlp: Tlp
) -> ColumnElement[bool] | None:
    """``match[version]`` as SQL; first and last are among the versions the viewer sees.

    Judging first/last among visible versions only means a hidden newer version
    neither hides an older visible one nor betrays that it exists.
    """
    if versions.all:
        return None
    options: list[ColumnElement[bool]] = []
    if versions.last:
        options.append(_no_visible_neighbour(viewer, default_tlp, newer=True))
    if versions.first:
        options.append(_no_visible_neighbour(viewer, default_tlp, newer=False))
    if versions.timestamps:
        options.append(ObjectVersion.version.in_(versions.timestamps))
    return or_(*options)


def _no_visible_neighbour(viewer: Viewer, default_tlp: Tlp, *, newer: bool) -> ColumnElement[bool]:
    other = aliased(ObjectVersion)
    order = (
        other.version > ObjectVersion.version if newer else other.version < ObjectVersion.version
    )
    return ~exists(
        select(other.pk).where(
            other.collection_id == ObjectVersion.collection_id,
            other.stix_id == ObjectVersion.stix_id,
            order,
            visible_versions(viewer, default_tlp, other),
        )
    )


def any_visible(
    session: Session, collection_id: uuid.UUID, viewer: Viewer, default_tlp: Tlp, stix_id: str
) -> bool:
    """Whether the viewer can see at least one version of ``stix_id``."""
    stmt = select(
        exists().where(
            ObjectVersion.collection_id == collection_id,
            ObjectVersion.stix_id == stix_id,
            visible_versions(viewer, default_tlp),
        )
    )
    return bool(session.scalar(stmt))


def existing_versions(
    session: Session, collection_id: uuid.UUID, stix_ids: Sequence[str]
) -> dict[str, list[datetime]]:
    """The versions already stored for each of ``stix_ids`` in the collection."""
    found: dict[str, list[datetime]] = {}
    if not stix_ids:
        return found
    stmt = select(ObjectVersion.stix_id, ObjectVersion.version).where(
        and_(ObjectVersion.collection_id == collection_id, ObjectVersion.stix_id.in_(stix_ids))
    )
    for stix_id, version in session.execute(stmt):
        found.setdefault(stix_id, []).append(version)
    return found
