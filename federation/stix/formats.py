"""The STIX 2.1 property-format table: what each property's value must look like.

One table, :data:`FORMATS`, names the format of every property whose value has
one (timestamps, references to given types, hashes, media types, CPE names,
addresses), by object type; :data:`ORDER` says which timestamps follow which.
:func:`check_properties` applies them, with the rules every property obeys
(STIX 2.1 sections 2 and 3.1): a name of 3-250 characters of a-z, 0-9 and
``_``; no ``null``, no empty list; ``*_bin`` holds base64 and ``*_hex`` hex.

The tests in ``tests/stix_corpus`` hold this table to stix2-validator's answers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from federation.stix.properties import (
    Check,
    InvalidObjectError,
    Obj,
    bad,
    describe,
    dict_list,
    identifier,
    identifier_list,
    quote,
    string,
    timestamp,
)
from federation.stix.timestamps import parse_timestamp

# STIX 2.1 section 3.1; "id" is the one shorter name the specification uses.
_PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]{2,249}|id", re.ASCII)
# RFC 4648 base64 with padding, as STIX's binary type (section 2.2).
_BASE64 = re.compile(
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)"
)
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+", re.ASCII)
# RFC 6838 section 4.2: a registered top-level type, then a restricted name.
_MEDIA_TYPE = re.compile(
    r"(?:application|audio|font|example|haptics|image|message|model|multipart|text|video)"
    r"/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}",
    re.ASCII,
)
# CPE 2.3 formatted string binding (NISTIR 7695 section 6.2): eleven
# attributes after the part, each quoted text with wildcards, "*" or "-".
_CPE_VALUE = (
    r"(?:(?:\?*|\*?)(?:[a-zA-Z0-9\-._]|\\[\\*?!\"#$%&'()+,/:;<=>@\[\]^`{|}~])+(?:\?*|\*?)|[*\-])"
)
_CPE23 = re.compile(
    rf"cpe:2\.3:[aho*\-](?::{_CPE_VALUE}){{5}}"
    rf"(?::(?:[a-zA-Z]{{2,3}}(?:-(?:[a-zA-Z]{{2}}|[0-9]{{3}}))?|[*\-]))"
    rf"(?::{_CPE_VALUE}){{4}}",
    re.ASCII,
)
# Dotted quads without leading zeros, and a prefix length without one.
_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:/(?:3[0-2]|[12][0-9]|[0-9]))?",
    re.ASCII,
)
_IPV6_PREFIX = re.compile(r"12[0-8]|1[01][0-9]|[1-9][0-9]|[0-9]", re.ASCII)
_MAX_ADDRESS_LENGTH = 100
_INDEX = re.compile(r"[0-9]{1,9}", re.ASCII)
_HASH_NAME = re.compile(r"[a-zA-Z0-9_-]{3,250}", re.ASCII)
# Hash algorithms of hash-algorithm-ov (section 10.4) whose value has a fixed form.
_HASH_VALUES: dict[str, re.Pattern[str]] = {
    "MD5": re.compile(r"[a-fA-F0-9]{32}"),
    "SHA-1": re.compile(r"[a-fA-F0-9]{40}"),
    "SHA-256": re.compile(r"[a-fA-F0-9]{64}"),
    "SHA-512": re.compile(r"[a-fA-F0-9]{128}"),
    "SHA3-256": re.compile(r"[a-fA-F0-9]{64}"),
    "SHA3-512": re.compile(r"[a-fA-F0-9]{128}"),
    "SSDEEP": re.compile(r"[a-zA-Z0-9/+:.]{1,128}"),
    "TLSH": re.compile(r"[a-zA-Z0-9]{70}"),
}
# What a relationship or sighting may not point at (sections 5.1 and 5.2): only
# SDOs and SCOs are related or sighted.
_NOT_RELATABLE = frozenset(
    {"relationship", "sighting", "bundle", "marking-definition", "language-content"}
)


def ipv4_value(value: object, label: str, prop: str) -> str:
    """An IPv4 address or CIDR block, in the one form STIX allows (section 6.11)."""
    text = string(value, label, prop)
    if _IPV4.fullmatch(text) is None:
        raise bad(label, prop, f"is not an IPv4 address or CIDR block, got {quote(text)}")
    return text


def ipv6_value(value: object, label: str, prop: str) -> str:
    """An IPv6 address or CIDR block whose prefix length has no leading zero (section 6.12)."""
    text = string(value, label, prop)
    address, slash, prefix = text.partition("/")
    try:
        if len(text) > _MAX_ADDRESS_LENGTH or (slash and _IPV6_PREFIX.fullmatch(prefix) is None):
            raise ValueError
        ipaddress.IPv6Address(address)
    except ValueError:
        raise bad(label, prop, f"is not an IPv6 address or CIDR block, got {quote(text)}") from None
    return text


def media_type(value: object, label: str, prop: str) -> str:
    """A media type ``type/subtype`` under a registered top-level type (RFC 6838)."""
    text = string(value, label, prop)
    if _MEDIA_TYPE.fullmatch(text) is None:
        raise bad(
            label, prop, f"must be an IANA media type such as 'text/plain', got {quote(text)}"
        )
    return text


def cpe(value: object, label: str, prop: str) -> str:
    """A CPE 2.3 name in the formatted string binding."""
    text = string(value, label, prop)
    if len(text) > 1000 or _CPE23.fullmatch(text) is None:
        raise bad(label, prop, f"must be a CPE 2.3 formatted string, got {quote(text)}")
    return text


def binary(value: object, label: str, prop: str) -> str:
    """Base64 with padding (the binary type, section 2.2)."""
    text = string(value, label, prop)
    if _BASE64.fullmatch(text) is None:
        raise bad(label, prop, "must be base64 (RFC 4648, with padding)")
    return text


def hexadecimal(value: object, label: str, prop: str) -> str:
    """An even number of hexadecimal digits (the hex type, section 2.6)."""
    text = string(value, label, prop)
    if _HEX.fullmatch(text) is None:
        raise bad(label, prop, "must be an even number of hexadecimal digits")
    return text


def hashes(value: object, label: str, prop: str) -> dict[str, Any]:
    """A non-empty hashes dictionary (section 2.7): names of 3-250 characters, string
    values, and the fixed form of each algorithm hash-algorithm-ov names."""
    if not isinstance(value, dict) or not value:
        raise bad(label, prop, f"must be a non-empty object of hashes, got {describe(value)}")
    for name, digest in value.items():
        if _HASH_NAME.fullmatch(name) is None:
            raise bad(
                label,
                prop,
                f"has a hash name that is not 3-250 of A-Z, 0-9, '_', '-': {quote(name)}",
            )
        if not isinstance(digest, str):
            raise bad(label, prop, f"{quote(name)} must be a string, got {describe(digest)}")
        form = _HASH_VALUES.get(name)
        if form is not None and form.fullmatch(digest) is None:
            raise bad(label, prop, f"{quote(name)} is not a valid {name} value")
    return value


def _ref(*types: str) -> Check:
    allowed = frozenset(types)

    def check(value: object, label: str, prop: str) -> str:
        ref = identifier(value, label, prop)
        if ref[: ref.index("--")] not in allowed:
            raise bad(label, prop, f"must refer to {' or '.join(types)}, got {quote(ref)}")
        return ref

    return check


def _refs(*types: str) -> Check:
    one = _ref(*types)

    def check(value: object, label: str, prop: str) -> list[str]:
        items = identifier_list(value, label, prop, nonempty=True)
        for item in items:
            one(item, label, prop)
        return items

    return check


def _relatable(value: object, label: str, prop: str) -> str:
    ref = identifier(value, label, prop)
    if ref[: ref.index("--")] in _NOT_RELATABLE:
        raise bad(label, prop, f"must refer to an SDO or SCO, got {quote(ref)}")
    return ref


def _described(value: object, label: str, prop: str) -> str:
    ref = identifier(value, label, prop)
    if ref.startswith(("language-content--", "bundle--")):
        raise bad(label, prop, f"cannot refer to a language-content or bundle, got {quote(ref)}")
    return ref


_SEEN: dict[str, Check] = {"first_seen": timestamp, "last_seen": timestamp}

# The format of each property that has one, by object type.
FORMATS: dict[str, dict[str, Check]] = {
    "campaign": _SEEN,
    "infrastructure": _SEEN,
    "intrusion-set": _SEEN,
    "threat-actor": _SEEN,
    "malware": {**_SEEN, "operating_system_refs": _refs("software")},
    "malware-analysis": {
        "submitted": timestamp,
        "analysis_started": timestamp,
        "analysis_ended": timestamp,
        "host_vm_ref": _ref("software"),
        "operating_system_ref": _ref("software"),
        "installed_software_refs": _refs("software"),
        "sample_ref": _ref("artifact", "file", "network-traffic"),
    },
    "language-content": {"object_modified": timestamp, "object_ref": _described},
    "relationship": {
        "start_time": timestamp,
        "stop_time": timestamp,
        "source_ref": _relatable,
        "target_ref": _relatable,
    },
    "sighting": {
        **_SEEN,
        "sighting_of_ref": _relatable,
        "observed_data_refs": _refs("observed-data"),
        "where_sighted_refs": _refs("identity", "location"),
    },
    "artifact": {"mime_type": media_type, "hashes": hashes},
    "directory": {"ctime": timestamp, "mtime": timestamp, "atime": timestamp},
    "email-message": {"date": timestamp},
    "file": {
        "hashes": hashes,
        "mime_type": media_type,
        "ctime": timestamp,
        "mtime": timestamp,
        "atime": timestamp,
    },
    "ipv4-addr": {"value": ipv4_value},
    "ipv6-addr": {"value": ipv6_value},
    "network-traffic": {"start": timestamp, "end": timestamp},
    "process": {"created_time": timestamp},
    "software": {"cpe": cpe},
    "user-account": {
        "account_created": timestamp,
        "account_expires": timestamp,
        "credential_last_changed": timestamp,
        "account_first_login": timestamp,
        "account_last_login": timestamp,
    },
    "windows-registry-key": {"modified_time": timestamp},
    "x509-certificate": {
        "hashes": hashes,
        "validity_not_before": timestamp,
        "validity_not_after": timestamp,
    },
}
_NO_FORMATS: dict[str, Check] = {}

# (earlier, later, strictly later) pairs of timestamps, by object type.
_SEEN_ORDER = (("first_seen", "last_seen", False),)
ORDER: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "campaign": _SEEN_ORDER,
    "infrastructure": _SEEN_ORDER,
    "intrusion-set": _SEEN_ORDER,
    "malware": _SEEN_ORDER,
    "sighting": _SEEN_ORDER,
    "threat-actor": _SEEN_ORDER,
    "relationship": (("start_time", "stop_time", True),),
    "network-traffic": (("start", "end", False),),
}


def check_properties(obj: Obj, type_: str, label: str) -> None:
    """Check every property's name and value against the rules and :data:`FORMATS`."""
    formats = FORMATS.get(type_, _NO_FORMATS)
    known = _KNOWN_NAMES
    for prop, value in obj.items():
        if value is None:
            raise bad(label, prop, "must not be null; leave an empty property out")
        if value.__class__ is list and not value:
            raise bad(label, prop, "must not be an empty list; leave an empty property out")
        # The table's names are well-formed; any other is checked once, then known.
        check = formats.get(prop)
        if check is None:
            check = known.get(prop, _learn_name)
        if check is not None:
            check(value, label, prop)
    for early, late, strictly in ORDER.get(type_, ()):
        if early in obj and late in obj:
            first, last = parse_timestamp(obj[early]), parse_timestamp(obj[late])
            if last < first or (strictly and last == first):
                relation = "later than" if strictly else "the same as or later than"
                raise bad(label, late, f"must be {relation} '{early}'")


