"""Validation of single STIX 2.1 objects as received in TAXII envelopes.

The checks are written out by hand: ``stix2.parse`` builds a full object model
per object and is far too slow for bulk ingest.  Only patterns are handed to
stix2-patterns (see ``federation.stix.patterns``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.stix.formats import check_granular_markings, check_properties, hashes
from federation.stix.properties import (
    EXTRA,
    MISSING,
    REQUIRED,
    TYPE_NAME,
    UUID,
    InvalidObjectError,
    Obj,
    bad,
    boolean,
    describe,
    dict_list,
    dictionary,
    identifier,
    identifier_list,
    integer,
    quote,
    required,
    string,
    string_list,
    timestamp,
)

__all__ = ["InvalidObjectError", "ValidatedObject", "validate_object"]

SPEC_VERSION = "2.1"

SDO_TYPES = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
    }
)
SRO_TYPES = frozenset({"relationship", "sighting"})
META_TYPES = frozenset({"marking-definition", "language-content", "extension-definition"})
SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
# "YYYY-MM-DDTHH:MM:SS.sssZ": the shortest timestamp with milliseconds.
_MILLISECOND_TIMESTAMP_LENGTH = 24
# Types whose created and modified are both required; marking definitions
# have no modified (they are immutable) and SCOs have neither.
_VERSIONED = SDO_TYPES | SRO_TYPES | {"language-content", "extension-definition"}


@dataclass(frozen=True, slots=True)
class ValidatedObject:
    """A STIX object that passed ``validate_object``, with its key fields parsed.

    ``data`` is the very dict that was validated, not a copy.
    """

    id: str
    type: str
    spec_version: str
    created: datetime | None
    modified: datetime | None
    data: dict[str, Any]


def validate_object(obj: object) -> ValidatedObject:
    """Check one STIX 2.1 object (a dict decoded from JSON) and extract its key fields.

    Raises ``InvalidObjectError`` at the first problem found, whose message
    names the property at fault; no other exception escapes, whatever the
    input.  Unknown types are accepted only as custom objects: ``x-`` types
    always, other types only if they carry ``created`` and ``modified``.
    An SCO without ``spec_version`` is reported as ``"2.1"``.
    """
    if not isinstance(obj, dict):
        raise InvalidObjectError(f"a STIX object must be a JSON object, got {describe(obj)}")
    type_ = required(obj, "STIX object", "type")
    if (
        not isinstance(type_, str)
        or not 3 <= len(type_) <= 250
        or TYPE_NAME.fullmatch(type_) is None
    ):
        raise InvalidObjectError(
            "STIX object 'type' must be 3-250 characters of a-z, 0-9 and '-', "
            f"got {describe(type_)}"
        )
    # The type has passed TYPE_NAME, so only its length needs limiting.
    label = type_ if len(type_) <= 50 else type_[:50] + "..."

    known = type_ in SDO_TYPES or type_ in SRO_TYPES or type_ in META_TYPES
    is_sco = type_ in SCO_TYPES
    if known:
        spec_required, times_required = True, type_ in _VERSIONED
    elif is_sco or type_.startswith("x-"):
        spec_required = times_required = False
    elif "created" in obj and "modified" in obj:
        # Treated as a custom SDO: a producer's own type without the x- prefix.
        spec_required = times_required = True
    else:
        raise InvalidObjectError(f"unknown STIX type {quote(type_)}")

    id_ = string(required(obj, label, "id"), label, "id")
    prefix_length = len(type_) + 2
    if not id_.startswith(type_ + "--"):
        raise bad(label, "id", f"must start with '{label}--', got {quote(id_)}")
    if len(id_) != prefix_length + 36 or UUID.fullmatch(id_, prefix_length) is None:
        raise bad(label, "id", f"must end in an RFC 4122 UUID, got {quote(id_)}")

    spec_version = obj.get("spec_version", MISSING)
    if spec_version is MISSING:
        if spec_required:
            raise InvalidObjectError(f"{label} is missing required property 'spec_version'")
    elif spec_version != SPEC_VERSION:
        raise bad(label, "spec_version", f"must be '2.1', got {describe(spec_version)}")

    created = modified = None
    if times_required or type_ == "marking-definition":
        created = timestamp(required(obj, label, "created"), label, "created")
    elif "created" in obj:
        created = timestamp(obj["created"], label, "created")
    if times_required:
        modified = timestamp(required(obj, label, "modified"), label, "modified")
    elif "modified" in obj:
        modified = timestamp(obj["modified"], label, "modified")
    if created is not None and modified is not None and modified < created:
        raise bad(label, "modified", "must be the same as or later than 'created'")
    if not is_sco and type_ != "marking-definition":
        # STIX 2.1 section 3.2: versions are told apart to the millisecond.
        for prop in ("created", "modified"):
            if prop in obj and len(obj[prop]) < _MILLISECOND_TIMESTAMP_LENGTH:
                raise bad(label, prop, "must be precise to the millisecond (e.g. '...:48.000Z')")

    _check_common(obj, label)
    for prop, check in REQUIRED.get(type_, ()):
        check(required(obj, label, prop), label, prop)
    extra = EXTRA.get(type_)
    if extra is not None:
        extra(obj, label)
    check_properties(obj, type_, label)

    return ValidatedObject(
        id=id_,
        type=type_,
        spec_version=SPEC_VERSION,
        created=created,
        modified=modified,
        data=obj,
    )


def _check_common(obj: Obj, label: str) -> None:
    """Check the optional properties any object may carry, where present."""
    # A dict lookup per property beats testing each key of the object against
    # a table: most objects carry few of these.
    if (value := obj.get("created_by_ref", MISSING)) is not MISSING:
        identifier(value, label, "created_by_ref", "identity")
    if (value := obj.get("revoked", MISSING)) is not MISSING:
        boolean(value, label, "revoked")
    if (value := obj.get("labels", MISSING)) is not MISSING:
        string_list(value, label, "labels")
    if (value := obj.get("confidence", MISSING)) is not MISSING:
        integer(value, label, "confidence", 0, 100)
    if (value := obj.get("lang", MISSING)) is not MISSING:
        string(value, label, "lang")
    if (value := obj.get("external_references", MISSING)) is not MISSING:
        for reference in dict_list(value, label, "external_references"):
            source = reference.get("source_name", MISSING)
            if not isinstance(source, str):
                raise bad(
                    label, "external_references", "entries must each have a string 'source_name'"
                )
            if "hashes" in reference:
                hashes(reference["hashes"], label, "external_references")
    if (value := obj.get("object_marking_refs", MISSING)) is not MISSING:
        identifier_list(value, label, "object_marking_refs", "marking-definition")
    if (value := obj.get("granular_markings", MISSING)) is not MISSING:
        check_granular_markings(obj, value, label)
    if (value := obj.get("extensions", MISSING)) is not MISSING:
        for extension in dictionary(value, label, "extensions").values():
            if not isinstance(extension, dict):
                raise bad(
                    label, "extensions", f"values must be objects, found {describe(extension)}"
                )
