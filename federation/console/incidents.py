"""Incident pages: the list with REST's filters, one incident in full, the
report form, and notes (DESIGN.md: ``/incidents``, ``/incidents/<STIX id>``,
``/incidents/new``).

Input is shaped by the REST API's own schemas and the pages call the same
services, so a page never accepts, stores or shows anything REST would not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from federation.api.incident_schemas import (
    IncidentCreateSchema,
    IncidentQuerySchema,
    NoteCreateSchema,
)
from federation.api.incidents import detail, incident_filter, summary
from federation.console.blueprint import console, secret_key, viewer
from federation.domain.cursors import encode_cursor
from federation.domain.errors import UnprocessableError
from federation.domain.incidents import (
    CATEGORIES,
    INDICATOR_KINDS,
    INVESTIGATION_STATUSES,
)
from federation.domain.roles import Sector
from federation.domain.tlp import Tlp
from federation.domain.vocabulary import ROLES
from federation.services.access.collections import collections_for, list_api_roots
from federation.services.incidents import followup, reads, reports
from federation.services.incidents.reports import Incident
from federation.services.objects.ingest import AuditAs
from federation.web.audit import audit_read, audit_write, request_meta
from federation.web.db import db_session

INDICATOR_ROWS = 5
_FILTERS = ("q", "category", "investigation_status", "tlp", "sector", "ip", "asn", "since", "until")


def choices() -> dict[str, Any]:
    """The closed lists the forms offer."""
    return {
        "categories": CATEGORIES,
        "statuses": INVESTIGATION_STATUSES,
        "tlps": [t.label for t in Tlp],
        "sectors": [*(s.value for s in Sector), "unattributed"],
        "kinds": INDICATOR_KINDS,
        "roles": ROLES,
    }


@console.get("/incidents")
def incident_list() -> tuple[str, int]:
    given = {k: v.strip() for k, v in request.args.items() if k in (*_FILTERS, "cursor")}
    given = {k: v for k, v in given.items() if v}
    errors: dict[str, list[str]] = {}
    try:
        query = IncidentQuerySchema().load(given)
    except ValidationError as exc:
        errors = _flat(exc.messages)
        query = {"limit": 50}
    wanted = incident_filter(query)
    page = reports.list_incidents(db_session(), viewer(), wanted, query["limit"], secret_key())
    audit_write("console.list_incidents", None, len(page.incidents))
    filters = {k: v for k, v in given.items() if k != "cursor"}
    next_url = (
        url_for(
            "console.incident_list", **cast(Any, {**filters, "cursor": encode_cursor(*page.next)})
        )
        if page.next
        else None
    )
    body = render_template(
        "incidents/list.html",
        incidents=[summary(i) for i in page.incidents],
        filters=filters,
        errors=errors,
        next_url=next_url,
        **choices(),
    )
    return body, 400 if errors else 200


@console.get("/incidents/new")
def new_incident() -> str:
    return render_template(
        "incidents/new.html",
        form={"tlp": "amber", "collection": ""},
        rows=[{} for _ in range(INDICATOR_ROWS)],
        errors={},
        collections=_writable_collections(),
        **choices(),
    )


@console.post("/incidents/new")
def report_incident() -> ResponseReturnValue:
    form = request.form
    report, rows, positions = _report_from(form)
    errors: dict[str, list[str]] = {}
    try:
        loaded = IncidentCreateSchema().load(report)
        stix_id = reports.create_incident(
            db_session(),
            viewer(),
            loaded,
            secret_key(),
            audit_as=AuditAs("console.create_incident", request_meta()),
        )
    except ValidationError as exc:
        errors = _flat(exc.messages)
    except UnprocessableError as exc:
        errors = _flat(exc.details or {"_form": [exc.description]})
    if errors:
        body = render_template(
            "incidents/new.html",
            form=form,
            rows=rows,
            errors=_row_errors(errors, positions),
            collections=_writable_collections(),
            **choices(),
        )
        return body, 422
    return redirect(url_for("console.incident_detail", incident_id=stix_id, created=1))


@console.get("/incidents/<incident_id>")
def incident_detail(incident_id: str) -> str:
    incident = reads.get_incident(db_session(), viewer(), incident_id, secret_key())
    _audit_read("console.get_incident", incident)
    return render_template(
        "incidents/detail.html",
        incident=detail(incident),
        created=request.args.get("created") == "1",
        note={},
        errors={},
    )


@console.get("/incidents/<incident_id>/stix")
def incident_stix(incident_id: str) -> Response:
    incident, bundle = reads.incident_bundle(db_session(), viewer(), incident_id, secret_key())
    _audit_read("console.get_incident_stix", incident)
    response = Response(json.dumps(bundle, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{incident.row.stix_id}.json"'
    return response


@console.post("/incidents/<incident_id>/notes")
def add_note(incident_id: str) -> ResponseReturnValue:
    session, person = db_session(), viewer()
    # An incident the person cannot see is a 404 whatever the form says.
    target = followup.find_target(session, person, incident_id, secret_key())
    note = {"content": request.form.get("content", "")}
    if request.form.get("abstract", "").strip():
        note["abstract"] = request.form["abstract"].strip()
    note_body: dict[str, Any] = {**note, "unattributed": "unattributed" in request.form}
    try:
        loaded = NoteCreateSchema().load(note_body)
        followup.add_note(
            session,
            person,
            target,
            loaded,
            secret_key(),
            audit_as=AuditAs("console.add_note", request_meta()),
        )
    except ValidationError as exc:
        incident = reads.get_incident(session, person, incident_id, secret_key())
        body = render_template(
            "incidents/detail.html",
            incident=detail(incident),
            created=False,
            note=request.form,
            errors=_flat(exc.messages),
        )
        return body, 422
    return redirect(url_for("console.incident_detail", incident_id=incident_id, _anchor="notes"))


def _audit_read(action: str, incident: Incident) -> None:
    rows = [incident.stored] if incident.stored is not None else []
    audit_read(action, incident.row.collection_id, rows)


def _writable_collections() -> list[dict[str, str]]:
    session, person = db_session(), viewer()
    found = []
    for root in list_api_roots(session):
        for access in collections_for(session, person, root.name):
            if access.can_write:
                collection = access.collection
                found.append({"id": str(collection.id), "title": collection.title})
    return found


def _report_from(
    form: Mapping[str, str],
) -> tuple[dict[str, Any], list[dict[str, str]], list[int]]:
    """The REST body the form stands for, its indicator rows as typed, and the
    row each sent indicator came from (blank rows are not sent)."""
    report: dict[str, Any] = {
        "title": form.get("title", ""),
        "category": form.get("category", ""),
        "description": form.get("description", ""),
        "tlp": form.get("tlp", ""),
        "collection": form.get("collection", ""),
        "unattributed": "unattributed" in form,
    }
    for key in ("first_seen", "last_seen"):
        value = form.get(key, "").strip()
        if value:
            # A datetime-local field has no zone; the form says times are UTC.
            report[key] = value if value.endswith("Z") or "+" in value else f"{value}Z"
        elif key == "first_seen":
            report[key] = ""
    recipients = [r.strip() for r in form.get("recipients", "").split(",") if r.strip()]
    if recipients:
        report["recipients"] = recipients
    rows = []
    positions = []
    indicators = []
    for i in range(INDICATOR_ROWS):
        row = {
            "type": form.get(f"indicators-{i}-type", ""),
            "value": form.get(f"indicators-{i}-value", "").strip(),
            "role": form.get(f"indicators-{i}-role", ""),
        }
        rows.append(row)
        if row["value"]:
            indicators.append(row)
            positions.append(i)
    report["indicators"] = indicators
    return report, rows, positions


def _row_errors(errors: dict[str, list[str]], positions: list[int]) -> dict[str, list[str]]:
    """Errors named after the form's fields: indicator n of the body is row
    ``positions[n]`` of the form."""
    named: dict[str, list[str]] = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] == "indicators" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            row = positions[index] if index < len(positions) else index
            field = parts[2] if len(parts) > 2 else "value"
            key = f"indicators-{row}-{field}"
        named.setdefault(key, []).extend(messages)
    return named


def _flat(messages: Mapping[str, Any] | list[Any], prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"a.0.b": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list):
        flat[prefix or "_form"] = [str(m) for m in messages]
        return flat
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping | list) and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            flat.update(_flat(value, name))
        else:
            flat[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return flat
