"""Marshmallow schemas of the incident resources: friendly reports in, summaries out.

Request schemas reject unknown fields and name every invalid field (nested
ones as ``indicators.0.value``); each indicator value is checked against its
type, so whatever passes turns into valid STIX.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.api.schemas import Name, RequestSchema, StrictBoolean, StrictInteger, printable
from federation.domain.incidents import (
    CATEGORIES,
    DETERMINATIONS,
    HASH_KINDS,
    INDICATOR_KINDS,
    INVESTIGATION_STATUSES,
    UNATTRIBUTED_SECTOR,
)
from federation.domain.roles import Sector
from federation.domain.tlp import Tlp
from federation.domain.vocabulary import ROLES

TLP_LABELS = [t.label for t in Tlp]
SECTORS = [*(s.value for s in Sector), UNATTRIBUTED_SECTOR]
_ASN = validate.Range(min=0, max=4_294_967_295)
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$",
    re.IGNORECASE,
)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
_EMAIL = validate.Email()
_URL = validate.URL(require_tld=False)


def _text(max_length: int, *, min_length: int = 0, control: bool = True) -> list[Any]:
    """Validators of free text: a length and (unless multi-line) printable.

    Text no backend can store (NUL, unpaired surrogates) never gets this far:
    the request front door (``api.blueprint``) refuses it in every body and
    query string first.
    """
    checks: list[Any] = [validate.Length(min=min_length, max=max_length)]
    if not control:
        checks.append(printable)
    return checks


def ip_or_network(value: str) -> None:
    """An IPv4 or IPv6 address or CIDR network."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError("Not an IP address or CIDR network.") from None


def indicator_problem(kind: str, value: str) -> str | None:
    """What is wrong with ``value`` as an indicator of ``kind``, or None."""
    if kind in ("ipv4-addr", "ipv6-addr"):
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return "Not an IP address or CIDR network."
        if (network.version == 4) != (kind == "ipv4-addr"):
            return f"Not an IPv{4 if kind == 'ipv4-addr' else 6} address or network."
        return None
    if kind == "domain-name":
        return None if _DOMAIN.match(value) else "Not a domain name."
    if kind == "url":
        try:
            _URL(value)
        except ValidationError:
            return "Not a URL."
        return None if "'" not in value else "Not a URL."
    if kind == "email-addr":
        try:
            _EMAIL(value)
        except ValidationError:
            return "Not an e-mail address."
        return None
    if kind in HASH_KINDS and (len(value) != _HASH_LENGTHS[kind] or not _HEX.match(value)):
        return f"Not a {kind.upper()} digest ({_HASH_LENGTHS[kind]} hex digits)."
    return None


class IndicatorSchema(RequestSchema):
    """One indicator value and what it was in the incident."""

    type = fields.String(required=True, validate=validate.OneOf(INDICATOR_KINDS))
    value = fields.String(required=True, validate=_text(2000, min_length=1, control=False))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))

    @validates_schema
    def _value_fits_type(self, data: dict[str, Any], **_: object) -> None:
        kind, value = data.get("type"), data.get("value")
        if isinstance(kind, str) and isinstance(value, str):
            problem = indicator_problem(kind, value.strip())
            if problem:
                raise ValidationError(problem, "value")


class ExternalReferenceSchema(RequestSchema):
    """A reference to a ticket, advisory or report elsewhere."""

    source_name = Name(required=True)
    url = fields.String(validate=[*_text(2000, control=False), _URL])
    description = fields.String(validate=_text(1000))
    external_id = fields.String(validate=_text(200, min_length=1, control=False))


_INDICATOR_VALUES = (
    "Each value is of its type: an IPv4/IPv6 address or network, a domain name, an "
    "absolute URL, an e-mail address, or an MD5/SHA-1/SHA-256/SHA-512 hex digest."
)


def _times_in_order(data: Mapping[str, Any]) -> None:
    first, last = data.get("first_seen"), data.get("last_seen")
    if isinstance(first, datetime) and isinstance(last, datetime) and last < first:
        raise ValidationError("Must not be before first_seen.", "last_seen")


def _seen(**kwargs: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        default_timezone=UTC,
        metadata={
            "description": "ISO-8601 (UTC unless a zone is given).",
            "checked": "last_seen is not before first_seen.",
        },
        **kwargs,
    )


