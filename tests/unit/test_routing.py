"""The routing rules: what an object names, longest-prefix match, what travels with it."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from federation.domain.routing import (
    Claim,
    Names,
    RoutingTable,
    delivery_ids,
    names_in_request,
    parse_claim,
    pattern_names,
    route,
)
from federation.stix.pattern_terms import pattern_comparisons


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


def table(*claims: tuple[str, str]) -> RoutingTable[str]:
    return RoutingTable.of((parse_claim(text), owner) for text, owner in claims)


# -- declaring networks ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("198.51.100.0/24", "198.51.100.0/24"),
        (" 2001:DB8::/32 ", "2001:db8::/32"),
        ("198.51.100.7", "198.51.100.7/32"),
        ("AS64500", "AS64500"),
        ("as64500", "AS64500"),
        ("64500", "AS64500"),
        ("AS4200000000", "AS4200000000"),
    ],
)
def test_a_declared_network_is_stored_in_canonical_form(text: str, value: str) -> None:
    assert parse_claim(text).value == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("198.51.100.7/24", "host bits set; the network is 198.51.100.0/24"),
        ("2001:db8::1/32", "host bits set"),
        ("198.51.100.0/33", "neither an IP prefix"),
        ("example.net", "neither an IP prefix"),
        ("", "neither an IP prefix"),
        ("10.0.0.0/7", "too wide"),
        ("0.0.0.0/0", "too wide"),
        ("::/0", "too wide"),
        ("AS0", "outside"),
        ("AS4294967295", "outside"),
    ],
)
def test_a_bad_declaration_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_claim(text)


# -- longest-prefix match ----------------------------------------------------


def test_the_longest_declared_prefix_wins() -> None:
    routes = table(("198.51.0.0/16", "isp"), ("198.51.100.0/24", "customer"))
    assert routes.owner_of_network(net("198.51.100.7/32")) == "customer"
    assert routes.owner_of_network(net("198.51.7.1/32")) == "isp"


def test_an_address_outside_every_declared_prefix_has_no_owner() -> None:
    routes = table(("198.51.100.0/24", "isp"))
    assert routes.owner_of_network(net("203.0.113.1/32")) is None
    assert routes.owner_of_network(net("2001:db8::1/128")) is None


def test_ipv6_addresses_match_ipv6_prefixes() -> None:
    routes = table(("2001:db8::/32", "isp"), ("2001:db8:aa::/48", "customer"))
    assert routes.owner_of_network(net("2001:db8:aa::5/128")) == "customer"
    assert routes.owner_of_network(net("2001:db8:bb::5/128")) == "isp"


def test_a_named_network_goes_to_the_prefix_holding_all_of_it() -> None:
    routes = table(("198.51.0.0/16", "isp"), ("198.51.100.0/24", "customer"))
    assert routes.owner_of_network(net("198.51.100.0/25")) == "customer"
    # Wider than the customer's /24: only the ISP holds it all.
    assert routes.owner_of_network(net("198.51.100.0/23")) == "isp"
    # Wider than anything declared: nobody is responsible for all of it.
    assert routes.owner_of_network(net("198.0.0.0/8")) is None


def test_autonomous_systems_match_exactly() -> None:
    routes = table(("AS64500", "isp"))
    assert routes.owner_of_asn(64500) == "isp"
    assert routes.owner_of_asn(64501) is None


# -- what an object names ----------------------------------------------------


def test_address_objects_name_their_value_including_cidr() -> None:
    objects = [
        {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"},
        {"type": "ipv4-addr", "id": "ipv4-addr--2", "value": "198.51.100.0/25"},
        {"type": "ipv6-addr", "id": "ipv6-addr--1", "value": "2001:db8::1"},
        {"type": "ipv6-addr", "id": "ipv6-addr--2", "value": "::ffff:198.51.100.8"},
        {"type": "autonomous-system", "id": "autonomous-system--1", "number": 64500},
    ]
    named = names_in_request(objects)
    assert named["ipv4-addr--1"].networks == {net("198.51.100.7/32")}
    assert named["ipv4-addr--2"].networks == {net("198.51.100.0/25")}
    assert named["ipv6-addr--1"].networks == {net("2001:db8::1/128")}
    assert named["ipv6-addr--2"].networks == {net("198.51.100.8/32")}
    assert named["autonomous-system--1"].asns == {64500}


def test_network_traffic_names_the_endpoints_sent_in_the_same_request() -> None:
    objects = [
        {"type": "ipv4-addr", "id": "ipv4-addr--src", "value": "203.0.113.9"},
        {
            "type": "network-traffic",
            "id": "network-traffic--1",
            "src_ref": "ipv4-addr--src",
            "dst_ref": "ipv4-addr--not-in-this-request",
        },
    ]
    assert names_in_request(objects)["network-traffic--1"].networks == {net("203.0.113.9/32")}


@pytest.mark.parametrize(
    ("pattern", "networks", "asns"),
    [
        ("[ipv4-addr:value = '198.51.100.7']", {"198.51.100.7/32"}, set()),
        ("[ipv6-addr:value = '2001:db8::1']", {"2001:db8::1/128"}, set()),
        ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", {"198.51.100.0/24"}, set()),
        (
            "[ipv4-addr:value IN ('198.51.100.7', '203.0.113.1')]",
            {"198.51.100.7/32", "203.0.113.1/32"},
            set(),
        ),
        ("[network-traffic:dst_ref.value = '198.51.100.7']", {"198.51.100.7/32"}, set()),
        (
            "[network-traffic:src_ref.value = '203.0.113.1' AND network-traffic:dst_port = 22]",
            {"203.0.113.1/32"},
            set(),
        ),
        ("[autonomous-system:number = 64500]", set(), {64500}),
        (
            "[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value = 'x.example']",
            {"198.51.100.7/32"},
            set(),
        ),
        ("[ipv4-addr:value = '198.51.100.7'] WITHIN 60 SECONDS", {"198.51.100.7/32"}, set()),
        # Negations and non-address paths name nothing.
        ("[ipv4-addr:value != '198.51.100.7']", set(), set()),
        ("[network-traffic:src_ref.value NOT = '198.51.100.7']", set(), set()),
        ("[domain-name:value = '198.51.100.7']", set(), set()),
        ("[ipv4-addr:value = 'not an address']", set(), set()),
        ("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", set(), set()),
    ],
)
def test_indicator_patterns_name_the_addresses_they_compare_with(
    pattern: str, networks: set[str], asns: set[int]
) -> None:
    names = pattern_names(pattern)
    assert names.networks == {net(n) for n in networks}
    assert names.asns == asns


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "[",
        "[ipv4-addr:value = '198.51.100.7'",
        "[" * 5000 + "ipv4-addr:value = '198.51.100.7'" + "]" * 5000,
        "[ipv4-addr:value = '1.1.1.1' OR " * 3000 + "ipv4-addr:value = '1.1.1.1']",
        "[" + "(" * 3000 + "ipv4-addr:value = '198.51.100.7'" + ")" * 3000 + "]",
        "[" + " OR ".join(["ipv4-addr:value IN ('198.51.100.7')"] * 1500) + "]",
        "x" * 70_000,
    ],
)
def test_hostile_patterns_name_nothing_and_never_raise(pattern: str) -> None:
    names = pattern_names(pattern)
    assert isinstance(names, Names)
    assert not names.asns


def test_malformed_values_are_ignored() -> None:
    objects: list[dict[str, Any]] = [
        {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "999.1.1.1"},
        {"type": "ipv4-addr", "id": "ipv4-addr--2", "value": ["198.51.100.7"]},
        {"type": "autonomous-system", "id": "autonomous-system--1", "number": "64500"},
        {"type": "autonomous-system", "id": "autonomous-system--2", "number": True},
        {"type": "indicator", "id": "indicator--1", "pattern_type": "snort", "pattern": "x"},
        {"type": "indicator", "id": "indicator--2", "pattern_type": "stix", "pattern": 7},
    ]
    assert names_in_request(objects) == {}


def test_the_simple_pattern_reader_agrees_with_stix2_patterns() -> None:
    from stix2patterns.v21.pattern import Pattern

    pattern = (
        "[ipv4-addr:value = '198.51.100.7' OR network-traffic:dst_ref.value = '203.0.113.1']"
        " AND [autonomous-system:number = 64500]"
    )
    ours = {(c.object_type, c.path, c.operator, c.literals) for c in pattern_comparisons(pattern)}
    theirs = {
        (kind, tuple(path), op, (int(v) if v.isdigit() else v.strip("'"),))
        for kind, comparisons in Pattern(pattern).inspect().comparisons.items()
        for path, op, v in comparisons
    }
    assert ours == theirs


# -- what travels with a named object ----------------------------------------


INCIDENT = {"type": "incident", "id": "incident--1", "name": "DDoS"}
INDICATOR = {
    "type": "indicator",
    "id": "indicator--1",
    "pattern_type": "stix",
    "pattern": "[ipv4-addr:value = '198.51.100.7']",
}
LINK = {
    "type": "relationship",
    "id": "relationship--1",
    "relationship_type": "indicates",
    "source_ref": "indicator--1",
    "target_ref": "incident--1",
}
REPORT = {"type": "report", "id": "report--1", "object_refs": ["incident--1"]}
UNRELATED = {
    "type": "indicator",
    "id": "indicator--2",
    "pattern_type": "stix",
    "pattern": "[ipv4-addr:value = '203.0.113.1']",
}
CREATOR = {"type": "identity", "id": "identity--poster", "name": "Poster"}


def test_relationships_their_far_end_and_reports_travel_with_the_named_object() -> None:
    objects = [INCIDENT, INDICATOR, LINK, REPORT, UNRELATED, CREATOR]
    assert delivery_ids(objects, {"indicator--1"}) == {
        "indicator--1",
        "relationship--1",
        "incident--1",
        "report--1",
    }


def test_route_sends_each_owner_what_names_its_network_and_nothing_back_to_the_poster() -> None:
    objects = [INCIDENT, INDICATOR, LINK, UNRELATED]
    routes = table(("198.51.100.0/24", "isp"), ("203.0.113.0/24", "poster"))
    plan = route(objects, routes, poster="poster")
    assert plan == {"isp": {"indicator--1", "relationship--1", "incident--1"}}


def test_an_object_naming_two_networks_goes_to_both_owners() -> None:
    both = INDICATOR | {
        "pattern": "[ipv4-addr:value = '198.51.100.7' OR ipv6-addr:value = '2001:db8::1']"
    }
    routes = table(("198.51.100.0/24", "isp-a"), ("2001:db8::/32", "isp-b"))
    assert route([both], routes, poster=None) == {
        "isp-a": {"indicator--1"},
        "isp-b": {"indicator--1"},
    }


def test_claims_know_their_kind() -> None:
    assert Claim(asn=64500).kind == "asn"
    assert parse_claim("198.51.100.0/24").kind == "prefix"
