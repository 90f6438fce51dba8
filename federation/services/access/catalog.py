"""API roots and collections as hub admins manage them (CLI and REST).

Only hub admins list, create, change and remove them; everyone else reads
collections through TAXII, where :mod:`federation.services.access.collections`
decides what each viewer sees. Each function that changes something owns one
transaction: the change and its audit event commit together, or neither does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from federation.domain.errors import ConflictError, NotFoundError, UnprocessableError
from federation.domain.stewardship import require_hub_admin
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.services.access.collections import (
    ROOT_NAME,
    api_root_named,
    parse_grantees,
    title_taken,
    tlp_choice,
)
from federation.services.transactions import flush_unique
from federation.storage.database import begin_write
from federation.storage.models import (
    ApiRoot,
    Collection,
    CollectionGrant,
    ObjectVersion,
    Organisation,
    Peer,
)

WHAT = "manage API roots and collections"


@dataclass(frozen=True, slots=True)
class ApiRootInfo:
    name: str
    title: str
    description: str
    collections: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """A collection as its operator sees it: grants by organisation name."""

    id: uuid.UUID
    root: str
    title: str
    description: str
    alias: str | None
    default_tlp: str
    read: tuple[str, ...]
    write: tuple[str, ...]
    objects: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RootChanges:
    """A partial update of an API root; ``None`` leaves a field as it is."""

    title: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CollectionChanges:
    """A partial update of a collection; ``None`` leaves a field as it is.

    ``read`` and ``write`` replace the grants whole (the forms of ``collection add``);
    an empty ``alias`` removes it.
    """

    title: str | None = None
    description: str | None = None
    alias: str | None = None
    default_tlp: str | None = None
    read: str | None = None
    write: str | None = None


def list_roots(session: Session, viewer: Viewer) -> list[ApiRootInfo]:
    """Every API root, oldest first, with how many collections it holds."""
    require_hub_admin(viewer, WHAT)
    counts = dict(
        session.execute(
            select(Collection.api_root_id, func.count()).group_by(Collection.api_root_id)
        ).all()
    )
    roots = session.scalars(select(ApiRoot).order_by(ApiRoot.id))
    return [_root_info(root, counts.get(root.id, 0)) for root in roots]


def get_root(session: Session, viewer: Viewer, name: str) -> ApiRootInfo:
    require_hub_admin(viewer, WHAT)
    root = api_root_named(session, name)
    return _root_info(root, _collection_count(session, root))


def create_root(
    session: Session,
    viewer: Viewer,
    *,
    name: str,
    title: str,
    description: str = "",
    meta: audit.RequestMeta | None = None,
) -> ApiRootInfo:
    """Create an API root served at ``/taxii2/<name>/``."""
    require_hub_admin(viewer, WHAT)
    if not ROOT_NAME.match(name):
        raise UnprocessableError(
            "API root names are lower-case letters, digits, '-' and '_' (up to 100)",
            details={"name": ["Lower-case letters, digits, '-' and '_' (up to 100)."]},
        )
    begin_write(session)
    root = ApiRoot(name=name, title=title.strip() or name, description=description)
    session.add(root)
    flush_unique(session, f"an API root named {name!r} already exists")
    audit.record(session, viewer, "admin.root.create", meta=meta, detail=f"API root {name!r}")
    return _root_info(root, 0)


def update_root(
    session: Session,
    viewer: Viewer,
    name: str,
    changes: RootChanges,
    meta: audit.RequestMeta | None = None,
) -> ApiRootInfo:
    """Change an API root's title or description (its name is in every client's URL)."""
    require_hub_admin(viewer, WHAT)
    begin_write(session)
    root = api_root_named(session, name)
    changed = []
    if changes.title is not None:
        root.title = changes.title.strip() or root.name
        changed.append("title")
    if changes.description is not None:
        root.description = changes.description
        changed.append("description")
    audit.record(
        session,
        viewer,
        "admin.root.update",
        meta=meta,
        detail=f"API root {name!r}: {', '.join(changed) or 'nothing'} changed",
    )
    return _root_info(root, _collection_count(session, root))


def delete_root(
    session: Session, viewer: Viewer, name: str, meta: audit.RequestMeta | None = None
) -> None:
    """Remove an empty API root; one that still holds collections is a conflict."""
    require_hub_admin(viewer, WHAT)
    begin_write(session)
    root = api_root_named(session, name)
    held = _collection_count(session, root)
    if held:
        session.rollback()
        raise ConflictError(
            f"API root {name!r} still holds {held} collection(s); remove them first"
        )
    session.delete(root)
    audit.record(session, viewer, "admin.root.delete", meta=meta, detail=f"API root {name!r}")


def list_collections(
    session: Session, viewer: Viewer, root: str | None = None
) -> list[CollectionInfo]:
    """Every collection, or one API root's, by root then age."""
    require_hub_admin(viewer, WHAT)
    stmt = (
        select(Collection)
        .join(ApiRoot)
        .options(selectinload(Collection.grants), selectinload(Collection.api_root))
        .order_by(ApiRoot.id, Collection.created_at, Collection.title)
    )
    if root is not None:
        stmt = stmt.where(Collection.api_root_id == api_root_named(session, root).id)
    found = list(session.scalars(stmt))
    counts = _object_counts(session, [c.id for c in found])
    names = _organisation_names(session)
    return [_collection_info(c, counts.get(c.id, 0), names) for c in found]