class IncidentCreateSchema(RequestSchema):
    """A new incident report; the hub turns it into STIX 2.1."""

    title = Name(max_length=300, required=True)
    description = fields.String(load_default="", validate=_text(10_000))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    determination = fields.String(load_default="suspected", validate=validate.OneOf(DETERMINATIONS))
    investigation_status = fields.String(
        load_default="new", validate=validate.OneOf(INVESTIGATION_STATUSES)
    )
    criticality = StrictInteger(validate=validate.Range(min=0, max=100))
    first_seen = _seen(required=True)
    last_seen = _seen()
    affected_asns = fields.List(
        StrictInteger(validate=_ASN),
        load_default=list,
        validate=validate.Length(max=100),
    )
    affected_prefixes = fields.List(
        fields.String(validate=[validate.Length(max=50), ip_or_network]),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"checked": "Each an IPv4 or IPv6 address or CIDR network."},
    )
    affected_services = fields.List(
        Name(max_length=100),
        load_default=list,
        validate=validate.Length(max=50),
    )
    indicators = fields.List(
        fields.Nested(IndicatorSchema),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"checked": _INDICATOR_VALUES},
    )
    tlp = fields.String(load_default="amber", validate=validate.OneOf(TLP_LABELS))
    collection = fields.String(
        required=True,
        validate=_text(100, min_length=1, control=False),
        metadata={
            "description": "Id or alias of a collection you may write.",
            "checked": "Names a collection the caller may write.",
        },
    )
    recipients = fields.List(
        Name(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "Organisation names that may see AMBER+STRICT and RED.",
            "checked": "Each names a member organisation.",
        },
    )
    unattributed = StrictBoolean(load_default=False)
    external_references = fields.List(
        fields.Nested(ExternalReferenceSchema),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"checked": "Each url is an absolute http(s) URL."},
    )

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: object) -> None:
        _times_in_order(data)


class IncidentPatchSchema(RequestSchema):
    """Changes to an incident; fields left out stay as they are. Indicators are added."""

    json_schema: ClassVar[dict[str, Any]] = {"minProperties": 1}

    title = Name(max_length=300)
    description = fields.String(validate=_text(10_000))
    determination = fields.String(validate=validate.OneOf(DETERMINATIONS))
    investigation_status = fields.String(validate=validate.OneOf(INVESTIGATION_STATUSES))
    criticality = StrictInteger(validate=validate.Range(min=0, max=100))
    last_seen = _seen()
    add_indicators = fields.List(
        fields.Nested(IndicatorSchema),
        validate=validate.Length(min=1, max=500),
        metadata={"checked": _INDICATOR_VALUES},
    )

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: object) -> None:
        if not data:
            raise ValidationError("Give at least one field to change.")


class SightingCreateSchema(RequestSchema):
    """Your organisation saw this incident's activity too."""

    count = StrictInteger(load_default=1, validate=validate.Range(min=1, max=999_999_999))
    first_seen = _seen()
    last_seen = _seen()
    description = fields.String(validate=_text(10_000))
    unattributed = StrictBoolean(load_default=False)

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: object) -> None:
        _times_in_order(data)


class NoteCreateSchema(RequestSchema):
    """A note on this incident."""

    content = fields.String(required=True, validate=_text(10_000, min_length=1))
    abstract = fields.String(validate=_text(300, min_length=1, control=False))
    unattributed = StrictBoolean(load_default=False)


class IncidentQuerySchema(RequestSchema):
    """Filters of the incident list; all combine with AND."""

    category = fields.String(validate=validate.OneOf(CATEGORIES))
    investigation_status = fields.String(validate=validate.OneOf(INVESTIGATION_STATUSES))
    tlp = fields.String(validate=validate.OneOf(TLP_LABELS))
    sector = fields.String(
        validate=validate.OneOf(SECTORS), metadata={"description": "The reporter's sector."}
    )
    asn = fields.Integer(
        validate=_ASN,
        metadata={"description": "An affected ASN.", "checked": "A public or private AS number."},
    )
    ip = fields.String(
        validate=[validate.Length(max=50), ip_or_network],
        metadata={
            "description": "An address or CIDR network the indicators fall in.",
            "checked": "An IPv4 or IPv6 address or CIDR network.",
        },
    )
    q = fields.String(
        validate=[validate.Length(min=1, max=200), printable],
        metadata={"description": "Text in the title (case-insensitive)."},
    )
    since = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "Reported at or after."}
    )
    until = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "Reported before."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    # Decoded by the view: a cursor this server did not hand out is a 400, like
    # TAXII's ``next``, not a 422 (the one cursor codec, federation.domain.cursors).
    cursor = fields.String(
        metadata={
            "description": "The `next` of the previous page.",
            "checked": "A cursor this server handed out.",
        }
    )


