"""Routing to the responsible network: the pure rules (DESIGN.md, "Routing to the
responsible network").

Which IP networks and ASNs an object names, which member declared the most
specific network holding them (longest-prefix match), and which objects of a
request go with them to that member. No Flask, no SQL: the service feeds in the
request's documents and the declared networks.

A claim is a promise the hub makes to every reporter: "what you report about
these addresses reaches this member", RED included. So a claim that would
take addresses from another member, or that the hub cannot judge small enough
to be one member's, needs a hub admin's word (:func:`review_reason`); until
then it routes nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network
from typing import Any, Generic, TypeVar

from federation.stix.pattern_terms import pattern_comparisons

Network = IPv4Network | IPv6Network
Owner = TypeVar("Owner")

# The widest prefixes a member may declare. Shorter ones are not one member's
# network, and a claim on 0.0.0.0/0 would route every incident to one member.
MIN_PREFIX_LENGTH = {4: 8, 6: 16}
MAX_ASN = 4_294_967_294  # 4294967295 is reserved (RFC 7300)
_ASN = re.compile(r"^(?:AS)?([0-9]{1,10})$", re.IGNORECASE | re.ASCII)

ADDRESS_TYPES = frozenset({"ipv4-addr", "ipv6-addr"})
# Comparison operators whose literal is a value the object has: "=", one of a
# set, or inside a network. Negations, LIKE and MATCHES name no address.
_NAMING_OPERATORS = frozenset({"=", "IN", "ISSUBSET"})
_TRAFFIC_ENDPOINTS = ("src_ref", "dst_ref")
# Properties whose references are not "about" the object: who made it, its markings.
_BOOKKEEPING_REFS = frozenset({"created_by_ref", "object_marking_refs"})
# Objects that link two others: the far end travels with them.
_LINK_ENDS = {
    "relationship": ("source_ref", "target_ref"),
    "sighting": ("sighting_of_ref", "observed_data_refs"),
}
# Objects that comment on or collect others: they travel with what they refer to.
_CONTAINERS = frozenset({"report", "note", "opinion", "grouping"})


@dataclass(frozen=True, slots=True)
class Claim:
    """A declared network: an IP prefix or an autonomous system number."""

    network: Network | None = None
    asn: int | None = None

    @property
    def kind(self) -> str:
        return "asn" if self.asn is not None else "prefix"

    @property
    def value(self) -> str:
        """The canonical text, unique per claim: ``198.51.100.0/24``, ``AS64500``."""
        return f"AS{self.asn}" if self.asn is not None else str(self.network)


def parse_claim(text: str) -> Claim:
    """Read ``AS64500``, ``64500``, ``198.51.100.0/24``, ``2001:db8::/32`` or a lone address.

    Raises ValueError with a message for the user: not a prefix or ASN, host
    bits set, wider than :data:`MIN_PREFIX_LENGTH`, ASN out of range.
    """
    value = text.strip()
    asn = _ASN.match(value)
    if asn:
        number = int(asn.group(1))
        if not 1 <= number <= MAX_ASN:
            raise ValueError(f"AS number {number} is outside 1..{MAX_ASN}")
        return Claim(asn=number)
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"{value[:60]!r} is neither an IP prefix (198.51.100.0/24, 2001:db8::/32) "
            "nor an AS number (AS64500)"
        ) from None
    if network.network_address != ipaddress.ip_interface(value).ip:
        raise ValueError(f"{value} has host bits set; the network is {network}")
    widest = MIN_PREFIX_LENGTH[network.version]
    if network.prefixlen < widest:
        raise ValueError(f"{network} is wider than /{widest}, too wide to be one member's network")
    return Claim(network=network)


@dataclass(frozen=True, slots=True)
class ClaimLimits:
    """The widest prefixes an org admin's claim is granted without a hub admin's review.

    Operator settings ``CLAIM_PREFIX_LIMIT_IPV4`` and ``CLAIM_PREFIX_LIMIT_IPV6``.
    """

    ipv4: int = 16
    ipv6: int = 32

    def __post_init__(self) -> None:
        for version, value in ((4, self.ipv4), (6, self.ipv6)):
            longest = 32 if version == 4 else 128
            if not 1 <= value <= longest:
                raise ValueError(
                    f"the IPv{version} claim limit is a prefix length from 1 to {longest}"
                )


def review_reason(
    claim: Claim, claimant: Owner, table: RoutingTable[Owner], limits: ClaimLimits
) -> str | None:
    """Why an org admin's ``claim`` must wait for a hub admin, or None to grant it at once.

    ``table`` holds the approved claims of every member. A prefix waits when
    its addresses route to another member today (it lies inside that
    member's network: granting it would hand that member's reports to the
    claimant), or when it is wider than ``limits`` (nobody may hold it yet,
    but it is more than one member's network to promise). A prefix inside
    the claimant's own network, or one that takes nothing from anybody and
    is within the limits, changes nothing for other members.

    An AS number always waits: it has no nesting to check, the hub cannot
    verify who operates it, and an unclaimed one is as open to a hijack as
    an unclaimed prefix. The hub admin checks it against the registry
    (RIR, PeeringDB) before approving.
    """
    network = claim.network
    if network is None:
        return "an AS number claim is checked by a hub admin: the hub cannot verify who operates it"
    owner = table.owner_of_network(network)
    if owner is not None and owner != claimant:
        return "it lies inside another member's network"
    widest = limits.ipv4 if network.version == 4 else limits.ipv6
    if network.prefixlen < widest:
        return f"it is wider than /{widest}, the widest prefix granted without review"
    return None


@dataclass(frozen=True, slots=True)
class Names:
    """The IP networks (single addresses as /32 or /128) and ASNs one object names."""

    networks: frozenset[Network] = frozenset()
    asns: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.networks or self.asns)


def names_in_request(objects: Sequence[Mapping[str, Any]]) -> dict[str, Names]:
    """What each object of one request names, by STIX id; objects naming nothing are left out.

    A network-traffic object names the addresses its ``src_ref`` and
    ``dst_ref`` point to, when those are in the same request. Malformed values
    name nothing.
    """
    by_id = {obj["id"]: obj for obj in objects if isinstance(obj.get("id"), str)}
    named: dict[str, Names] = {}
    for stix_id, obj in by_id.items():
        names = object_names(obj, by_id)
        if names:
            named[stix_id] = names
    return named


def object_names(obj: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> Names:
    """The networks and ASNs ``obj`` names; ``by_id`` resolves network-traffic endpoints."""
    kind = obj.get("type")
    networks: set[Network] = set()
    asns: set[int] = set()
    if kind in ADDRESS_TYPES:
        _add_network(networks, obj.get("value"))
    elif kind == "autonomous-system":
        _add_asn(asns, obj.get("number"))
    elif kind == "network-traffic":
        for endpoint in _TRAFFIC_ENDPOINTS:
            ref = obj.get(endpoint)
            target = by_id.get(ref) if isinstance(ref, str) else None
            if target is not None and target.get("type") in ADDRESS_TYPES:
                _add_network(networks, target.get("value"))
    elif kind == "indicator" and obj.get("pattern_type") == "stix":
        pattern = obj.get("pattern")
        if isinstance(pattern, str):
            return pattern_names(pattern)
    return Names(frozenset(networks), frozenset(asns))


def pattern_names(pattern: str) -> Names:
    """The networks and ASNs a STIX pattern compares with ``=``, ``IN`` or ``ISSUBSET``.

    Paths read: ``ipv4-addr:value``, ``ipv6-addr:value``,
    ``network-traffic:src_ref.value`` / ``dst_ref.value`` and
    ``autonomous-system:number``.
    """
    networks: set[Network] = set()
    asns: set[int] = set()
    for comparison in pattern_comparisons(pattern):
        if comparison.operator not in _NAMING_OPERATORS:
            continue
        kind, path = comparison.object_type, comparison.path
        if (kind in ADDRESS_TYPES and path == ("value",)) or (
            kind == "network-traffic"
            and len(path) == 2
            and path[0] in _TRAFFIC_ENDPOINTS
            and path[1] == "value"
        ):
            for literal in comparison.literals:
                _add_network(networks, literal)
        elif kind == "autonomous-system" and path == ("number",):
            for literal in comparison.literals:
                _add_asn(asns, literal)
    return Names(frozenset(networks), frozenset(asns))


def _add_network(networks: set[Network], value: object) -> None:
    if not isinstance(value, str) or len(value) > 64:
        return
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return
    mapped = network.network_address.ipv4_mapped if network.version == 6 else None
    if mapped is not None and network.prefixlen >= 96:
        # ::ffff:198.51.100.7 is an IPv4 address, routed by the IPv4 prefixes.
        network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    networks.add(network)


def _add_asn(asns: set[int], value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ASN:
        asns.add(value)


@dataclass(slots=True)
class RoutingTable(Generic[Owner]):
    """Declared networks and who declared them; answers by longest-prefix match.

    Prefixes are kept in one dictionary per (IP version, prefix length), so a
    lookup costs one probe per distinct length declared, whatever the number
    of prefixes.
    """

    _prefixes: dict[tuple[int, int], dict[int, Owner]] = field(default_factory=dict)
    _lengths: dict[int, list[int]] = field(default_factory=dict)
    _asns: dict[int, Owner] = field(default_factory=dict)

    @classmethod
    def of(cls, claims: Iterable[tuple[Claim, Owner]]) -> RoutingTable[Owner]:
        table: RoutingTable[Owner] = cls()
        for claim, owner in claims:
            if claim.asn is not None:
                table._asns[claim.asn] = owner
            elif claim.network is not None:
                net = claim.network
                key = (net.version, net.prefixlen)
                table._prefixes.setdefault(key, {})[_prefix_key(net, net.prefixlen)] = owner
        for version, length in table._prefixes:
            table._lengths.setdefault(version, []).append(length)
        for lengths in table._lengths.values():
            lengths.sort(reverse=True)
        return table

    def owner_of_network(self, network: Network) -> Owner | None:
        """The owner of the most specific declared prefix holding all of ``network``."""
        for length in self._lengths.get(network.version, ()):
            if length > network.prefixlen:
                continue
            owner = self._prefixes[(network.version, length)].get(_prefix_key(network, length))
            if owner is not None:
                return owner
        return None

    def owner_of_asn(self, asn: int) -> Owner | None:
        return self._asns.get(asn)

    def owners(self, names: Names) -> set[Owner]:
        """Everyone responsible for something ``names`` holds."""
        found = {self.owner_of_network(n) for n in names.networks}
        found |= {self.owner_of_asn(a) for a in names.asns}
        return {owner for owner in found if owner is not None}


def _prefix_key(network: Network, length: int) -> int:
    return int(network.network_address) >> (network.max_prefixlen - length)


def route(
    objects: Sequence[Mapping[str, Any]],
    table: RoutingTable[Owner],
    poster: Owner | None,
    named: Mapping[str, Names] | None = None,
) -> dict[Owner, set[str]]:
    """Which objects of one request go to which owner.

    An owner receives the objects naming its networks or ASNs and, from the
    same request, what goes with them (:func:`delivery_ids`). Nothing is routed
    back to ``poster``.
    """
    named = names_in_request(objects) if named is None else named
    seeds: dict[Owner, set[str]] = {}
    for stix_id, names in named.items():
        for owner in table.owners(names):
            if owner != poster:
                seeds.setdefault(owner, set()).add(stix_id)
    if not seeds:
        return {}
    graph = _Graph(objects)
    return {owner: graph.delivery(ids) for owner, ids in seeds.items()}


def delivery_ids(objects: Sequence[Mapping[str, Any]], seeds: set[str]) -> set[str]:
    """``seeds`` plus the objects of the request that go with them.

    Those are the objects referring to a seed (a relationship, sighting,
    observed-data, report, note...), the far end of such a relationship or
    sighting (e.g. the incident an indicator indicates), and the reports,
    notes, opinions and groupings that refer to anything delivered.
    """
    return _Graph(objects).delivery(seeds)


class _Graph:
    """The references between the objects of one request, read once."""

    def __init__(self, objects: Sequence[Mapping[str, Any]]) -> None:
        self.by_id = {obj["id"]: obj for obj in objects if isinstance(obj.get("id"), str)}
        self.refs = {stix_id: _refs(obj) for stix_id, obj in self.by_id.items()}
        self.containers = {
            stix_id for stix_id, obj in self.by_id.items() if obj.get("type") in _CONTAINERS
        }

    def delivery(self, seeds: set[str]) -> set[str]:
        delivered = seeds & self.by_id.keys()
        referrers = {i for i, refs in self.refs.items() if i not in delivered and refs & delivered}
        delivered |= referrers
        for stix_id in referrers:
            obj = self.by_id[stix_id]
            for prop in _LINK_ENDS.get(str(obj.get("type")), ()):
                delivered |= _ref_values(obj.get(prop)) & self.by_id.keys()
        delivered |= {i for i in self.containers if self.refs[i] & delivered}
        return delivered


def _refs(obj: Mapping[str, Any]) -> set[str]:
    """The ids an object refers to through its top-level ``*_ref`` and ``*_refs`` properties."""
    found: set[str] = set()
    for key, value in obj.items():
        if key in _BOOKKEEPING_REFS or not (key.endswith("_ref") or key.endswith("_refs")):
            continue
        found |= _ref_values(value)
    return found


def _ref_values(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()