# Property names already found well-formed, each with the format its suffix
# implies (or None): the same few hundred names recur in every feed, so each is
# matched against the name rule once. Bounded, so hostile input cannot grow it.
_KNOWN_NAMES: dict[str, Check | None] = {}
_KNOWN_NAMES_LIMIT = 4096


def _learn_name(value: object, label: str, prop: str) -> object:
    """Check a property name not seen before, remember it, and check the value by suffix."""
    if _PROPERTY_NAME.fullmatch(prop) is None:
        raise InvalidObjectError(
            f"{label} property name {quote(prop)} must be 3-250 characters of a-z, 0-9 and '_'"
        )
    rule: Check | None = None
    if prop.endswith("_bin"):
        rule = binary
    elif prop.endswith("_hex"):
        rule = hexadecimal
    if len(_KNOWN_NAMES) < _KNOWN_NAMES_LIMIT:
        _KNOWN_NAMES[prop] = rule
    return value if rule is None else rule(value, label, prop)


def check_granular_markings(obj: Obj, value: object, label: str) -> None:
    """Each granular marking names a marking-definition (or a language) and selects
    properties the object has (section 7.2.3)."""
    for marking in dict_list(value, label, "granular_markings"):
        if "marking_ref" in marking:
            identifier(marking["marking_ref"], label, "granular_markings", "marking-definition")
        elif not isinstance(marking.get("lang"), str):
            raise bad(label, "granular_markings", "entries need a 'marking_ref' or a 'lang'")
        selectors = marking.get("selectors")
        if not isinstance(selectors, list) or not selectors:
            raise bad(label, "granular_markings", "entries need a non-empty list of 'selectors'")
        for selector in selectors:
            if not isinstance(selector, str) or not _selects(obj, selector):
                raise bad(
                    label, "granular_markings", f"selector {describe(selector)} selects nothing"
                )


def _selects(obj: Mapping[str, Any], selector: str) -> bool:
    """Whether ``selector`` (``a.b.[0].c``) names content of ``obj``."""
    node: object = obj
    for step in selector.split("."):
        if step.startswith("[") and step.endswith("]"):
            index = step[1:-1]
            if (
                not isinstance(node, list)
                or _INDEX.fullmatch(index) is None
                or int(index) >= len(node)
            ):
                return False
            node = node[int(index)]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return False
    return True
