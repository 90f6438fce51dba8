"""API roots and collections, and what a viewer may do with them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from federation.domain.errors import ConflictError, NotFoundError, UnprocessableError
from federation.domain.roles import Sector
from federation.domain.tlp import Tlp
from federation.domain.visibility import Viewer, collection_permissions
from federation.services.access.accounts import organisation_named
from federation.services.transactions import commit_unique
from federation.storage.models import ApiRoot, Collection, CollectionGrant

ROOT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
TLP_CHOICES = ", ".join(level.label for level in Tlp)


@dataclass(frozen=True, slots=True)
class CollectionAccess:
    """A collection as one viewer sees it."""

    collection: Collection
    can_read: bool
    can_write: bool

    @property
    def default_tlp(self) -> Tlp:
        return Tlp.parse(self.collection.default_tlp)


def add_api_root(session: Session, name: str, title: str, description: str = "") -> ApiRoot:
    """Create an API root served at ``/taxii2/<name>/``."""
    if not ROOT_NAME.match(name):
        raise UnprocessableError(
            "API root names are lower-case letters, digits, '-' and '_' (up to 100)"
        )
    root = ApiRoot(name=name, title=title.strip() or name, description=description)
    session.add(root)
    commit_unique(session, f"an API root named {name!r} already exists")
    return root


def add_collection(
    session: Session,
    *,
    root: str,
    title: str,
    collection_id: uuid.UUID | None = None,
    description: str = "",
    alias: str | None = None,
    read: str = "*",
    write: str = "",
    default_tlp: str = "amber",
) -> Collection:
    """Create a collection with read and write grants.

    ``read`` and ``write`` are comma-separated lists of organisation names,
    ``sector:S``, ``group:G`` or ``*``.
    """
    api_root = api_root_named(session, root)
    tlp = tlp_choice(default_tlp)
    title = title.strip() or "untitled"
    taken = title_taken(session, api_root, title)
    if taken is not None:
        raise ConflictError(
            f"API root {root!r} already has a collection titled {title!r} ({taken})"
        )
    grants = [
        CollectionGrant(access=access, subject=subject)
        for access, who in (("read", read), ("write", write))
        for subject in parse_grantees(session, who)
    ]
    collection = Collection(
        id=collection_id or uuid.uuid4(),
        api_root=api_root,
        title=title,
        description=description,
        alias=alias,
        default_tlp=tlp.label,
        grants=grants,
    )
    session.add(collection)
    commit_unique(
        session, f"a collection with id {collection.id} or title {title!r} already exists"
    )
    return collection


def title_taken(session: Session, root: ApiRoot, title: str) -> uuid.UUID | None:
    """The id of the collection titled ``title`` in ``root``, if there is one."""
    return session.scalar(
        select(Collection.id).where(Collection.api_root_id == root.id, Collection.title == title)
    )


def tlp_choice(value: str) -> Tlp:
    """The TLP level ``value`` names, or a 422 that lists the levels to choose from."""
    try:
        return Tlp.parse(value)
    except ValueError as exc:
        raise UnprocessableError(
            f"{exc}; choose one of: {TLP_CHOICES}",
            details={"default_tlp": [f"Must be one of: {TLP_CHOICES}."]},
        ) from None


def parse_grantees(session: Session, who: str) -> list[str]:
    """Turn ``org-name,sector:isp,group:g,*`` into stored grant subjects."""
    subjects: list[str] = []
    for raw in who.split(","):
        item = raw.strip()
        if not item:
            continue
        if item == "*":
            subjects.append("*")
        elif item.startswith("sector:"):
            sector = item.removeprefix("sector:")
            if sector not in {s.value for s in Sector}:
                choices = ", ".join(s.value for s in Sector)
                raise UnprocessableError(
                    f"unknown sector {sector[:40]!r}; choose one of: {choices}"
                )
            subjects.append(item)
        elif item.startswith("group:"):
            if not item.removeprefix("group:"):
                raise UnprocessableError("a group grant needs a group name")
            subjects.append(item)
        else:
            subjects.append(f"org:{organisation_named(session, item).id}")
    return sorted(set(subjects))


def api_root_named(session: Session, name: str) -> ApiRoot:
    """The API root called ``name`` or :class:`NotFoundError`."""
    root = session.scalar(select(ApiRoot).where(ApiRoot.name == name))
    if root is None:
        raise NotFoundError(f"no API root named {name[:100]!r}")
    return root


def list_api_roots(session: Session) -> list[ApiRoot]:
    """Every API root, oldest first."""
    return list(session.scalars(select(ApiRoot).order_by(ApiRoot.id)))


def access_for(viewer: Viewer, collection: Collection) -> CollectionAccess:
    """What ``viewer`` may do with ``collection`` (the rule is
    :func:`federation.domain.visibility.collection_permissions`)."""
    allowed = collection_permissions(viewer, ((g.access, g.subject) for g in collection.grants))
    return CollectionAccess(collection, can_read=allowed.can_read, can_write=allowed.can_write)


def collections_for(session: Session, viewer: Viewer, root: str) -> list[CollectionAccess]:
    """The collections of an API root that ``viewer`` may read or write."""
    api_root = api_root_named(session, root)
    stmt = (
        select(Collection)
        .where(Collection.api_root_id == api_root.id)
        .options(selectinload(Collection.grants))
        .order_by(Collection.created_at, Collection.title)
    )
    accesses = [access_for(viewer, c) for c in session.scalars(stmt)]
    return [a for a in accesses if a.can_read or a.can_write]


def collection_for(session: Session, viewer: Viewer, root: str, key: str) -> CollectionAccess:
    """One collection (by id or alias) as ``viewer`` sees it.

    A collection the viewer may neither read nor write is reported absent, like
    one that does not exist.
    """
    api_root = api_root_named(session, root)
    stmt = select(Collection).where(Collection.api_root_id == api_root.id)
    try:
        stmt = stmt.where(Collection.id == uuid.UUID(key))
    except ValueError:
        stmt = stmt.where(Collection.alias == key)
    collection = session.scalar(stmt.options(selectinload(Collection.grants)))
    if collection is not None:
        access = access_for(viewer, collection)
        if access.can_read or access.can_write:
            return access
    raise NotFoundError(f"no collection {key[:100]!r} in API root {root!r}")


def find_collection(session: Session, key: str) -> Collection:
    """A collection by id or alias, for operators (no viewer involved)."""
    stmt = select(Collection)
    try:
        stmt = stmt.where(Collection.id == uuid.UUID(key))
    except ValueError:
        stmt = stmt.where(Collection.alias == key)
    collection = session.scalar(stmt)
    if collection is None:
        raise NotFoundError(f"no collection {key[:100]!r}")
    return collection
