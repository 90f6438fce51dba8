"""Pure incident rules: categories, address ranges, pattern values, reporting frequency."""

from __future__ import annotations

import pytest

from federation.domain.incidents import (
    CATEGORY_TYPES,
    category_of,
    frequency_class,
    ip_range,
    normalise_value,
    pattern_values,
    value_key,
)


def test_every_category_round_trips_through_its_incident_type() -> None:
    for category, stix_type in CATEGORY_TYPES.items():
        assert category_of([stix_type]) == category


def test_incident_types_from_other_tools_map_to_a_category_or_other() -> None:
    assert category_of(["unknown-type", "packet-flood"]) == "ddos"
    assert category_of(["dissemination-phishing-emails"]) == "phishing"
    assert category_of(["something-else"]) == "other"
    assert category_of("denial-of-service") == "other"
    assert category_of(None) == "other"


def test_address_ranges_compare_like_the_addresses_they_bound() -> None:
    single = ip_range("10.1.2.3")
    assert single.start == single.end
    network = ip_range("10.1.0.0/16")
    assert network.start <= single.start <= single.end <= network.end
    assert not ip_range("10.2.0.0/16").start <= single.start <= ip_range("10.2.0.0/16").end
    assert ip_range("10.1.2.3/16") == network  # host bits are ignored
    assert ip_range("0.0.0.0/0").version == 4
    v6 = ip_range("2001:db8::/32")
    assert v6.version == 6
    assert len(v6.start) == len(single.start) == 16
    with pytest.raises(ValueError, match="does not appear"):
        ip_range("example.org")


def test_pattern_values_are_the_equality_comparisons_of_indicator_types() -> None:
    pattern = (
        "[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'c2.example.net'] AND "
        "[file:hashes.'SHA-256' = 'aa'] AND [file:hashes.MD5 = 'bb'] AND "
        "[url:value = 'http://x.example/it\\'s'] AND [email-addr:value MATCHES '.*']"
    )
    assert list(pattern_values(pattern)) == [
        ("ipv4-addr", "198.51.100.7"),
        ("domain-name", "c2.example.net"),
        ("sha256", "aa"),
        ("md5", "bb"),
        ("url", "http://x.example/it's"),
    ]


def test_equal_values_normalise_to_one_key() -> None:
    assert normalise_value("ipv4-addr", "10.0.0.1/32") == "10.0.0.1"
    assert normalise_value("ipv4-addr", "10.0.0.7/24") == "10.0.0.0/24"
    assert normalise_value("ipv6-addr", "2001:DB8:0::1") == "2001:db8::1"
    assert normalise_value("domain-name", "C2.Example.NET ") == "c2.example.net"
    assert value_key("domain-name", "a") != value_key("url", "a")


@pytest.mark.parametrize(
    ("reports", "days", "expected"),
    [(0, 90, None), (90, 90, "daily"), (13, 90, "weekly"), (3, 90, "monthly"), (1, 90, "rarely")],
)
def test_reporting_frequency_is_the_mean_interval_between_reports(
    reports: int, days: int, expected: str | None
) -> None:
    assert frequency_class(reports, days) == expected
