"""Pure rules of incident reports: categories, the Incident Core Extension's
vocabularies, indicator kinds and the values an incident is indexed by.

The friendly REST vocabulary (``ddos``, ``c2``...) maps onto the OASIS Incident
Core Extension's ``incident_types`` open vocabulary, so an incident posted as
raw STIX over TAXII gets a category too.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from federation.domain.vocabulary import INCIDENT_EXTENSION_ID

# Category -> the incident_types value (event-type-ov) that carries it in STIX.
CATEGORY_TYPES: dict[str, str] = {
    "ddos": "denial-of-service",
    "botnet": "compromised-system",
    "c2": "c&c-server-hosting",
    "phishing": "hosting-phishing-sites",
    "malware": "known-malware",
    "scanning": "network-scanning",
    "intrusion": "unauthorized-access-system",
    "ransomware": "ransomware",
    "spam": "spam",
    "data-breach": "data-exfiltration",
    "defacement": "modification-information",
    "other": "undetermined",
}
CATEGORIES = tuple(CATEGORY_TYPES)
# Other members of the vocabulary that clearly mean one of our categories, for
# incidents written by other tools.
_TYPE_CATEGORIES: dict[str, str] = {
    **{stix: category for category, stix in CATEGORY_TYPES.items()},
    "packet-flood": "ddos",
    "exploit-framework-exhausting-resources": "ddos",
    "exploit-tool-exhausting-resources": "ddos",
    "infected-by-known-malware": "botnet",
    "connection-malware-system": "botnet",
    "dissemination-phishing-emails": "phishing",
    "aggregation-information-phishing-schemes": "phishing",
    "hosting-malware-webpage": "malware",
    "dissemination-malware-email": "malware",
    "system-probe": "scanning",
    "scan-probe": "scanning",
    "unauthorized-access-information": "intrusion",
    "theft-access-credentials": "intrusion",
    "ransomware-payment": "ransomware",
    "email-flooding": "spam",
    "unauthorized-release": "data-breach",
}

DETERMINATIONS = (
    "blocked",
    "confirmed",
    "failed-attempt",
    "false-positive",
    "low-value",
    "suspected",
)
INVESTIGATION_STATUSES = ("new", "open", "closed")
INDICATOR_KINDS = (
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "email-addr",
    "md5",
    "sha1",
    "sha256",
    "sha512",
)
HASH_KINDS = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
UNATTRIBUTED_SECTOR = "unattributed"


_INCIDENT_ID = re.compile(
    r"incident--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    re.ASCII,
)


def is_incident_id(value: str) -> bool:
    """Whether ``value`` has the form of a STIX incident id."""
    return _INCIDENT_ID.fullmatch(value) is not None


def category_of(incident_types: object) -> str:
    """Our category for a STIX incident's ``incident_types`` (``other`` if none fits)."""
    if isinstance(incident_types, list):
        for item in incident_types:
            if isinstance(item, str) and item in _TYPE_CATEGORIES:
                return _TYPE_CATEGORIES[item]
    return "other"


def incident_extension(document: dict[str, Any]) -> dict[str, Any]:
    """The Incident Core Extension of a STIX incident, or an empty dict."""
    extensions = document.get("extensions")
    if isinstance(extensions, dict):
        found = extensions.get(INCIDENT_EXTENSION_ID)
        if isinstance(found, dict):
            return found
    return {}


@dataclass(frozen=True, slots=True)
class IpRange:
    """An address or network as 16-byte big-endian bounds (IPv4 mapped into IPv6).

    Fixed-width bytes compare like the numbers they encode, so "falls in" is a
    B-tree range predicate on every backend.
    """

    start: bytes
    end: bytes
    version: int


_V4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def ip_range(text: str) -> IpRange:
    """The bounds of an IPv4/IPv6 address or CIDR network; ValueError if it is neither."""
    network = ipaddress.ip_network(text.strip(), strict=False)
    first, last = network.network_address, network.broadcast_address
    if network.version == 4:
        base = int(_V4_MAPPED.network_address)
        return IpRange(_bytes16(base + int(first)), _bytes16(base + int(last)), 4)
    return IpRange(_bytes16(int(first)), _bytes16(int(last)), 6)


def _bytes16(value: int) -> bytes:
    return value.to_bytes(16, "big")


def value_key(kind: str, value: str) -> str:
    """A fixed-length key for equality on values of any length (correlations)."""
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()


def normalise_value(kind: str, value: str) -> str:
    """The canonical text of an indicator value, so equal values correlate."""
    text = value.strip()
    if kind in ("ipv4-addr", "ipv6-addr"):
        network = ipaddress.ip_network(text, strict=False)
        if network.prefixlen == network.max_prefixlen:
            return str(network.network_address)
        return str(network)
    if kind in ("domain-name", "email-addr") or kind in HASH_KINDS:
        return text.lower()
    return text


@dataclass(frozen=True, slots=True)
class IndexedValue:
    """One value an incident is found by: an indicator's or an affected network's."""

    kind: str
    value: str
    role: str | None

    @property
    def range(self) -> IpRange | None:
        if self.kind not in ("ipv4-addr", "ipv6-addr"):
            return None
        try:
            return ip_range(self.value)
        except ValueError:
            return None


_COMPARISON = re.compile(
    r"(?P<type>ipv4-addr|ipv6-addr|domain-name|url|email-addr|file):"
    r"(?P<path>value|hashes\.'?(?P<hash>[A-Za-z0-9-]+)'?)\s*=\s*'(?P<literal>(?:[^'\\]|\\.)*)'"
)
_HASH_NAMES = {name.replace("-", "").upper(): kind for kind, name in HASH_KINDS.items()}


def pattern_values(pattern: str) -> Iterator[tuple[str, str]]:
    """The (kind, value) pairs a STIX pattern compares for equality.

    Only equality comparisons name a value an incident can be found by; other
    operators (MATCHES, LIKE, ISSUBSET) are left out.
    """
    for match in _COMPARISON.finditer(pattern):
        literal = match["literal"].replace("\\'", "'").replace("\\\\", "\\")
        if match["type"] == "file":
            name = (match["hash"] or "").replace("-", "").upper()
            if name in _HASH_NAMES:
                yield _HASH_NAMES[name], literal
        elif match["path"] == "value":
            yield match["type"], literal


def sco_value(document: dict[str, Any]) -> tuple[str, str] | None:
    """The (kind, value) an observable names, for the observables incidents use."""
    kind = document.get("type")
    if kind in ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr"):
        value = document.get("value")
        if isinstance(value, str):
            return str(kind), value
    return None


def frequency_class(reports: int, days: int) -> str | None:
    """How often an organisation reports: ``daily``, ``weekly``, ``monthly`` or ``rarely``.

    The mean interval between its reports over a window of ``days``: at most a
    day is daily, at most a week weekly, at most a month monthly.
    """
    if reports <= 0:
        return None
    interval = days / reports
    if interval <= 1:
        return "daily"
    if interval <= 7:
        return "weekly"
    if interval <= 31:
        return "monthly"
    return "rarely"
