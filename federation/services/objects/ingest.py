"""Adding objects to a collection (TAXII 2.1 section 5.4), for every source.

Each object succeeds or fails on its own (DESIGN.md invariant 7). All the
successes of one request are stored in one transaction together with its
status resource, so a crash stores either everything reported or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from federation import metrics
from federation.domain.errors import ForbiddenError
from federation.domain.text import storable_text
from federation.domain.tlp import object_tlp
from federation.domain.visibility import RECIPIENTS_PROPERTY, Viewer
from federation.services.access.collections import CollectionAccess
from federation.services.indexing.incidents import index_new_versions
from federation.services.routing.deliver import route_versions
from federation.stix.timestamps import format_timestamp
from federation.stix.validate import InvalidObjectError, ValidatedObject, validate_object
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import (
    Collection,
    ObjectRecipient,
    ObjectVersion,
    Organisation,
    Status,
)
from federation.storage.objects import existing_versions

UNATTRIBUTED_PROPERTY = "x_federation_unattributed"
_TICK = timedelta(microseconds=1)


@dataclass(slots=True)
class _Accepted:
    obj: ValidatedObject
    recipients: list[int]
    unattributed: bool
    version: datetime | None = None
    row: dict[str, Any] = field(default_factory=dict)


def add_objects(
    session: Session,
    viewer: Viewer,
    access: CollectionAccess,
    objects: list[Any],
    *,
    source_peer: str | None = None,
    unattributed: bool = False,
    in_same_transaction: Callable[[Session, Status], None] | None = None,
) -> Status:
    """Validate and store ``objects``; return the complete status resource.

    A version already held (same id and version) is an idempotent success. The
    status resource belongs to the viewer's organisation. ``source_peer`` names
    the peer the objects were pulled from (a viewer with account id 0 stands for
    no local account); ``in_same_transaction`` runs just before the commit, so a
    peer's checkpoint is stored together with the objects it covers.
    """
    if not access.can_write:
        raise ForbiddenError("this account may not add objects to this collection")
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    accepted: list[_Accepted] = []
    identity_orgs = _identity_organisations(session, objects)
    for raw in objects:
        try:
            obj = validate_object(raw)
            _check_storable(obj.data)
            recipients = _recipients(obj.data, identity_orgs)
        except InvalidObjectError as exc:
            failures.append(_entry(raw, str(exc)))
            continue
        flag = obj.data.get(UNATTRIBUTED_PROPERTY)
        hidden = unattributed or viewer.unattributed_default or flag is True
        accepted.append(_Accepted(obj, recipients, hidden))
    withheld = _withheld_identities(viewer, accepted)

    begin_write(session)
    last_added = _lock_collection(session, access.collection)
    held = existing_versions(session, access.collection.id, sorted({a.obj.id for a in accepted}))
    now = max(utcnow(), last_added + _TICK) if last_added else utcnow()
    new: list[_Accepted] = []
    for item in accepted:
        versions = held.setdefault(item.obj.id, [])
        version = item.obj.modified or item.obj.created
        if version is None and versions:
            version = versions[0]  # unversioned objects (SCOs) have one version
        if version is not None and version in versions:
            successes.append(_entry(item.obj.data, "already held", version))
            continue
        date_added = now + len(new) * _TICK
        item.version = version or date_added
        versions.append(item.version)
        item.row = _row(viewer, access, item, date_added, source_peer)
        item.row["withheld"] = item.obj.id in withheld
        new.append(item)
        successes.append(_entry(item.obj.data, None, item.version))

    if new:
        route_versions(session, access.collection, new, [a.obj.data for a in accepted])
        _store(session, access.collection, new)
        index_new_versions(
            session, access.collection.id, [i.row for i in new], [i.obj.data for i in accepted]
        )
    status = Status(
        collection_id=access.collection.id,
        organisation_id=viewer.organisation_id,
        account_id=viewer.account_id or None,
        total_count=len(objects),
        success_count=len(successes),
        failure_count=len(failures),
        successes=successes,
        failures=failures,
    )
    session.add(status)
    if in_same_transaction is not None:
        in_same_transaction(session, status)
    session.commit()
    source = "peer" if source_peer else "local"
    metrics.OBJECTS_INGESTED.labels(source).inc(len(new))
    metrics.OBJECTS_REJECTED.labels(source).inc(len(failures))
    return status


def _withheld_identities(viewer: Viewer, accepted: list[_Accepted]) -> set[str]:
    """Identities that would name the poster of an unattributed post.

    The organisation's own hub identity, and any identity the unattributed
    objects of this request name as their creator, stay visible only to the
    posting organisation.
    """
    creators = {
        item.obj.data["created_by_ref"]
        for item in accepted
        if item.unattributed and isinstance(item.obj.data.get("created_by_ref"), str)
    }
    if any(item.unattributed for item in accepted):
        creators.add(viewer.identity_id)
    return {
        item.obj.id for item in accepted if item.obj.type == "identity" and item.obj.id in creators
    }


def _lock_collection(session: Session, collection: Collection) -> datetime | None:
    """Take the collection's write lock and return its last date_added.

    Writers to one collection queue here, so date_added follows commit order.
    On SQLite the BEGIN IMMEDIATE of :func:`begin_write` already holds the lock.
    """
    stmt = select(Collection.last_date_added).where(Collection.id == collection.id)
    return session.execute(stmt.with_for_update()).scalar_one()


def _store(session: Session, collection: Collection, new: list[_Accepted]) -> None:
    rows = [item.row for item in new]
    if any(item.recipients for item in new):
        stmt = insert(ObjectVersion).returning(ObjectVersion.pk, sort_by_parameter_order=True)
        pks = list(session.scalars(stmt, rows))
        recipients = [
            {"version_pk": pk, "organisation_id": org}
            for pk, item in zip(pks, new, strict=True)
            for org in item.recipients
        ]
        session.execute(insert(ObjectRecipient), recipients)
    else:
        # Only recipients need the new keys; without RETURNING the driver can
        # send the rows as a plain executemany, twice as fast on PostgreSQL.
        session.execute(insert(ObjectVersion), rows)
    session.execute(
        update(Collection)
        .where(Collection.id == collection.id)
        .values(last_date_added=new[-1].row["date_added"])
    )


def _row(
    viewer: Viewer,
    access: CollectionAccess,
    item: _Accepted,
    date_added: datetime,
    source_peer: str | None,
) -> dict[str, Any]:
    obj = item.obj
    tlp = object_tlp(obj.data)
    return {
        "collection_id": access.collection.id,
        "stix_id": obj.id,
        "type": obj.type,
        "spec_version": obj.spec_version,
        "created": obj.created,
        "modified": obj.modified,
        "version": item.version,
        "date_added": date_added,
        "document": obj.data,
        "source_account_id": viewer.account_id or None,
        "owner_organisation_id": viewer.organisation_id,
        "source_peer": source_peer,
        "tlp": None if tlp is None else int(tlp),
        "unattributed": item.unattributed,
    }


def _identity_organisations(session: Session, objects: list[Any]) -> dict[str, int]:
    """Organisation ids for every identity named as a recipient in ``objects``."""
    wanted: set[str] = set()
    for raw in objects:
        if isinstance(raw, dict) and isinstance(raw.get(RECIPIENTS_PROPERTY), list):
            wanted.update(
                r for r in raw[RECIPIENTS_PROPERTY] if isinstance(r, str) and storable_text(r)
            )
    if not wanted:
        return {}
    stmt = select(Organisation.identity_id, Organisation.id).where(
        Organisation.identity_id.in_(sorted(wanted))
    )
    return {identity: org for identity, org in session.execute(stmt)}


def _recipients(data: dict[str, Any], identity_orgs: dict[str, int]) -> list[int]:
    names = data.get(RECIPIENTS_PROPERTY)
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidObjectError(f"{RECIPIENTS_PROPERTY} must be a list of identity ids")
    unknown = [n for n in names if n not in identity_orgs]
    if unknown:
        raise InvalidObjectError(
            f"{RECIPIENTS_PROPERTY} names {unknown[0][:80]!r}, which is no member's identity"
        )
    return sorted({identity_orgs[n] for n in names})


def _entry(raw: Any, message: str | None, version: datetime | None = None) -> dict[str, Any]:
    """A status-details entry (TAXII 2.1 section 4.3.1)."""
    data = raw if isinstance(raw, dict) else {}
    stix_id = data.get("id")
    entry: dict[str, Any] = {"id": _text(stix_id[:300]) if isinstance(stix_id, str) else ""}
    modified = data.get("modified", data.get("created"))
    if isinstance(modified, str):
        entry["version"] = _text(modified[:40])
    elif version is not None:
        entry["version"] = format_timestamp(version)
    else:
        entry["version"] = ""
    if message:
        entry["message"] = message
    return entry


# Deeper than any STIX object nests, and far enough below the interpreter's
# recursion limit that the JSON encoder storing the document cannot hit it.
_MAX_DEPTH = 100


def _check_storable(document: dict[str, Any]) -> None:
    """Refuse what no backend can store: NUL characters (PostgreSQL text and
    JSONB reject them), unpaired surrogates (not UTF-8), non-finite numbers (not
    JSON) and nesting deep enough to break the JSON encoder.

    Iterative, so a deeply nested document cannot exhaust the stack here.
    """
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > _MAX_DEPTH:
                raise InvalidObjectError(f"the object nests deeper than {_MAX_DEPTH} levels")
            for key, item in value.items():
                if not storable_text(key):
                    raise InvalidObjectError(_UNSTORABLE_TEXT)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > _MAX_DEPTH:
                raise InvalidObjectError(f"the object nests deeper than {_MAX_DEPTH} levels")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if not storable_text(value):
                raise InvalidObjectError(_UNSTORABLE_TEXT)
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidObjectError("the object holds a number too large for JSON")


_UNSTORABLE_TEXT = "the object holds a NUL character or an unpaired surrogate"


def _text(value: str) -> str:
    """``value`` with anything unstorable replaced, for status entries."""
    if storable_text(value):
        return value
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
