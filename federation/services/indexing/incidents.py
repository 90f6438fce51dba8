"""Index rows for incidents, written by ingest for every source (REST, TAXII, peers).

Called once per add-objects request, inside its transaction, after the new
versions are stored: an incident posted as raw STIX over TAXII is listed by
the REST API exactly like one built by ``POST /api/v1/incidents``.

The values an incident is found by come from the objects of the same request
that relate to it (relationships to or from it, the indicators and observables
at their other end, observables an indicator is based on), and from nothing
else: never from earlier versions, which the poster, or a later reader, may
not be allowed to see. Readers get the union over the versions they may see
(``federation.storage.incidents``), so a follow-up that only adds indicators
keeps the old ones for everyone who saw them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from federation.domain.incidents import (
    IndexedValue,
    category_of,
    incident_extension,
    normalise_value,
    pattern_values,
    sco_value,
    value_key,
)
from federation.domain.tlp import Tlp, object_tlp
from federation.domain.visibility import reaches_audience_of
from federation.domain.vocabulary import (
    AFFECTED_ROLE,
    FIRST_SEEN_PROPERTY,
    LAST_SEEN_PROPERTY,
    RECIPIENTS_PROPERTY,
    ROLE_PROPERTY,
    ROLES,
)
from federation.stix.timestamps import parse_timestamp
from federation.storage.models import (
    Collection,
    IncidentLink,
    IncidentValue,
    IncidentVersion,
    ObjectVersion,
    Organisation,
)
from federation.storage.versions import NewVersion

_LINKED_TYPES = {"sighting": "sighting_of_ref", "note": "object_refs"}


def index_new_versions(
    session: Session,
    collection_id: uuid.UUID,
    rows: Sequence[NewVersion],
    batch: Sequence[dict[str, Any]],
) -> None:
    """Write index rows for the incidents, sightings and notes among ``rows``.

    ``rows`` are the object-version rows just inserted by ingest (not yet
    committed); ``batch`` is every accepted document of the request, new or
    already held, read for the indicators and observables related to them.
    """
    wanted = [r for r in rows if r.type == "incident" or r.type in _LINKED_TYPES]
    if not wanted:
        return
    pks = _version_pks(session, collection_id, wanted)
    incidents = [r for r in wanted if r.type == "incident"]
    if incidents:
        _index_incidents(session, collection_id, incidents, batch, pks)
    links = [
        {
            "version_pk": pks[(r.stix_id, r.version)],
            "incident_id": target,
            "kind": r.type,
            "stix_id": r.stix_id,
        }
        for r in wanted
        if r.type in _LINKED_TYPES
        for target in _link_targets(r.document, _LINKED_TYPES[r.type])
    ]
    if links:
        session.execute(insert(IncidentLink), links)


def _link_targets(document: dict[str, Any], prop: str) -> list[str]:
    value = document.get(prop)
    refs = value if isinstance(value, list) else [value]
    return sorted({r for r in refs if isinstance(r, str) and r.startswith("incident--")})


def _version_pks(
    session: Session, collection_id: uuid.UUID, rows: list[NewVersion]
) -> dict[tuple[str, datetime], int]:
    stmt = select(ObjectVersion.stix_id, ObjectVersion.version, ObjectVersion.pk).where(
        ObjectVersion.collection_id == collection_id,
        ObjectVersion.stix_id.in_(sorted({r.stix_id for r in rows})),
    )
    return {(stix_id, version): pk for stix_id, version, pk in session.execute(stmt)}


def _index_incidents(
    session: Session,
    collection_id: uuid.UUID,
    incidents: list[NewVersion],
    batch: Sequence[dict[str, Any]],
    pks: dict[tuple[str, datetime], int],
) -> None:
    by_id = {str(d.get("id")): d for d in batch}
    edges = _edges(batch)
    collection = session.get(Collection, collection_id)
    assert collection is not None
    default_tlp = Tlp.parse(collection.default_tlp)
    owners = sorted({r.owner_organisation_id for r in incidents if r.owner_organisation_id})
    sector_stmt = select(Organisation.id, Organisation.sector).where(Organisation.id.in_(owners))
    sectors: dict[int | None, str] = (
        {org: sector for org, sector in session.execute(sector_stmt)} if owners else {}
    )
    index_rows: list[dict[str, Any]] = []
    values: list[list[IndexedValue]] = []
    for row in incidents:
        document = row.document
        related, found = _related(document, by_id, edges, default_tlp)
        extension = incident_extension(document)
        criticality = extension.get("criticality")
        index_rows.append(
            {
                "pk": pks[(row.stix_id, row.version)],
                "collection_id": collection_id,
                "stix_id": row.stix_id,
                "version": row.version,
                "created": row.created or row.version,
                "title": _text(document.get("name"))[:300],
                "category": category_of(extension.get("incident_types")),
                "investigation_status": _short(extension.get("investigation_status")),
                "determination": _short(extension.get("determination")),
                "criticality": criticality
                if type(criticality) is int and 0 <= criticality <= 100
                else None,
                "first_seen": _time(document.get(FIRST_SEEN_PROPERTY)),
                "last_seen": _time(document.get(LAST_SEEN_PROPERTY)),
                "reporter_sector": sectors.get(row.owner_organisation_id),
                "revoked": document.get("revoked") is True,
                "related": related,
                "creator": _short_id(document.get("created_by_ref")),
                "owner_organisation_id": row.owner_organisation_id,
                "tlp": row.tlp,
                "unattributed": row.unattributed,
                "withheld": False,
            }
        )
        values.append(found)
    session.execute(insert(IncidentVersion), index_rows)
    value_rows = [
        _value_row(index_row["pk"], value)
        for index_row, found in zip(index_rows, values, strict=True)
        for value in found
    ]
    if value_rows:
        session.execute(insert(IncidentValue), value_rows)


def _value_row(incident_pk: int, value: IndexedValue) -> dict[str, Any]:
    bounds = value.range
    return {
        "incident_pk": incident_pk,
        "kind": value.kind,
        "value": value.value,
        "value_key": value_key(value.kind, value.value),
        "role": value.role,
        "ip_start": bounds.start if bounds else None,
        "ip_end": bounds.end if bounds else None,
    }


def _edges(batch: Sequence[dict[str, Any]]) -> dict[str, list[tuple[str, str, str | None]]]:
    """Relationships of the batch by endpoint: id -> [(relationship id, other end, role)]."""
    edges: dict[str, list[tuple[str, str, str | None]]] = {}
    for doc in batch:
        if doc.get("type") != "relationship":
            continue
        source, target = doc.get("source_ref"), doc.get("target_ref")
        if not isinstance(source, str) or not isinstance(target, str):
            continue
        role = doc.get(ROLE_PROPERTY)
        role = role if role in ROLES or role == AFFECTED_ROLE else None
        rel_id = str(doc.get("id"))
        edges.setdefault(source, []).append((rel_id, target, role))
        edges.setdefault(target, []).append((rel_id, source, role))
    return edges


def _related(
    incident: dict[str, Any],
    by_id: dict[str, dict[str, Any]],
    edges: dict[str, list[tuple[str, str, str | None]]],
    default_tlp: Tlp,
) -> tuple[list[str], list[IndexedValue]]:
    """The ids related to ``incident`` in the batch, and the values they name.

    Only through objects that every reader of the incident may see: a RED
    indicator of a GREEN incident is left out (its recipients still get it
    over TAXII), so the incident is not found by its value.
    """
    related: set[str] = set()
    found: list[IndexedValue] = []
    creator = incident.get("created_by_ref")
    if isinstance(creator, str):
        related.add(creator)
    audience = _audience(incident, default_tlp)

    def shown_with_incident(stix_id: str) -> bool:
        # Whatever the incident's readers may not all see is neither a value
        # nor a related object of this version (DESIGN.md invariant 4).
        document = by_id.get(stix_id)
        return document is None or reaches_audience_of(*_audience(document, default_tlp), *audience)

    for relationship, other, role in edges.get(str(incident.get("id")), []):
        if not (shown_with_incident(relationship) and shown_with_incident(other)):
            continue
        related.update((relationship, other))
        document = by_id.get(other)
        if document is None:
            continue
        found.extend(_values_of(document, role))
        if document.get("type") == "indicator":
            # The observables an indicator is based on belong to the report too.
            for based_on, observable, _ in edges.get(other, []):
                if (
                    observable in by_id
                    and by_id[observable].get("type") != "incident"
                    and shown_with_incident(based_on)
                    and shown_with_incident(observable)
                ):
                    related.update((based_on, observable))
    related.discard(str(incident.get("id")))
    return sorted(related), _unique(found)


def _audience(document: dict[str, Any], default_tlp: Tlp) -> tuple[Tlp, frozenset[str]]:
    """A posted object's effective TLP and named recipients."""
    level = object_tlp(document)
    names = document.get(RECIPIENTS_PROPERTY)
    recipients = names if isinstance(names, list) else []
    return (
        default_tlp if level is None else level,
        frozenset(n for n in recipients if isinstance(n, str)),
    )


def _values_of(document: dict[str, Any], role: str | None) -> list[IndexedValue]:
    pairs: list[tuple[str, str]] = []
    if document.get("type") == "indicator" and document.get("pattern_type") == "stix":
        pattern = document.get("pattern")
        if isinstance(pattern, str):
            pairs.extend(pattern_values(pattern))
    elif document.get("type") == "autonomous-system":
        number = document.get("number")
        if type(number) is int:
            pairs.append(("autonomous-system", str(number)))
    else:
        pair = sco_value(document)
        if pair is not None:
            pairs.append(pair)
    found = []
    for kind, value in pairs:
        try:
            found.append(IndexedValue(kind, normalise_value(kind, value)[:2000], role))
        except ValueError:
            continue  # an address the pattern grammar allowed but no network parses
    return found


def _unique(values: list[IndexedValue]) -> list[IndexedValue]:
    return list(dict.fromkeys(values))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _short(value: object) -> str | None:
    return value[:32] if isinstance(value, str) else None


def _short_id(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 300 else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None
