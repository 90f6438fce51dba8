"""Adding objects to a collection (TAXII 2.1 section 5.5, Add Objects), for every source.

Each object succeeds or fails on its own (DESIGN.md invariant 7). All the
successes of one request are stored in one transaction together with its
status resource, so a crash stores either everything reported or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation import metrics
from federation.domain.errors import ForbiddenError
from federation.domain.ownership import Holder, authorship_error, may_version, not_creator_message
from federation.domain.roles import Role
from federation.domain.text import storable_text
from federation.domain.tlp import object_tlp
from federation.domain.visibility import Viewer
from federation.domain.vocabulary import RECIPIENTS_PROPERTY, UNATTRIBUTED_PROPERTY
from federation.services.access import audit
from federation.services.access.collections import CollectionAccess
from federation.services.indexing.incidents import index_new_versions
from federation.services.routing.deliver import route_versions
from federation.stix.markings import check_reserved_marking, is_standard_tlp
from federation.stix.timestamps import format_timestamp
from federation.stix.validate import InvalidObjectError, ValidatedObject, validate_object
from federation.storage.database import begin_write
from federation.storage.models import Organisation, Peer, Status
from federation.storage.objects import HeldVersion, existing_versions
from federation.storage.versions import (
    TICK,
    NewVersion,
    append_versions,
    lock_collection,
    next_tick,
)


@dataclass(frozen=True, slots=True)
class AuditAs:
    """The audit event a write records in its own transaction (DESIGN.md invariant 8)."""

    action: str
    meta: audit.RequestMeta | None = None
    # What the event is about beyond the collection, e.g. the incident's id.
    detail: str = ""


@dataclass(slots=True)
class _Accepted:
    obj: ValidatedObject
    recipients: list[int]
    unattributed: bool
    # The identity object of another member: that member's to publish.
    foreign_identity: bool = False
    new: NewVersion | None = None


def add_objects(
    session: Session,
    viewer: Viewer,
    access: CollectionAccess,
    objects: list[Any],
    *,
    source_peer: str | None = None,
    unattributed: bool = False,
    pseudonym: Callable[[str], str] | None = None,
    audit_as: AuditAs | None = None,
    in_same_transaction: Callable[[Session, Status], None] | None = None,
) -> Status:
    """Validate and store ``objects``; return the complete status resource.

    A version already held (same id and version) is an idempotent success for
    its creator. Only the creator of an object (the organisation that added
    its first version here, or the peer link it was pulled through) may add
    versions of it; anyone else gets one and the same failure, whatever the
    creator's versions are. Unversioned objects (SCOs) are stored once per
    organisation. The status resource belongs to the viewer's organisation.

    ``source_peer`` names the peer the objects were pulled from (a viewer with
    account id 0 stands for no local account); ``pseudonym`` gives the
    pseudonymous creator the hub shows for an unattributed object, which a
    poster may name as ``created_by_ref``; ``audit_as`` records the write's
    audit event and ``in_same_transaction`` runs just before the commit, both
    in the write's transaction, so a peer's checkpoint is stored together with
    the objects it covers.
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
            check_reserved_marking(obj.data)
            recipients = _recipients(obj.data, identity_orgs)
            flag = obj.data.get(UNATTRIBUTED_PROPERTY)
            hidden = unattributed or viewer.unattributed_default or flag is True
            if source_peer is None and viewer.role != Role.PEER.value:
                _check_authorship(obj, viewer, hidden, pseudonym)
        except InvalidObjectError as exc:
            failures.append(_entry(raw, str(exc)))
            continue
        accepted.append(
            _Accepted(obj, recipients, hidden, _names_another_member(obj, viewer, identity_orgs))
        )
    withheld = _withheld_identities(viewer, accepted)

    source_peer = source_peer or _pushing_link(session, viewer)
    begin_write(session)
    poster = Holder(viewer.organisation_id, source_peer)
    # Relays (a peer link pulling, or another hub's peer account pushing)
    # bring back versions this hub already holds; those stay idempotent
    # successes so loops die out (DESIGN.md "Federation rules"). A pull's
    # status stays on this hub; a pushing hub is one the operator admitted.
    relay = source_peer is not None or viewer.role == Role.PEER.value
    first_tick = next_tick(lock_collection(session, access.collection.id))
    held = existing_versions(session, access.collection.id, sorted({a.obj.id for a in accepted}))
    new: list[_Accepted] = []
    for item in accepted:
        versions = held.setdefault(item.obj.id, [])
        version = item.obj.modified or item.obj.created
        shared = version is None
        if version is None:
            own = [
                h
                for h in versions
                if h.shared and h.owner_organisation_id == viewer.organisation_id
            ]
            if own:
                successes.append(_entry(item.obj.data, "already held", own[0].version))
                continue
            # Each organisation's copy of an SCO is its own version: the
            # date_added it gets below, never that of another's copy.
            version = first_tick + len(new) * TICK
        elif not _may_add(poster, versions, version, relay, item):
            failures.append(_entry(item.obj.data, not_creator_message(item.obj.id)))
            continue
        elif any(h.version == version for h in versions):
            # Only the creator gets here, or a relay, or a standard TLP
            # definition; a standard definition is the same content whoever
            # posted it first, so nothing is told about the first poster.
            message = None if is_standard_tlp(item.obj.data) else "already held"
            successes.append(_entry(item.obj.data, message, version))
            continue
        item.new = _new_version(viewer, access, item, version, source_peer)
        item.new.withheld = item.obj.id in withheld
        versions.append(HeldVersion(version, version, viewer.organisation_id, source_peer, shared))
        new.append(item)
        successes.append(_entry(item.obj.data, None, version))

    if new:
        rows = [item.new for item in new if item.new is not None]
        route_versions(session, access.collection, rows, [a.obj.data for a in accepted])
        append_versions(session, access.collection.id, rows, first=first_tick)
        index_new_versions(session, access.collection.id, rows, [i.obj.data for i in accepted])
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
    if audit_as is not None:
        audit.add_event(
            session,
            viewer,
            audit_as.action,
            collection_id=access.collection.id,
            object_count=len(successes),
            meta=audit_as.meta,
            detail=audit_as.detail,
        )
    if in_same_transaction is not None:
        in_same_transaction(session, status)
    session.commit()
    source = "peer" if source_peer else "local"
    metrics.OBJECTS_INGESTED.labels(source).inc(len(new))
    metrics.OBJECTS_REJECTED.labels(source).inc(len(failures))
    return status


