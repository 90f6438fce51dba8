"""Objects: get, add, get one, delete one, versions (TAXII 2.1 sections 5.4-5.8)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, json, request

from federation.domain.errors import BadRequestError, UnprocessableError
from federation.services.access.collections import collection_for
from federation.services.objects import ingest, query
from federation.services.objects.present import present, pseudonym
from federation.stix.versions import STIX20_MESSAGE, stix20_reason
from federation.taxii.blueprint import taxii, taxii_response
from federation.taxii.paging import (
    DELETE_PARAMS,
    OBJECT_PARAMS,
    OBJECTS_PARAMS,
    VERSIONS_PARAMS,
    date_headers,
    page_envelope,
    parse_request_query,
)
from federation.taxii.status import status_resource
from federation.web.audit import audit_read, request_meta
from federation.web.auth import current_viewer
from federation.web.db import db_session

OBJECTS = "/<root>/collections/<collection_id>/objects/"


@taxii.get(OBJECTS)
def get_objects(root: str, collection_id: str) -> Response:
    """A page of the collection's objects the caller may see (Get Objects, section 5.4)."""
    filters = parse_request_query(OBJECTS_PARAMS)
    session, viewer = db_session(), current_viewer()
    access = collection_for(session, viewer, root, collection_id)
    page = query.get_objects(session, viewer, access, filters)
    documents = present(session, viewer, page.rows, current_app.config["SECRET_KEY"])
    audit_read("taxii.get_objects", access.collection.id, page.rows)
    body = page_envelope(page, "objects", documents)
    return taxii_response(body, headers=date_headers(page))


@taxii.post(OBJECTS)
def add_objects(root: str, collection_id: str) -> Response:
    """Add an envelope of objects; each succeeds or fails on its own (Add Objects, section 5.5).

    The write and its audit event commit together.
    """
    if request.args:
        raise BadRequestError("adding objects takes no query parameters")
    session, viewer = db_session(), current_viewer()
    access = collection_for(session, viewer, root, collection_id)
    objects = _envelope_objects(request.get_data())
    secret_key = current_app.config["SECRET_KEY"]
    status = ingest.add_objects(
        session,
        viewer,
        access,
        objects,
        pseudonym=lambda stix_id: pseudonym(secret_key, stix_id),
        audit_as=ingest.AuditAs("taxii.add_objects", request_meta()),
    )
    return taxii_response(status_resource(status), status=202)


@taxii.get(OBJECTS + "<object_id>/")
def get_object(root: str, collection_id: str, object_id: str) -> Response:
    """The matching versions of one object (Get An Object, section 5.6)."""
    filters = parse_request_query(OBJECT_PARAMS)
    session, viewer = db_session(), current_viewer()
    access = collection_for(session, viewer, root, collection_id)
    page = query.get_object(session, viewer, access, object_id, filters)
    documents = present(session, viewer, page.rows, current_app.config["SECRET_KEY"])
    audit_read("taxii.get_object", access.collection.id, page.rows)
    body = page_envelope(page, "objects", documents)
    return taxii_response(body, headers=date_headers(page))


@taxii.delete(OBJECTS + "<object_id>/")
def delete_object(root: str, collection_id: str, object_id: str) -> Response:
    """Delete the matching versions of one object from this hub (Delete An Object, section 5.7)."""
    filters = parse_request_query(DELETE_PARAMS, default_version="all")
    session, viewer = db_session(), current_viewer()
    access = collection_for(session, viewer, root, collection_id)
    query.delete_object(
        session,
        viewer,
        access,
        object_id,
        filters,
        audit_as="taxii.delete_object",
        meta=request_meta(),
    )
    return taxii_response({})


@taxii.get(OBJECTS + "<object_id>/versions/")
def get_object_versions(root: str, collection_id: str, object_id: str) -> Response:
    """The versions of one object, oldest first (Get Object Versions, section 5.8)."""
    filters = parse_request_query(VERSIONS_PARAMS, default_version="all")
    session, viewer = db_session(), current_viewer()
    access = collection_for(session, viewer, root, collection_id)
    page = query.get_versions(session, viewer, access, object_id, filters)
    audit_read("taxii.get_object_versions", access.collection.id, page.rows)
    body = page_envelope(page, "versions", [query.version_label(row) for row in page.rows])
    return taxii_response(body, headers=date_headers(page))


def _envelope_objects(raw: bytes) -> list[Any]:
    """The ``objects`` of a TAXII envelope; a body that is no envelope is refused whole."""
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except ValueError as exc:
        raise BadRequestError(f"the body is not valid JSON: {str(exc)[:120]}") from None
    except RecursionError:
        # A few kilobytes of "[[[[..." exhaust the decoder's recursion limit.
        raise BadRequestError("the body's JSON is nested too deeply") from None
    if not isinstance(body, dict):
        raise UnprocessableError("the body must be a TAXII envelope: an object with 'objects'")
    objects = body.get("objects")
    if not isinstance(objects, list):
        raise UnprocessableError("the envelope's 'objects' must be a list of STIX objects")
    if not objects:
        raise UnprocessableError("the envelope holds no objects")
    reason = stix20_reason(body, objects)
    if reason is not None:
        raise UnprocessableError(STIX20_MESSAGE.format(reason=reason))
    return objects


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