def get_collection(session: Session, viewer: Viewer, key: str) -> CollectionInfo:
    """One collection by id or alias."""
    require_hub_admin(viewer, WHAT)
    collection = _collection(session, key)
    return _info(session, collection)


def create_collection(
    session: Session,
    viewer: Viewer,
    *,
    root: str,
    title: str,
    collection_id: uuid.UUID | None = None,
    description: str = "",
    alias: str | None = None,
    read: str = "*",
    write: str = "",
    default_tlp: str = "amber",
    meta: audit.RequestMeta | None = None,
) -> CollectionInfo:
    """Create a collection; its title must be new in its API root.

    ``read`` and ``write`` are comma-separated lists of organisation names,
    ``sector:S``, ``group:G`` or ``*``.
    """
    require_hub_admin(viewer, WHAT)
    tlp = tlp_choice(default_tlp)
    begin_write(session)
    api_root = api_root_named(session, root)
    title = _title(title)
    _check_title_free(session, api_root, title)
    if collection_id is not None and session.get(Collection, collection_id) is not None:
        session.rollback()
        raise ConflictError(f"a collection with id {collection_id} already exists")
    if alias:
        _check_alias_free(session, alias)
    collection = Collection(
        id=collection_id or uuid.uuid4(),
        api_root=api_root,
        title=title,
        description=description,
        alias=alias or None,
        default_tlp=tlp.label,
        grants=_grants(session, read, write),
    )
    session.add(collection)
    flush_unique(session, f"API root {root!r} already has a collection titled {title!r}")
    audit.record(
        session,
        viewer,
        "admin.collection.create",
        collection_id=collection.id,
        meta=meta,
        detail=f"collection {title!r} in API root {root!r}",
    )
    return _info(session, collection)


def update_collection(
    session: Session,
    viewer: Viewer,
    key: str,
    changes: CollectionChanges,
    meta: audit.RequestMeta | None = None,
) -> CollectionInfo:
    """Change a collection's title, description, alias, default TLP or grants."""
    require_hub_admin(viewer, WHAT)
    tlp = tlp_choice(changes.default_tlp) if changes.default_tlp is not None else None
    begin_write(session)
    collection = _collection(session, key)
    changed = []
    if changes.title is not None:
        title = _title(changes.title)
        if title != collection.title:
            _check_title_free(session, collection.api_root, title)
        collection.title = title
        changed.append("title")
    if changes.description is not None:
        collection.description = changes.description
        changed.append("description")
    if changes.alias is not None:
        if changes.alias and changes.alias != collection.alias:
            _check_alias_free(session, changes.alias)
        collection.alias = changes.alias or None
        changed.append("alias")
    if tlp is not None:
        collection.default_tlp = tlp.label
        changed.append("default_tlp")
    for access, who in (("read", changes.read), ("write", changes.write)):
        if who is not None:
            _replace_grants(session, collection, access, set(parse_grantees(session, who)))
            changed.append(access)
    flush_unique(session, f"that title or alias is taken (collection {key!r})")
    audit.record(
        session,
        viewer,
        "admin.collection.update",
        collection_id=collection.id,
        meta=meta,
        detail=f"collection {collection.title!r}: {', '.join(changed) or 'nothing'} changed",
    )
    return _info(session, collection)


