"""The visibility rule of ``federation.domain.visibility`` as SQL conditions.

Every read of object versions goes through :func:`visible_versions`, so the
rule is applied by the database and a page costs the same however many hidden
rows sit beside the visible ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select

from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer
from federation.storage.models import ObjectRecipient, ObjectVersion


def visible_versions(
    viewer: Viewer, collection_default: Tlp, table: Any = ObjectVersion
) -> ColumnElement[bool]:
    """SQL for ``can_see(viewer, row, collection_default)`` on rows of ``table``.

    ``table`` may be an alias, for the anti-joins that find a first or last
    visible version.
    """
    effective = func.coalesce(table.tlp, literal(int(collection_default)))
    if viewer.tlp_cap is not None:
        cap = int(min(viewer.tlp_cap, Tlp.AMBER))
        return or_(
            table.owner_organisation_id == viewer.organisation_id,
            and_(~table.withheld, effective <= cap),
        )
    is_recipient = exists(
        select(ObjectRecipient.version_pk).where(
            ObjectRecipient.version_pk == table.pk,
            ObjectRecipient.organisation_id == viewer.organisation_id,
        )
    )
    return or_(
        table.owner_organisation_id == viewer.organisation_id,
        and_(~table.withheld, or_(effective <= int(Tlp.AMBER), is_recipient)),
    )
