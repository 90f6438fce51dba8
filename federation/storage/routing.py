"""Queries for routing: which versions the members' inboxes already hold."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ARRAY, String, Uuid, bindparam, func, select, true, tuple_
from sqlalchemy.orm import Session

from federation.storage.models import ObjectVersion


def held_versions(
    session: Session, wanted: Collection[tuple[uuid.UUID, str]]
) -> set[tuple[uuid.UUID, str, datetime]]:
    """The (collection, STIX id, version) triples stored for the (collection, STIX id) pairs.

    On PostgreSQL each pair is one index probe through a LATERAL subquery, for
    the reason given in ``federation.storage.objects.existing_versions``: with
    missing or stale statistics, a plain ``IN`` list can read a whole
    collection.
    """
    if not wanted:
        return set()
    pairs = sorted(wanted, key=lambda pair: (str(pair[0]), pair[1]))
    if session.get_bind().dialect.name == "postgresql":
        keys = (
            func.unnest(
                bindparam("collection_ids", [c for c, _ in pairs], type_=ARRAY(Uuid())),
                bindparam("stix_ids", [s for _, s in pairs], type_=ARRAY(String)),
            )
            .table_valued("collection_id", "stix_id")
            .render_derived(name="wanted")
        )
        versions = (
            select(ObjectVersion.version)
            .where(
                ObjectVersion.collection_id == keys.c.collection_id,
                ObjectVersion.stix_id == keys.c.stix_id,
            )
            .offset(0)
            .lateral("held")
        )
        stmt = select(keys.c.collection_id, keys.c.stix_id, versions.c.version).join(
            versions, true()
        )
    else:
        stmt = select(
            ObjectVersion.collection_id, ObjectVersion.stix_id, ObjectVersion.version
        ).where(tuple_(ObjectVersion.collection_id, ObjectVersion.stix_id).in_(pairs))
    return {(c, s, v) for c, s, v in session.execute(stmt)}