def delete_collection(
    session: Session, viewer: Viewer, key: str, meta: audit.RequestMeta | None = None
) -> None:
    """Remove an empty collection that no peer links to.

    Objects are never dropped as a side effect (DESIGN.md invariant 7): a
    collection that holds any, or that a peer link pairs with, is a conflict.
    """
    require_hub_admin(viewer, WHAT)
    begin_write(session)
    collection = _collection(session, key)
    held = _object_counts(session, [collection.id]).get(collection.id, 0)
    links = list(
        session.scalars(select(Peer.name).where(Peer.local_collection_id == collection.id))
    )
    if held or links:
        session.rollback()
        reasons = [f"it holds {held} object version(s)"] if held else []
        if links:
            reasons.append(f"peer(s) {', '.join(sorted(links))} link to it")
        raise ConflictError(f"collection {key!r} cannot be removed: {'; '.join(reasons)}")
    collection_id, title = collection.id, collection.title
    session.delete(collection)
    audit.record(
        session,
        viewer,
        "admin.collection.delete",
        meta=meta,
        detail=f"collection {title!r} ({collection_id})",
    )


def _root_info(root: ApiRoot, collections: int) -> ApiRootInfo:
    return ApiRootInfo(root.name, root.title, root.description, collections, root.created_at)


def _collection_count(session: Session, root: ApiRoot) -> int:
    count = session.scalar(
        select(func.count()).select_from(Collection).where(Collection.api_root_id == root.id)
    )
    return int(count or 0)


def _collection(session: Session, key: str) -> Collection:
    stmt = select(Collection).options(selectinload(Collection.grants))
    try:
        stmt = stmt.where(Collection.id == uuid.UUID(key))
    except ValueError:
        stmt = stmt.where(Collection.alias == key)
    collection = session.scalar(stmt)
    if collection is None:
        raise NotFoundError(f"no collection {key[:100]!r}")
    return collection


def _title(value: str) -> str:
    title = value.strip()
    if not title or len(title) > 200:
        raise UnprocessableError(
            "a collection title is 1 to 200 characters",
            details={"title": ["1 to 200 characters."]},
        )
    return title


def _check_title_free(session: Session, root: ApiRoot, title: str) -> None:
    taken = title_taken(session, root, title)
    if taken is not None:
        session.rollback()
        raise ConflictError(
            f"API root {root.name!r} already has a collection titled {title!r} ({taken})"
        )


def _check_alias_free(session: Session, alias: str) -> None:
    # Operators and peer links find collections by alias across every root.
    taken = session.scalar(select(Collection.id).where(Collection.alias == alias))
    if taken is not None:
        session.rollback()
        raise ConflictError(f"the alias {alias!r} is taken by collection {taken}")


def _grants(session: Session, read: str, write: str) -> list[CollectionGrant]:
    return [
        CollectionGrant(access=access, subject=subject)
        for access, who in (("read", read), ("write", write))
        for subject in parse_grantees(session, who)
    ]


def _replace_grants(
    session: Session, collection: Collection, access: str, subjects: set[str]
) -> None:
    # Grants kept stay as rows: deleting and re-adding one in a single flush
    # would meet the unique constraint before the delete.
    for grant in [g for g in collection.grants if g.access == access]:
        if grant.subject in subjects:
            subjects.discard(grant.subject)
        else:
            collection.grants.remove(grant)
    session.flush()
    collection.grants.extend(
        CollectionGrant(access=access, subject=subject) for subject in sorted(subjects)
    )


def _object_counts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(ObjectVersion.collection_id, func.count())
        .where(ObjectVersion.collection_id.in_(ids))
        .group_by(ObjectVersion.collection_id)
    )
    return {collection_id: int(count) for collection_id, count in rows.all()}


def _organisation_names(session: Session) -> dict[str, str]:
    return {
        f"org:{org_id}": name
        for org_id, name in session.execute(select(Organisation.id, Organisation.name)).all()
    }


def _info(session: Session, collection: Collection) -> CollectionInfo:
    counts = _object_counts(session, [collection.id])
    return _collection_info(collection, counts.get(collection.id, 0), _organisation_names(session))


def _collection_info(collection: Collection, objects: int, names: dict[str, str]) -> CollectionInfo:
    def who(access: str) -> tuple[str, ...]:
        # Grants are stored by organisation id; operators gave and read names.
        return tuple(
            sorted(names.get(g.subject, g.subject) for g in collection.grants if g.access == access)
        )

    return CollectionInfo(
        id=collection.id,
        root=collection.api_root.name,
        title=collection.title,
        description=collection.description,
        alias=collection.alias,
        default_tlp=Tlp.parse(collection.default_tlp).label,
        read=who("read"),
        write=who("write"),
        objects=objects,
        created_at=collection.created_at,
    )
