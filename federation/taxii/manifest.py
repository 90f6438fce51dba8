"""Object manifests (Get Object Manifests, TAXII 2.1 section 5.3)."""

from __future__ import annotations

from flask import Response

from federation.domain.filters import format_date_added
from federation.services.access.collections import collection_for
from federation.services.objects import query
from federation.taxii.blueprint import taxii, taxii_response
from federation.taxii.media import STIX_MEDIA_TYPE
from federation.taxii.paging import OBJECTS_PARAMS, date_headers, page_envelope, parse_request_query
from federation.web.audit import audit_read
from federation.web.auth import current_viewer
from federation.web.db import db_session


@taxii.get("/<root>/collections/<collection_id>/manifest/")
def get_manifest(root: str, collection_id: str) -> Response:
    """Manifest records for the objects the caller may see (Get Object Manifests, section 5.3)."""
    filters = parse_request_query(OBJECTS_PARAMS)
    session, viewer = db_session(), current_viewer()
    access = collection_for(session, viewer, root, collection_id)
    page = query.get_manifest(session, viewer, access, filters)
    audit_read("taxii.get_manifest", access.collection.id, page.rows)
    records = [
        {
            "id": row.stix_id,
            "date_added": format_date_added(row.date_added),
            "version": query.version_label(row),
            "media_type": STIX_MEDIA_TYPE,
        }
        for row in page.rows
    ]
    return taxii_response(page_envelope(page, "objects", records), headers=date_headers(page))