class StatsQuerySchema(RequestSchema):
    """The window statistics cover."""

    days = fields.Integer(load_default=90, validate=validate.Range(min=1, max=366))


class IndicatorValueSchema(Schema):
    type = fields.String(attribute="kind")
    value = fields.String()
    role = fields.String(allow_none=True)


class ReporterSchema(Schema):
    """Who reported; ``unattributed`` (with a pseudonymous identity) for outsiders."""

    sector = fields.String()
    identity = fields.String(allow_none=True)


class IncidentSummarySchema(Schema):
    """An incident as listed."""

    id = fields.String()
    title = fields.String()
    category = fields.String()
    determination = fields.String(allow_none=True)
    investigation_status = fields.String(allow_none=True)
    criticality = fields.Integer(allow_none=True)
    tlp = fields.String()
    reporter = fields.Nested(ReporterSchema)
    collection_id = fields.UUID()
    created = fields.DateTime()
    modified = fields.DateTime()
    first_seen = fields.DateTime(allow_none=True)
    last_seen = fields.DateTime(allow_none=True)
    indicators = fields.List(fields.Nested(IndicatorValueSchema))


class IncidentPageSchema(Schema):
    incidents = fields.List(fields.Nested(IncidentSummarySchema))
    more = fields.Boolean()
    next = fields.String(allow_none=True, metadata={"description": "Pass as `cursor`."})


class CorrelatedIncidentSchema(Schema):
    """Another organisation's incident sharing indicator values with this one."""

    id = fields.String()
    title = fields.String()
    category = fields.String()
    reporter = fields.Nested(ReporterSchema)
    created = fields.DateTime()
    shared = fields.List(fields.Nested(IndicatorValueSchema))


class CorrelationsSchema(Schema):
    organisations = fields.Integer(metadata={"description": "Also seen by this many others."})
    incidents = fields.List(fields.Nested(CorrelatedIncidentSchema))


class IncidentDetailSchema(IncidentSummarySchema):
    """An incident with its related objects, sightings, notes and correlations."""

    description = fields.String()
    affected_asns = fields.List(fields.Integer())
    affected_prefixes = fields.List(fields.String())
    affected_services = fields.List(fields.String())
    external_references = fields.List(fields.Dict())
    sightings = fields.Integer()
    notes = fields.List(fields.Dict())
    objects = fields.List(fields.Dict(), metadata={"description": "The report's STIX objects."})
    correlations = fields.Nested(CorrelationsSchema)


class BundleSchema(Schema):
    """A STIX 2.1 bundle."""

    type = fields.String()
    id = fields.String()
    objects = fields.List(fields.Dict())


class CategoryWeekSchema(Schema):
    week = fields.String(metadata={"description": "Monday of the week (UTC), YYYY-MM-DD."})
    category = fields.String()
    incidents = fields.Integer()


class SectorCountSchema(Schema):
    sector = fields.String()
    incidents = fields.Integer()


class FrequencySchema(Schema):
    """How many organisations report daily, weekly, monthly or more rarely."""

    daily = fields.Integer()
    weekly = fields.Integer()
    monthly = fields.Integer()
    rarely = fields.Integer()


class StatsSchema(Schema):
    """Counts over the incidents you may see, reported in the last ``days`` days."""

    days = fields.Integer()
    total = fields.Integer()
    per_category_week = fields.List(fields.Nested(CategoryWeekSchema))
    per_sector = fields.List(fields.Nested(SectorCountSchema))
    reporting_frequency = fields.Nested(FrequencySchema)
    unattributed_incidents = fields.Integer(
        metadata={"description": "Incidents whose reporter you may not know (not in frequency)."}
    )
