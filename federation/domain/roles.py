"""Account roles and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    READER = "reader"
    ANALYST = "analyst"
    ORG_ADMIN = "org-admin"
    HUB_ADMIN = "hub-admin"
    PEER = "peer"


class Sector(StrEnum):
    ISP = "isp"
    LAW_ENFORCEMENT = "law-enforcement"
    GOVERNMENT = "government"
    BUSINESS = "business"
    CSIRT = "csirt"
    HUB = "hub"


# Roles that may add objects; a reader may only read.
WRITING_ROLES = frozenset({Role.ANALYST, Role.ORG_ADMIN, Role.HUB_ADMIN, Role.PEER})


def may_write(role: str) -> bool:
    """Whether an account with ``role`` may post or delete objects at all."""
    return role in WRITING_ROLES


# Accounts that are links, not people: another hub, or a member's TAXII
# server. They exchange STIX over TAXII only; a report, sighting or note made
# over REST would speak for a person of the organisation, which a link is not.
TAXII_ONLY_ROLES = frozenset({Role.PEER})


def is_taxii_only(role: str) -> bool:
    """Whether an account with ``role`` may write over TAXII but not report incidents over REST."""
    return role in TAXII_ONLY_ROLES


# What each role may do, as a set of the roles it includes: a hub admin rules
# everything, an org admin does what an analyst does, an analyst what a reader
# does. A peer is another hub, not a rank: only a hub admin includes it.
_INCLUDES: dict[str, frozenset[str]] = {
    Role.READER: frozenset({Role.READER}),
    Role.ANALYST: frozenset({Role.READER, Role.ANALYST}),
    Role.ORG_ADMIN: frozenset({Role.READER, Role.ANALYST, Role.ORG_ADMIN}),
    Role.HUB_ADMIN: frozenset(Role),
    Role.PEER: frozenset({Role.PEER}),
}


def outranks(role: str, other: str) -> bool:
    """Whether ``role`` may do something ``other`` may not (unknown roles outrank all)."""
    return role not in _INCLUDES.get(other, frozenset())
