"""Turning a friendly incident report into STIX 2.1 objects.

The incident carries the OASIS Incident Core Extension (a property
extension); each indicator value becomes an ``indicator`` with a STIX pattern,
the observable it is based on, and a ``related-to`` relationship to the
incident whose ``x_federation_role`` says what the value was in the incident.
Affected networks and ASNs are observables related with the role
``affected``. Every object carries the requested TLP 2.0 marking and, for
AMBER+STRICT and RED, the recipients.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from federation.domain.incidents import CATEGORY_TYPES, HASH_KINDS
from federation.domain.tlp import TLP2_MARKING_IDS, Tlp
from federation.domain.vocabulary import (
    AFFECTED_ROLE,
    FIRST_SEEN_PROPERTY,
    INCIDENT_EXTENSION_ID,
    LAST_SEEN_PROPERTY,
    RECIPIENTS_PROPERTY,
    ROLE_PROPERTY,
    SERVICES_PROPERTY,
)
from federation.stix.timestamps import format_timestamp, parse_timestamp

_MILLI = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who reports: the organisation's STIX identity and how it is marked."""

    identity_id: str
    name: str
    created: datetime
    tlp: Tlp
    recipients: tuple[str, ...]


def stix_time(value: datetime) -> str:
    """A STIX timestamp with millisecond precision, as most tools write them."""
    return format_timestamp(value.replace(microsecond=value.microsecond // 1000 * 1000))


def now() -> datetime:
    """The current time at millisecond precision."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def identity_object(reporter: Reporter, secret_key: str) -> dict[str, Any]:
    """The reporting organisation's identity, marked like the report it comes with.

    An identity marked otherwise than its report would be seen by readers who
    may not see the report: one unmarked (so AMBER) beside a RED report told
    every member that the organisation had posted something hidden. So each
    audience (TLP and recipients) gets its own version of the identity, the
    same for every report to that audience (an idempotent success after the
    first), and a reader sees the versions of the reports it may see. The
    version is the organisation's admission plus an offset per audience keyed
    with the hub's secret, so nobody can compute the version of an audience
    they are not in and probe for it.
    """
    created = reporter.created.replace(microsecond=reporter.created.microsecond // 1000 * 1000)
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": reporter.identity_id,
        "created": stix_time(created),
        "modified": format_timestamp(created + _audience_offset(reporter, secret_key)),
        "name": reporter.name,
        "identity_class": "organization",
        **_markings(reporter),
    }


def reporter_identities(
    reporter: Reporter, secret_key: str, *, unattributed: bool
) -> list[dict[str, Any]]:
    """The identity objects to post with a report: none for an unattributed one.

    An unattributed post would store the identity withheld (seen by its own
    organisation only), and that version would then be "already held" when an
    attributed report to the same audience brings it.
    """
    return [] if unattributed else [identity_object(reporter, secret_key)]


# Under an hour of microseconds: two audiences share a version (and the second
# sees none) with a chance of one in billions.
_AUDIENCE_SPAN = 3_600_000_000


def _audience_offset(reporter: Reporter, secret_key: str) -> timedelta:
    audience = "\n".join([reporter.identity_id, reporter.tlp.label, *sorted(reporter.recipients)])
    digest = hmac.new(
        secret_key.encode(), f"identity-audience:{audience}".encode(), hashlib.sha256
    ).digest()
    return timedelta(microseconds=1 + int.from_bytes(digest[:8], "big") % _AUDIENCE_SPAN)


def build_report(
    report: dict[str, Any], reporter: Reporter, secret_key: str, *, unattributed: bool = False
) -> list[dict[str, Any]]:
    """Every STIX object of a new report: identity, incident, indicators, observables, links."""
    moment = now()
    incident_id = f"incident--{uuid.uuid4()}"
    extension: dict[str, Any] = {
        "extension_type": "property-extension",
        "determination": report["determination"],
        "investigation_status": report["investigation_status"],
        "incident_types": [CATEGORY_TYPES[report["category"]]],
    }
    if report.get("criticality") is not None:
        extension["criticality"] = report["criticality"]
    incident: dict[str, Any] = {
        **_common("incident", incident_id, moment, reporter),
        "name": report["title"],
        "extensions": {INCIDENT_EXTENSION_ID: extension},
        FIRST_SEEN_PROPERTY: stix_time(report["first_seen"]),
    }
    if report.get("description"):
        incident["description"] = report["description"]
    if report.get("last_seen") is not None:
        incident[LAST_SEEN_PROPERTY] = stix_time(report["last_seen"])
    if report.get("affected_services"):
        incident[SERVICES_PROPERTY] = list(report["affected_services"])
    if report.get("external_references"):
        incident["external_references"] = [dict(r) for r in report["external_references"]]
    objects = [*reporter_identities(reporter, secret_key, unattributed=unattributed), incident]
    objects += indicator_objects(
        report.get("indicators", []), incident_id, report["first_seen"], moment, reporter
    )
    for prefix in report.get("affected_prefixes", []):
        kind = "ipv6-addr" if ":" in prefix else "ipv4-addr"
        objects += _affected({"type": kind, "value": prefix}, incident_id, moment, reporter)
    for asn in report.get("affected_asns", []):
        objects += _affected(
            {"type": "autonomous-system", "number": asn}, incident_id, moment, reporter
        )
    return objects


def indicator_objects(
    indicators: Sequence[dict[str, Any]],
    incident_id: str,
    valid_from: datetime,
    moment: datetime,
    reporter: Reporter,
) -> list[dict[str, Any]]:
    """Indicator, observable and relationships for each indicator value."""
    objects: list[dict[str, Any]] = []
    for item in indicators:
        kind, value, role = item["type"], item["value"], item["role"]
        indicator_id = f"indicator--{uuid.uuid4()}"
        observable = _observable(kind, value, reporter)
        objects.append(
            {
                **_common("indicator", indicator_id, moment, reporter),
                "name": f"{role}: {value}"[:250],
                "indicator_types": ["compromised" if role == "target" else "malicious-activity"],
                "pattern": pattern_for(kind, value),
                "pattern_type": "stix",
                "valid_from": stix_time(valid_from),
            }
        )
        objects.append(observable)
        objects.append(_relationship(indicator_id, "based-on", observable["id"], moment, reporter))
        objects.append(
            _relationship(indicator_id, "related-to", incident_id, moment, reporter, role)
        )
    return objects


def pattern_for(kind: str, value: str) -> str:
    """A STIX pattern matching one value (quotes and backslashes escaped)."""
    literal = value.replace("\\", "\\\\").replace("'", "\\'")
    if kind in HASH_KINDS:
        return f"[file:hashes.'{HASH_KINDS[kind]}' = '{literal}']"
    return f"[{kind}:value = '{literal}']"


def _observable(kind: str, value: str, reporter: Reporter) -> dict[str, Any]:
    if kind in HASH_KINDS:
        return _sco({"type": "file", "hashes": {HASH_KINDS[kind]: value}}, reporter)
    return _sco({"type": kind, "value": value}, reporter)


def _sco(properties: dict[str, Any], reporter: Reporter) -> dict[str, Any]:
    # A random (version 4) id rather than the deterministic one: two reports
    # naming one address must not share an observable, or the first report's
    # owner, TLP and recipients would decide who sees the second's.
    sco: dict[str, Any] = {
        "type": properties["type"],
        "spec_version": "2.1",
        "id": f"{properties['type']}--{uuid.uuid4()}",
        **{k: v for k, v in properties.items() if k != "type"},
    }
    sco.update(_markings(reporter))
    return sco


def _affected(
    properties: dict[str, Any], incident_id: str, moment: datetime, reporter: Reporter
) -> list[dict[str, Any]]:
    observable = _sco(properties, reporter)
    link = _relationship(
        observable["id"], "related-to", incident_id, moment, reporter, AFFECTED_ROLE
    )
    return [observable, link]


def _relationship(
    source: str,
    kind: str,
    target: str,
    moment: datetime,
    reporter: Reporter,
    role: str | None = None,
) -> dict[str, Any]:
    relationship = {
        **_common("relationship", f"relationship--{uuid.uuid4()}", moment, reporter),
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target,
    }
    if role is not None:
        relationship[ROLE_PROPERTY] = role
    return relationship


def _common(kind: str, stix_id: str, moment: datetime, reporter: Reporter) -> dict[str, Any]:
    stamp = stix_time(moment)
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": stix_id,
        "created": stamp,
        "modified": stamp,
        "created_by_ref": reporter.identity_id,
        **_markings(reporter),
    }


def _markings(reporter: Reporter) -> dict[str, Any]:
    marks: dict[str, Any] = {"object_marking_refs": [TLP2_MARKING_IDS[reporter.tlp]]}
    if reporter.recipients:
        marks[RECIPIENTS_PROPERTY] = list(reporter.recipients)
    return marks


def next_version(previous: dict[str, Any]) -> datetime:
    """A modified time strictly after ``previous``'s, at millisecond precision."""
    moment = now()
    modified = previous.get("modified")
    if isinstance(modified, str):
        earlier = parse_timestamp(modified)
        if moment <= earlier:
            moment = earlier.replace(microsecond=earlier.microsecond // 1000 * 1000) + _MILLI
    return moment


def follow_up(
    kind: str,
    moment: datetime,
    reporter: Reporter,
    properties: dict[str, Any],
) -> dict[str, Any]:
    """A sighting or note by ``reporter`` about an incident."""
    return {**_common(kind, f"{kind}--{uuid.uuid4()}", moment, reporter), **properties}