def _may_add(
    poster: Holder,
    versions: list[HeldVersion],
    version: datetime,
    relay: bool,
    item: _Accepted,
) -> bool:
    """Whether ``poster`` may post ``version`` of an object with ``versions`` held here."""
    if is_standard_tlp(item.obj.data):
        return True  # the hub's own definitions: the same content from anyone
    if relay and any(h.version == version for h in versions):
        return True
    if item.foreign_identity:
        return False
    if not versions:
        return True
    first = versions[0]
    return may_version(poster, Holder(first.owner_organisation_id, first.source_peer))


def _pushing_link(session: Session, viewer: Viewer) -> str | None:
    """The peer link whose own account ``viewer`` is, when another hub pushes here.

    Its pushes and this hub's pulls from it are one link, hence one creator
    (DESIGN.md invariant 1), and its versions record where they came from.
    """
    if viewer.role != Role.PEER.value or not viewer.account_id:
        return None
    stmt = select(Peer.name).where(Peer.account_id == viewer.account_id).order_by(Peer.id)
    return session.scalar(stmt.limit(1))


def _check_authorship(
    obj: ValidatedObject,
    viewer: Viewer,
    unattributed: bool,
    pseudonym: Callable[[str], str] | None,
) -> None:
    """A locally posted object names its poster (or nobody) as creator."""
    allowed = [viewer.identity_id] if viewer.identity_id else []
    if unattributed and pseudonym is not None:
        allowed.append(pseudonym(obj.id))
    problem = authorship_error(obj.data, allowed)
    if problem is not None:
        raise InvalidObjectError(problem)


def _names_another_member(
    obj: ValidatedObject, viewer: Viewer, identity_orgs: dict[str, int]
) -> bool:
    """Whether ``obj`` is the identity object of a member other than the poster.

    A member's identity is the member's to publish: anyone else posting it
    first would own it and block the member's own reports.
    """
    owner = identity_orgs.get(obj.id) if obj.type == "identity" else None
    return owner is not None and owner != viewer.organisation_id


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


def _new_version(
    viewer: Viewer,
    access: CollectionAccess,
    item: _Accepted,
    version: datetime,
    source_peer: str | None,
) -> NewVersion:
    obj = item.obj
    tlp = object_tlp(obj.data)
    return NewVersion(
        collection_id=access.collection.id,
        stix_id=obj.id,
        type=obj.type,
        spec_version=obj.spec_version,
        created=obj.created,
        modified=obj.modified,
        version=version,
        document=obj.data,
        source_account_id=viewer.account_id or None,
        owner_organisation_id=viewer.organisation_id,
        source_peer=source_peer,
        tlp=None if tlp is None else int(tlp),
        unattributed=item.unattributed,
        recipients=item.recipients,
    )


def _identity_organisations(session: Session, objects: list[Any]) -> dict[str, int]:
    """Organisation ids for every member identity named as a recipient in ``objects``,
    or posted as an identity object."""
    wanted: set[str] = set()
    for raw in objects:
        if not isinstance(raw, dict):
            continue
        if isinstance(raw.get(RECIPIENTS_PROPERTY), list):
            wanted.update(
                r for r in raw[RECIPIENTS_PROPERTY] if isinstance(r, str) and storable_text(r)
            )
        stix_id = raw.get("id")
        if raw.get("type") == "identity" and isinstance(stix_id, str) and storable_text(stix_id):
            wanted.add(stix_id)
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
