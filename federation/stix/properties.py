"""Property checks for STIX 2.1 objects, and the per-type rules built from them.

Every check raises ``InvalidObjectError`` naming the object type and the
property; none quotes more than 50 characters of what it was given, and none
converts arbitrary input to text (``str`` of a huge int raises, ``repr`` of a
deeply nested list recurses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from federation.stix.patterns import stix_pattern_problem
from federation.stix.timestamps import parse_timestamp

Obj = Mapping[str, Any]
Check = Callable[[object, str, str], object]
TypeRule = Callable[[Obj, str], None]

MISSING: Final = object()
QUOTE_LIMIT = 50

# STIX 2.1 section 3.1: a letter first, no doubled hyphen (it would blur the
# "--" that ends the type in an id); 3-250 characters, checked by the caller.
TYPE_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", re.ASCII)
# RFC 4122 variant (8, 9, a or b in the fourth group); any version.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
UUID = re.compile(_UUID, re.ASCII)
_IDENTIFIER = re.compile(rf"([a-z0-9][a-z0-9-]{{1,248}}[a-z0-9])--{_UUID}", re.ASCII)
_MAX_IDENTIFIER_LENGTH = 250 + len("--") + 36
_MAX_COUNT = 999_999_999


class InvalidObjectError(ValueError):
    """A STIX object broke a rule; the message names the property in one sentence."""


def quote(value: str) -> str:
    """Quote a user-supplied string for a message, cut to 50 characters."""
    if len(value) > QUOTE_LIMIT:
        return repr(value[:QUOTE_LIMIT]) + "..."
    return repr(value)


def describe(value: object) -> str:
    """Name a JSON value for a message without echoing more than a short string."""
    if isinstance(value, str):
        return quote(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if -(10**15) < value < 10**15 else "a very large number"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


def bad(label: str, prop: str, problem: str) -> InvalidObjectError:
    """Build the error for property ``prop`` of a ``label`` object."""
    return InvalidObjectError(f"{label} '{prop}' {problem}")


def required(obj: Obj, label: str, prop: str) -> object:
    """Return ``obj[prop]``, or raise naming the missing property."""
    value = obj.get(prop, MISSING)
    if value is MISSING:
        raise InvalidObjectError(f"{label} is missing required property '{prop}'")
    return value


# -- value checks: (value, label, prop) -> the value, typed ------------------


def string(value: object, label: str, prop: str) -> str:
    """Return value if it is a string."""
    if not isinstance(value, str):
        raise bad(label, prop, f"must be a string, got {describe(value)}")
    return value


def boolean(value: object, label: str, prop: str) -> bool:
    """Return value if it is true or false."""
    if not isinstance(value, bool):
        raise bad(label, prop, f"must be true or false, got {describe(value)}")
    return value


def integer(value: object, label: str, prop: str, low: int, high: int) -> int:
    """Return value if it is an integer (not a boolean) from low to high inclusive."""
    # bool is an int subclass in Python but not a JSON number.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise bad(label, prop, f"must be an integer from {low} to {high}, got {describe(value)}")
    return value


def number(value: object, label: str, prop: str, low: float, high: float) -> float:
    """Return value as a float if it is a finite number from low to high inclusive."""
    # NaN fails the range test, as it should.
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise bad(label, prop, f"must be a number from {low:g} to {high:g}, got {describe(value)}")
    return float(value)


def dictionary(value: object, label: str, prop: str) -> dict[str, Any]:
    """Return value if it is a JSON object."""
    if not isinstance(value, dict):
        raise bad(label, prop, f"must be an object, got {describe(value)}")
    return value


def timestamp(value: object, label: str, prop: str) -> datetime:
    """Return the UTC datetime of a STIX timestamp string."""
    if not isinstance(value, str):
        raise bad(label, prop, f"must be a timestamp string, got {describe(value)}")
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise bad(label, prop, f"is not a valid STIX timestamp: {exc}") from None


def identifier(value: object, label: str, prop: str, of_type: str | None = None) -> str:
    """Check ``<type>--<uuid>``, and that the type is ``of_type`` if given."""
    if (
        not isinstance(value, str)
        or len(value) > _MAX_IDENTIFIER_LENGTH
        or (match := _IDENTIFIER.fullmatch(value)) is None
    ):
        raise bad(label, prop, f"must be a STIX identifier <type>--<uuid>, got {describe(value)}")
    if of_type is not None and match[1] != of_type:
        raise bad(label, prop, f"must be an identifier of type {of_type}, got {quote(value)}")
    return value


def _list(value: object, label: str, prop: str, nonempty: bool) -> list[Any]:
    if not isinstance(value, list):
        raise bad(label, prop, f"must be a list, got {describe(value)}")
    if nonempty and not value:
        raise bad(label, prop, "must not be empty")
    return value


def string_list(value: object, label: str, prop: str, nonempty: bool = False) -> list[str]:
    """Return value if it is a list of strings (and not empty, if nonempty)."""
    items = _list(value, label, prop, nonempty)
    for item in items:
        if not isinstance(item, str):
            raise bad(label, prop, f"must contain only strings, found {describe(item)}")
    return items


def identifier_list(
    value: object, label: str, prop: str, of_type: str | None = None, nonempty: bool = False
) -> list[str]:
    """Return value if it is a list of identifiers, each of of_type if given."""
    items = _list(value, label, prop, nonempty)
    for item in items:
        identifier(item, label, prop, of_type)
    return items


def dict_list(value: object, label: str, prop: str) -> list[dict[str, Any]]:
    """Return value if it is a list of JSON objects."""
    items = _list(value, label, prop, nonempty=False)
    for item in items:
        if not isinstance(item, dict):
            raise bad(label, prop, f"must contain only objects, found {describe(item)}")
    return items


def object_refs(value: object, label: str, prop: str) -> list[str]:
    """Return value if it is a non-empty list of identifiers."""
    return identifier_list(value, label, prop, nonempty=True)


# -- per-type rules ----------------------------------------------------------

# Required properties that need only a value check, by type.
REQUIRED: dict[str, tuple[tuple[str, Check], ...]] = {
    "attack-pattern": (("name", string),),
    "campaign": (("name", string),),
    "course-of-action": (("name", string),),
    "grouping": (("context", string), ("object_refs", object_refs)),
    "identity": (("name", string),),
    "incident": (("name", string),),
    "indicator": (("pattern", string), ("pattern_type", string), ("valid_from", timestamp)),
    "infrastructure": (("name", string),),
    "intrusion-set": (("name", string),),
    "malware": (("is_family", boolean),),
    "malware-analysis": (("product", string),),
    "note": (("content", string), ("object_refs", object_refs)),
    "opinion": (("opinion", string), ("object_refs", object_refs)),
    "report": (("name", string), ("published", timestamp), ("object_refs", object_refs)),
    "threat-actor": (("name", string),),
    "tool": (("name", string),),
    "vulnerability": (("name", string),),
    "relationship": (
        ("relationship_type", string),
        ("source_ref", identifier),
        ("target_ref", identifier),
    ),
    "sighting": (("sighting_of_ref", identifier),),
    "extension-definition": (
        ("name", string),
        ("schema", string),
        ("version", string),
        ("extension_types", lambda v, label, prop: string_list(v, label, prop, nonempty=True)),
    ),
    "language-content": (("object_ref", identifier), ("contents", dictionary)),
    # The value's format is in federation.stix.formats, as every SCO property's.
    "ipv4-addr": (("value", string),),
    "ipv6-addr": (("value", string),),
    "autonomous-system": (
        ("number", lambda v, label, prop: integer(v, label, prop, 0, 2**32 - 1)),
    ),
    "directory": (("path", string),),
    "domain-name": (("value", string),),
    "email-addr": (("value", string),),
    "email-message": (("is_multipart", boolean),),
    "mac-addr": (("value", string),),
    # Unlike the address types, a mutex's required property is "name" (STIX 2.1 6.10).
    "mutex": (("name", string),),
    "network-traffic": (("protocols", string_list),),
    "software": (("name", string),),
    "url": (("value", string),),
}

_OPINIONS = frozenset({"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"})
# Properties every SCO may carry; "at least one property" rules ignore them.
_SCO_COMMON = frozenset(
    {
        "type",
        "id",
        "spec_version",
        "object_marking_refs",
        "granular_markings",
        "defanged",
        "extensions",
    }
)


def _later(obj: Obj, label: str, early: str, late: str, strictly: bool) -> None:
    """If both timestamps are present (and already checked), order them."""
    if early in obj and late in obj:
        first, last = parse_timestamp(obj[early]), parse_timestamp(obj[late])
        if last < first or (strictly and last == first):
            relation = "later than" if strictly else "the same as or later than"
            raise bad(label, late, f"must be {relation} '{early}'")


def _indicator(obj: Obj, label: str) -> None:
    if "valid_until" in obj:
        timestamp(obj["valid_until"], label, "valid_until")
        _later(obj, label, "valid_from", "valid_until", strictly=True)
    # Last, because it is by far the most expensive check.
    if obj["pattern_type"] == "stix":
        problem = stix_pattern_problem(obj["pattern"])
        if problem is not None:
            raise bad(label, "pattern", problem)


def _malware(obj: Obj, label: str) -> None:
    if obj["is_family"]:
        string(required(obj, label, "name"), label, "name")


def _opinion(obj: Obj, label: str) -> None:
    if obj["opinion"] not in _OPINIONS:
        raise bad(label, "opinion", f"must be one of {', '.join(sorted(_OPINIONS))}")


def _location(obj: Obj, label: str) -> None:
    has_lat, has_long = "latitude" in obj, "longitude" in obj
    if has_lat != has_long:
        raise bad(label, "latitude" if has_long else "longitude", "is required with the other")
    if has_lat:
        number(obj["latitude"], label, "latitude", -90.0, 90.0)
        number(obj["longitude"], label, "longitude", -180.0, 180.0)
    for prop in ("region", "country"):
        if prop in obj:
            string(obj[prop], label, prop)
    if not (has_lat or "region" in obj or "country" in obj):
        raise InvalidObjectError(f"{label} needs 'region', 'country' or 'latitude'+'longitude'")


def _observed_data(obj: Obj, label: str) -> None:
    timestamp(required(obj, label, "first_observed"), label, "first_observed")
    timestamp(required(obj, label, "last_observed"), label, "last_observed")
    _later(obj, label, "first_observed", "last_observed", strictly=False)
    integer(required(obj, label, "number_observed"), label, "number_observed", 1, _MAX_COUNT)
    # "objects" is the deprecated STIX 2.0 form that 2.1 still permits.
    if "object_refs" in obj or "objects" not in obj:
        object_refs(required(obj, label, "object_refs"), label, "object_refs")
    else:
        dictionary(obj["objects"], label, "objects")


def _sighting(obj: Obj, label: str) -> None:
    # Its timestamps and references are in federation.stix.formats.
    if "count" in obj:
        integer(obj["count"], label, "count", 0, _MAX_COUNT)


def _marking_definition(obj: Obj, label: str) -> None:
    if "definition_type" in obj:
        # Types beyond 'statement' and 'tlp' are only discouraged (STIX 2.1
        # section 7.2.1.3 says SHOULD NOT), so a producer's own is accepted.
        string(obj["definition_type"], label, "definition_type")
        dictionary(required(obj, label, "definition"), label, "definition")
    else:
        # TLP 2.0 and other modern markings carry their definition in an extension.
        required(obj, label, "extensions")
    # A marking cannot mark itself (section 7.2.1).
    own = obj["id"]
    if own in obj.get("object_marking_refs", ()):
        raise bad(label, "object_marking_refs", "must not name this marking-definition itself")
    for marking in obj.get("granular_markings", ()):
        if isinstance(marking, dict) and marking.get("marking_ref") == own:
            raise bad(label, "granular_markings", "must not name this marking-definition itself")


def _file(obj: Obj, label: str) -> None:
    if "hashes" not in obj and "name" not in obj:
        raise InvalidObjectError(f"{label} needs at least one of 'hashes' or 'name'")
    if "hashes" in obj:
        dictionary(obj["hashes"], label, "hashes")
    if "name" in obj:
        string(obj["name"], label, "name")


def _artifact(obj: Obj, label: str) -> None:
    if "payload_bin" not in obj and "url" not in obj:
        raise InvalidObjectError(f"{label} needs one of 'payload_bin' or 'url'")
    for prop in ("payload_bin", "url"):
        if prop in obj:
            string(obj[prop], label, prop)


def _has_own_property(obj: Obj, label: str) -> None:
    if not any(key not in _SCO_COMMON for key in obj):
        raise InvalidObjectError(f"{label} needs at least one property of its own")


# Rules beyond REQUIRED; each runs after REQUIRED has passed for its type.
EXTRA: dict[str, TypeRule] = {
    "indicator": _indicator,
    "malware": _malware,
    "opinion": _opinion,
    "location": _location,
    "observed-data": _observed_data,
    "sighting": _sighting,
    "marking-definition": _marking_definition,
    "file": _file,
    "artifact": _artifact,
    "user-account": _has_own_property,
    "x509-certificate": _has_own_property,
}
