"""Collections (TAXII 2.1 sections 5.1 and 5.2)."""

from __future__ import annotations

from typing import Any

from flask import Response

from federation.services.access.collections import CollectionAccess, collection_for, collections_for
from federation.taxii.blueprint import taxii, taxii_response
from federation.taxii.media import STIX_MEDIA_TYPE
from federation.web.auth import current_viewer
from federation.web.db import db_session


@taxii.get("/<root>/collections/")
def get_collections(root: str) -> Response:
    """The collections the caller may read or write."""
    accesses = collections_for(db_session(), current_viewer(), root)
    body: dict[str, Any] = {}
    if accesses:
        body["collections"] = [collection_resource(a) for a in accesses]
    return taxii_response(body)


@taxii.get("/<root>/collections/<collection_id>/")
def get_collection(root: str, collection_id: str) -> Response:
    """One collection, with the caller's own can_read and can_write."""
    access = collection_for(db_session(), current_viewer(), root, collection_id)
    return taxii_response(collection_resource(access))


def collection_resource(access: CollectionAccess) -> dict[str, Any]:
    """The TAXII collection resource (section 5.2.1)."""
    collection = access.collection
    body: dict[str, Any] = {
        "id": str(collection.id),
        "title": collection.title,
        "can_read": access.can_read,
        "can_write": access.can_write,
        "media_types": [STIX_MEDIA_TYPE],
    }
    if collection.description:
        body["description"] = collection.description
    if collection.alias:
        body["alias"] = collection.alias
    return body
