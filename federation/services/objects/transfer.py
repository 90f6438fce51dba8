"""Bulk import and export of STIX bundles, for operators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from federation.domain.errors import UnprocessableError
from federation.domain.filters import ObjectQuery, VersionFilter
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.services.access.collections import CollectionAccess
from federation.services.objects.ingest import AuditAs, add_objects
from federation.services.objects.present import present
from federation.services.objects.query import get_objects
from federation.stix.versions import STIX20_MESSAGE, stix20_reason
from federation.storage.models import Collection


def bundle_objects(document: Any) -> list[Any]:
    """The objects of a STIX 2.1 bundle, a TAXII envelope or a bare list.

    A STIX 2.0 bundle is refused whole (``UnprocessableError``), never half-imported.
    """
    if isinstance(document, list):
        objects, container = document, {}
    elif isinstance(document, dict) and isinstance(document.get("objects"), list):
        objects, container = list(document["objects"]), document
    else:
        raise UnprocessableError("expected a STIX bundle or TAXII envelope with an 'objects' list")
    reason = stix20_reason(container, objects)
    if reason is not None:
        raise UnprocessableError(STIX20_MESSAGE.format(reason=reason))
    return objects


def import_objects(
    session: Session,
    viewer: Viewer,
    collection: Collection,
    objects: list[Any],
    *,
    chunk: int = 500,
    progress: Callable[[int], None] = lambda _n: None,
) -> tuple[int, int, list[dict[str, Any]]]:
    """Add ``objects`` in chunks; returns (successes, failures, failure entries).

    Each chunk is one transaction with its own ``cli.import`` audit event, so
    what is stored is always audited and nothing unstored is.
    """
    access = CollectionAccess(collection, can_read=True, can_write=True)
    ok = failed = 0
    failures: list[dict[str, Any]] = []
    for start in range(0, len(objects), chunk):
        part = objects[start : start + chunk]
        status = add_objects(session, viewer, access, part, audit_as=AuditAs("cli.import"))
        ok += status.success_count
        failed += status.failure_count
        failures.extend(status.failures)
        progress(len(part))
    return ok, failed, failures


def export_objects(
    session: Session,
    viewer: Viewer,
    collection: Collection,
    secret_key: str,
    *,
    page_size: int = 1000,
) -> Iterator[dict[str, Any]]:
    """Every version of the collection that ``viewer`` may see, as they may see it.

    Each page goes through the same visibility rule, pseudonyms and audit log
    as a TAXII read.
    """
    access = CollectionAccess(collection, can_read=True, can_write=False)
    query = ObjectQuery(limit=page_size, versions=VersionFilter(all=True))
    while True:
        page = get_objects(session, viewer, access, query)
        documents = present(session, viewer, page.rows, secret_key)
        audit.record_read(session, viewer, "cli.export", collection.id, page.rows)
        yield from documents
        if not page.more or page.last_added is None:
            return
        query = ObjectQuery(
            limit=page_size, after_cursor=page.last_added, versions=VersionFilter(all=True)
        )
