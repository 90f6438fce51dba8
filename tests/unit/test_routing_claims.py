"""Which routing claims the hub grants at once, which wait for a hub admin (issue 10, #5)."""

from __future__ import annotations

import pytest

from federation.config import ConfigError, load_config
from federation.domain.routing import ClaimLimits, RoutingTable, parse_claim, review_reason

DEFAULT = ClaimLimits()


def approved(*claims: tuple[str, str]) -> RoutingTable[str]:
    return RoutingTable.of((parse_claim(text), owner) for text, owner in claims)


def reason(
    text: str, claimant: str, table: RoutingTable[str], limits: ClaimLimits = DEFAULT
) -> str:
    return review_reason(parse_claim(text), claimant, table, limits) or ""


def test_a_prefix_inside_another_members_network_waits() -> None:
    table = approved(("192.0.2.0/24", "B"))
    assert "inside another member's network" in reason("192.0.2.77/32", "A", table)
    assert "inside another member's network" in reason("192.0.2.128/25", "A", table)
    # Beside it, or for B itself, nothing is taken from anybody.
    assert reason("192.0.3.0/24", "A", table) == ""
    assert reason("192.0.2.77/32", "B", table) == ""


def test_only_the_member_the_addresses_route_to_today_counts() -> None:
    # An upstream's /16 with a customer's /20 delegated inside it.
    table = approved(("198.51.0.0/16", "Upstream"), ("198.51.96.0/20", "Customer"))
    # Inside its own /20, the customer takes nothing from the upstream.
    assert reason("198.51.100.0/24", "Customer", table) == ""
    # The upstream claiming inside its customer's block takes it back: waits.
    assert "inside another member's network" in reason("198.51.100.0/24", "Upstream", table)
    # A claim around someone's smaller prefix leaves it theirs (longest wins).
    assert reason("198.51.0.0/17", "Upstream", table) == ""


def test_a_prefix_wider_than_the_limit_waits_even_when_nobody_holds_it() -> None:
    nobody = approved()
    assert "wider than /16" in reason("100.0.0.0/8", "A", nobody)
    assert "wider than /16" in reason("100.0.0.0/15", "A", nobody)
    assert reason("100.0.0.0/16", "A", nobody) == ""
    assert "wider than /32" in reason("2001:db8::/31", "A", nobody)
    assert reason("2a00:1450::/32", "A", nobody) == ""
    # Within the claimant's own wider network, the limit still applies: the
    # hub promises these addresses again.
    assert "wider than /16" in reason("10.0.0.0/12", "A", approved(("10.0.0.0/8", "A")))


def test_the_limits_are_the_operators() -> None:
    strict = ClaimLimits(ipv4=24, ipv6=48)
    assert "wider than /24" in reason("203.0.112.0/23", "A", approved(), strict)
    assert "wider than /48" in reason("2a00:1450::/32", "A", approved(), strict)
    with pytest.raises(ValueError, match="prefix length from 1 to 32"):
        ClaimLimits(ipv4=33)


def test_an_as_number_claimed_by_an_org_admin_always_waits() -> None:
    # The hub cannot verify who operates an AS, taken or not.
    assert "AS number" in reason("AS64500", "A", approved())
    assert "AS number" in reason("AS64500", "A", approved(("AS64501", "A")))


def test_claim_limits_are_settings_with_defaults() -> None:
    environ = {"FEDERATION_SECRET_KEY": "k", "FEDERATION_DATABASE_URL": "sqlite://"}
    settings = load_config(environ=environ)
    assert (settings["CLAIM_PREFIX_LIMIT_IPV4"], settings["CLAIM_PREFIX_LIMIT_IPV6"]) == (16, 32)
    changed = load_config(environ=environ | {"FEDERATION_CLAIM_PREFIX_LIMIT_IPV4": "20"})
    assert changed["CLAIM_PREFIX_LIMIT_IPV4"] == 20
    with pytest.raises(ConfigError, match="CLAIM_PREFIX_LIMIT_IPV6"):
        load_config(environ=environ | {"FEDERATION_CLAIM_PREFIX_LIMIT_IPV6": "129"})
    with pytest.raises(ConfigError, match="CLAIM_PREFIX_LIMIT_IPV4"):
        load_config(environ=environ | {"FEDERATION_CLAIM_PREFIX_LIMIT_IPV4": "0"})
